//! `kafkalab kafka-…`, `kafkalab zookeeper-…`, `kafkalab zk-bench`: passed through to the
//! `kafkalab-tools` binary with every argument as given, and its exit code passed back.
//!
//! Why two binaries: the servers and tools are built from labs 05–09. If the runner linked them,
//! one half-written line in any lab would stop `kafkalab labs`, `hint` and `check` from building
//! — exactly when the learner is stuck. So the runner links no lab, and a lab is compiled only
//! when the learner runs something built from it.
//!
//! Where kafkalab-tools comes from, first match wins:
//! 1. `KAFKALAB_TOOLS`, the path of a kafkalab-tools binary (tests, installs, your own builds).
//! 2. Inside a kafkalab workspace (the repository or a workbook, as `workspace::resolve` finds
//!    it): `cargo run --quiet -p kafkalab-tools --manifest-path <ws>/Cargo.toml -- ARGS`, in
//!    the current folder, so relative paths such as `server.properties` mean what they say.
//!    The tools are built with the runner's own profile: a runner built with `--release` runs
//!    `cargo run --release`, a debug runner runs a debug build. `cargo run -- kafka-server-start`
//!    and `cargo run --release -- kafka-server-start` therefore do what they look like, and
//!    share their build with `cargo build [--release]`.
//! 3. A `kafkalab-tools` next to the running `kafkalab` (an install that copied both).
//! 4. Otherwise an error that says how to get it.
//!
//! On Unix the runner `exec`s the tool: the process becomes the tool, so standard input, signals
//! (Ctrl-C, a service manager's SIGTERM) and the exit status are the tool's own.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::error::Error;
use crate::workspace;

/// The environment variable that names a kafkalab-tools binary to use.
pub const TOOLS_ENV: &str = "KAFKALAB_TOOLS";

/// The name of the tools binary on this platform.
pub fn tools_file_name() -> String {
    format!("kafkalab-tools{}", std::env::consts::EXE_SUFFIX)
}

/// Shown at the end of `kafkalab --help`: the commands kafkalab-tools runs.
pub const AFTER_HELP: &str = "\
Servers and tools (run by kafkalab-tools, built from labs 05-09; `kafkalab COMMAND --help` for each):
  kafka-server-start        Start a broker (the labs' broker) from a Kafka server.properties
  zookeeper-server-start    Start the coordinator of labs 08-09 from a ZooKeeper zoo.cfg
  zookeeper-shell           Browse and change znodes (zookeeper-shell.sh)
  zk-bench                  Load a ZooKeeper and print ops/s and latency percentiles
  kafka-topics              Create, list, describe, alter and delete topics (kafka-topics.sh)
  kafka-configs             Describe and change topic and broker settings (kafka-configs.sh)
  kafka-delete-records      Delete a partition's records below an offset (kafka-delete-records.sh)
  kafka-console-producer    Send each line of standard input as a record
  kafka-console-consumer    Print a topic's records
  kafka-consumer-groups     List, describe, reset and delete consumer groups
  kafka-producer-perf-test  Measure producing: records/s, MB/s, latency percentiles
  kafka-consumer-perf-test  Measure consuming: records/s and MB/s
  kafka-leader-election     Move leaders back to the preferred replicas (kafka-leader-election.sh)
  kafka-dump-log            Print a partition's files: batches, producer snapshots, indexes

Inside the repository or a workbook these are built with cargo on first use; elsewhere kafkalab
runs the kafkalab-tools next to it, or the one KAFKALAB_TOOLS names.";

/// Whether `name` is a command of kafkalab-tools, by its family: Kafka's `kafka-*.sh` scripts,
/// ZooKeeper's `zookeeper-*`, and our `zk-bench`. A family, not a list, so a tool added to
/// kafkalab-tools is reachable through `kafkalab` without a change here.
pub fn is_tool_command(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    name.starts_with("kafka-") || name.starts_with("zookeeper-") || name == "zk-bench"
}

/// How kafkalab-tools will be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// A built binary: from `KAFKALAB_TOOLS` or next to kafkalab.
    Binary(PathBuf),
    /// `cargo run -p kafkalab-tools` in this workspace root.
    Cargo { root: PathBuf, release: bool },
}

/// Finds kafkalab-tools in the order of the module documentation. `env_tools` is the value of
/// `KAFKALAB_TOOLS`, `explicit` the `--workspace` option, `current_exe` the running kafkalab.
pub fn locate(
    command: &str,
    env_tools: Option<PathBuf>,
    explicit: Option<&Path>,
    current_exe: Option<PathBuf>,
) -> Result<Launch, Error> {
    let mut tried = Vec::new();
    if let Some(path) = env_tools.filter(|p| !p.as_os_str().is_empty()) {
        if path.is_file() {
            return Ok(Launch::Binary(path));
        }
        // A wrong KAFKALAB_TOOLS is a mistake to report, not to step over silently.
        return Err(Error::ToolsNotFound {
            command: command.to_string(),
            tried: format!("{TOOLS_ENV}={} is not a file", path.display()),
        });
    }
    tried.push(format!("{TOOLS_ENV} is not set"));
    match workspace::resolve(explicit) {
        Ok(root) if root.join("tools").join("Cargo.toml").is_file() => {
            return Ok(Launch::Cargo {
                root,
                release: !cfg!(debug_assertions),
            });
        }
        Ok(root) => tried.push(format!("{} has no tools/ crate", root.display())),
        Err(_) => tried.push("not inside a kafkalab workspace".to_string()),
    }
    if let Some(dir) = current_exe.as_deref().and_then(Path::parent) {
        let sibling = dir.join(tools_file_name());
        if sibling.is_file() {
            return Ok(Launch::Binary(sibling));
        }
        tried.push(format!("no {}", sibling.display()));
    }
    Err(Error::ToolsNotFound {
        command: command.to_string(),
        tried: tried.join("; "),
    })
}

/// The process to start for `args` (the command name first, then its arguments).
pub fn command_for(launch: &Launch, args: &[OsString]) -> Command {
    match launch {
        Launch::Binary(path) => {
            let mut command = Command::new(path);
            command.args(args);
            command
        }
        Launch::Cargo { root, release } => {
            let mut command = Command::new(workspace::cargo());
            command
                .args(["run", "--quiet", "-p", "kafkalab-tools", "--manifest-path"])
                .arg(root.join("Cargo.toml"));
            if *release {
                command.arg("--release");
            }
            command.arg("--").args(args);
            command
        }
    }
}

/// Runs `args` with kafkalab-tools and returns its exit code. On Unix this does not return when
/// the tool starts: the process becomes the tool.
pub fn run(explicit_workspace: Option<&Path>, args: &[OsString]) -> Result<ExitCode, Error> {
    let name = args
        .first()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let launch = locate(
        &name,
        std::env::var_os(TOOLS_ENV).map(PathBuf::from),
        explicit_workspace,
        std::env::current_exe().ok(),
    )?;
    let mut command = command_for(&launch, args);
    let shown = format!("{command:?}");
    let spawn = |source| Error::Spawn {
        command: shown.clone(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // `exec` returns only if the program could not be started.
        Err(spawn(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(spawn)?;
        let code = status.code().unwrap_or(1);
        Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_families_pass_and_runner_typos_do_not() {
        for name in [
            "kafka-topics",
            "kafka-server-start",
            "zookeeper-shell",
            "zk-bench",
        ] {
            assert!(is_tool_command(OsStr::new(name)), "{name}");
        }
        for name in ["chek", "labs", "zk", "kafka"] {
            assert!(!is_tool_command(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn the_environment_variable_wins_and_a_wrong_one_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let tools = dir.path().join("my-tools");
        std::fs::write(&tools, "").unwrap();
        let found = locate("kafka-topics", Some(tools.clone()), None, None).unwrap();
        assert_eq!(found, Launch::Binary(tools));
        let missing = dir.path().join("nothing-here");
        let err = locate("kafka-topics", Some(missing), None, None).unwrap_err();
        assert!(err.to_string().contains("is not a file"), "{err}");
    }

    #[test]
    fn outside_a_workspace_the_sibling_binary_is_used_else_the_error_says_how_to_build() {
        let dir = tempfile::tempdir().unwrap();
        let runner = dir.path().join("kafkalab");
        let err = locate("kafka-topics", None, Some(dir.path()), Some(runner.clone()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cargo build --release -p kafkalab-tools"),
            "{err}"
        );
        assert!(err.contains("KAFKALAB_TOOLS"), "{err}");
        std::fs::write(dir.path().join(tools_file_name()), "").unwrap();
        let found = locate("kafka-topics", None, Some(dir.path()), Some(runner)).unwrap();
        assert_eq!(found, Launch::Binary(dir.path().join(tools_file_name())));
    }

    #[test]
    fn inside_a_workspace_cargo_builds_the_tools_with_the_runners_profile() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let found = locate("kafka-topics", None, Some(repo), None).unwrap();
        assert_eq!(
            found,
            Launch::Cargo {
                root: repo.to_path_buf(),
                release: !cfg!(debug_assertions)
            }
        );
        let args = [OsString::from("kafka-topics"), OsString::from("--list")];
        let command = command_for(&found, &args);
        let shown: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
        let tail = shown[shown.len() - 3..].join(" ");
        assert_eq!(tail, "-- kafka-topics --list");
        assert!(shown.iter().any(|a| a == "kafkalab-tools"));
    }
}
