//! The command that starts each server: kafkalab-tools for the brokers and our coordinators,
//! Java for Debian's ZooKeeper.
//!
//! kafkalab-tools is found as for `kafkalab kafka-…` (`commands::tools::locate`), with one
//! difference: inside a workspace it is built once with `cargo build` and its binary started
//! directly, not through `cargo run`. Six `cargo run`s would take turns on cargo's build lock,
//! and each pid file would hold a cargo process instead of the server that SIGTERM and SIGKILL
//! are meant for.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cluster::plan::{Flavor, Kind, Server};
use crate::commands::tools::{locate, Launch, TOOLS_ENV};
use crate::error::Error;
use crate::workspace;

/// Where Debian's `zookeeper` package puts ZooKeeper's jar.
pub const DEBIAN_ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
/// The classpath of Debian's ZooKeeper, as its `zkEnv.sh` sets it (the jar's manifest names the
/// jars it needs), plus log4j and its SLF4J binding: without a binding ZooKeeper logs nothing,
/// and server.log would stay empty. `/etc/zookeeper/conf` holds its log4j.properties.
const DEBIAN_CLASSPATH: &str = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:\
    /usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar";
/// The ZooKeeper server with `server.N` lines: it joins the ensemble (QuorumPeerMain).
const QUORUM_PEER_MAIN: &str = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

/// What the servers are started with; built on first use.
pub struct Launcher {
    workspace: Option<PathBuf>,
    tools: Option<PathBuf>,
}

impl Launcher {
    pub fn new(workspace: Option<&Path>) -> Launcher {
        Launcher {
            workspace: workspace.map(Path::to_path_buf),
            tools: None,
        }
    }

    /// The command for `server`, whose config file is `config`.
    pub fn command(
        &mut self,
        server: &Server,
        config: &Path,
        flavor: Flavor,
    ) -> Result<Command, Error> {
        if server.kind == Kind::Zookeeper && flavor == Flavor::Debian {
            let mut command = Command::new(java()?);
            command
                .arg("-Xmx256m")
                // Its log to standard output, which is the server's server.log.
                .arg("-Dzookeeper.root.logger=INFO,CONSOLE")
                .arg("-Dzookeeper.console.threshold=INFO")
                .args(["-cp", DEBIAN_CLASSPATH, QUORUM_PEER_MAIN])
                .arg(config);
            return Ok(command);
        }
        let tools = self.tools()?;
        let mut command = Command::new(tools);
        command
            .arg(match server.kind {
                Kind::Zookeeper => "zookeeper-server-start",
                Kind::Broker => "kafka-server-start",
            })
            .arg(config);
        // Info, not only warnings: the log then tells which role a server took and why.
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        // The log is a file, read with `cluster logs` or an editor: no colour codes in it.
        command.env("NO_COLOR", "1");
        Ok(command)
    }

    /// The kafkalab-tools binary, once a command needed it.
    pub fn tools_path(&self) -> Option<&Path> {
        self.tools.as_deref()
    }

    fn tools(&mut self) -> Result<PathBuf, Error> {
        if let Some(path) = &self.tools {
            return Ok(path.clone());
        }
        let path = match locate(
            "cluster",
            std::env::var_os(TOOLS_ENV).map(PathBuf::from),
            self.workspace.as_deref(),
            std::env::current_exe().ok(),
        )? {
            Launch::Binary(path) => path,
            Launch::Cargo { root, release } => build_tools(&root, release)?,
        };
        self.tools = Some(path.clone());
        Ok(path)
    }
}

/// `cargo build -p kafkalab-tools` in the workspace `root`; the path of the binary it built.
/// Cargo's progress and the compiler's errors go to the terminal as usual.
fn build_tools(root: &Path, release: bool) -> Result<PathBuf, Error> {
    let mut command = Command::new(workspace::cargo());
    command
        .args(["build", "-p", "kafkalab-tools", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .arg("--message-format=json-render-diagnostics")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if release {
        command.arg("--release");
    }
    let shown = format!("{command:?}");
    let mut child = command.spawn().map_err(|source| Error::Spawn {
        command: shown.clone(),
        source,
    })?;
    let mut binary = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(path) = tools_artifact(&line) {
                binary = Some(path);
            }
        }
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        command: shown,
        source,
    })?;
    match binary {
        Some(path) if status.success() => Ok(path),
        _ => Err(Error::Cluster(
            "kafkalab-tools did not build (the compiler's messages are above): the servers are \
             built from your labs, so a lab that does not compile stops `cluster up`. \
             `kafkalab check` shows which lab and where"
                .into(),
        )),
    }
}

/// The executable of kafkalab-tools in one line of cargo's JSON messages.
fn tools_artifact(line: &str) -> Option<PathBuf> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value.get("reason")?.as_str()? != "compiler-artifact"
        || value.get("target")?.get("name")?.as_str()? != "kafkalab-tools"
    {
        return None;
    }
    value.get("executable")?.as_str().map(PathBuf::from)
}

/// The `java` that runs Debian's ZooKeeper: `$JAVA_HOME/bin/java` when JAVA_HOME is set (as
/// ZooKeeper's own scripts choose), else `java` on the PATH. An error says how to install what
/// is missing.
pub fn java() -> Result<PathBuf, Error> {
    let java = match std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join("bin").join("java"),
        None => PathBuf::from("java"),
    };
    let runs = Command::new(&java)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        return Err(Error::Cluster(format!(
            "`--zookeeper debian` runs Debian's ZooKeeper, a Java program, and `{}` does not run: \
             install Java (`apt-get install openjdk-17-jre-headless`, as the slides do), or use \
             our coordinator with `--zookeeper ours`",
            java.display()
        )));
    }
    if !Path::new(DEBIAN_ZOOKEEPER_JAR).is_file() {
        return Err(Error::Cluster(format!(
            "`--zookeeper debian` needs Debian's ZooKeeper, and {DEBIAN_ZOOKEEPER_JAR} is missing: \
             install it with `apt-get install zookeeper`, or use our coordinator with \
             `--zookeeper ours`"
        )));
    }
    Ok(java)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tools_binary_is_read_from_cargos_messages() {
        let line = r#"{"reason":"compiler-artifact","target":{"name":"kafkalab-tools","kind":["bin"]},"executable":"/t/debug/kafkalab-tools"}"#;
        assert_eq!(
            tools_artifact(line),
            Some(PathBuf::from("/t/debug/kafkalab-tools"))
        );
        let lib = r#"{"reason":"compiler-artifact","target":{"name":"kafkalab-tools","kind":["lib"]},"executable":null}"#;
        assert_eq!(tools_artifact(lib), None);
        assert_eq!(tools_artifact("Compiling"), None);
    }
}
