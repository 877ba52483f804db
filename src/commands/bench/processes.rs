//! The processes a bench run starts: our broker and coordinator (kafkalab-tools, release
//! build), Debian's ZooKeeper, and the load tools, each with a time limit so that a stuck
//! tool ends the run with a message instead of hanging it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::commands::tools::{self, Launch, TOOLS_ENV};
use crate::error::Error;
use crate::workspace;

/// Where librdkafka's `rdkafka_performance` is looked for: this variable, else the cache that
/// `tools/bench/rdkafka-performance.sh build` fills.
pub const RDKAFKA_ENV: &str = "KAFKALAB_RDKAFKA_PERFORMANCE";

/// The kafkalab-tools binary to measure. Inside a workspace it is built with `--release` first
/// (a debug broker is ten times slower and would measure the wrong thing); `KAFKALAB_TOOLS`
/// or a binary next to kafkalab is used as it is.
pub fn tools_binary(explicit_workspace: Option<&Path>) -> Result<PathBuf, Error> {
    let launch = tools::locate(
        "bench",
        std::env::var_os(TOOLS_ENV).map(PathBuf::from),
        explicit_workspace,
        std::env::current_exe().ok(),
    )?;
    let root = match launch {
        Launch::Binary(path) => return Ok(path),
        Launch::Cargo { root, .. } => root,
    };
    eprintln!("[bench] cargo build --release -p kafkalab-tools");
    let mut build = Command::new(workspace::cargo());
    build
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "kafkalab-tools",
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .stderr(Stdio::inherit());
    let output = build.output().map_err(|source| Error::Spawn {
        command: format!("{build:?}"),
        source,
    })?;
    if !output.status.success() {
        return Err(Error::Tool(
            "cargo could not build kafkalab-tools in release; its errors are above".into(),
        ));
    }
    // Cargo names the binary it built in its `compiler-artifact` message, wherever
    // CARGO_TARGET_DIR puts it.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "kafkalab-tools")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| Error::Tool("cargo built kafkalab-tools but did not name its binary".into()))
}

/// `rdkafka_performance`, if it was built.
pub fn rdkafka_performance() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(RDKAFKA_ENV) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let cache = std::env::var_os("KAFKALAB_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("kafkalab")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/kafkalab")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("librdkafka-") && !n.ends_with(".tmp"))
        })
        .map(|p| p.join("examples").join("rdkafka_performance"))
        .filter(|p| p.is_file())
        .collect();
    // The newest version, when several were built.
    found.sort();
    found.pop()
}

/// A free port on 127.0.0.1 (the OS picks one; it is free again once the listener closes).
pub fn free_port() -> Result<u16, Error> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::Tool(format!("no free port on 127.0.0.1: {e}")))
}

/// What a finished tool printed.
pub struct Finished {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Makes every produce run start from the same memory: writes out the dirty pages (sync(1)) and,
/// as root, drops the clean page cache. Each was seen to halve a produce run here: the kernel
/// writing the last run's pages back during this one, and a page cache grown past ~1 GB, after
/// which the broker's `write()` spent most of its time on memory of this virtual machine touched
/// for the first time (dropped pages are reused, already touched). Without root it only syncs.
pub fn settle_page_cache() {
    let _ = Command::new("sync").status();
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "1");
}

/// Runs `command` to the end, or kills it after `limit`.
pub fn run_limited(mut command: Command, limit: Duration) -> Result<Finished, Error> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            command: shown.clone(),
            source,
        })?;
    // Read both pipes on threads: a tool that fills one pipe while we wait on the other would
    // block forever.
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = read(Box::new(child.stdout.take().expect("piped")));
    let err = read(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::Tool(e.to_string()))? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    );
    let Some(status) = status else {
        return Err(Error::Tool(format!(
            "{shown} did not finish within {} s; it printed: {}{}",
            limit.as_secs(),
            stdout,
            stderr
        )));
    };
    Ok(Finished {
        success: status.success(),
        stdout,
        stderr,
    })
}

/// A server process of the run; killed when dropped, so an error anywhere stops them all.
pub struct Server {
    child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and waits for its first line of standard output to contain `ready`.
fn start_and_wait(mut command: Command, ready: &str, address: String) -> Result<Server, Error> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| Error::Spawn {
            command: shown.clone(),
            source,
        })?;
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line);
    let server = Server { child, address };
    if !line.contains(ready) {
        return Err(Error::Tool(format!("{shown} did not start: {line:?}")));
    }
    Ok(server)
}

/// Our broker on a free loopback port, its log in `dir`.
pub fn start_broker(tools: &Path, dir: &Path) -> Result<Server, Error> {
    let port = free_port()?;
    let config = dir.join("server.properties");
    write(
        &config,
        &format!(
            "broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\nnum.partitions=1\n",
            dir.join("logs").display()
        ),
    )?;
    let mut command = Command::new(tools);
    command.arg("kafka-server-start").arg(&config);
    start_and_wait(
        command,
        "kafkalab broker started",
        format!("127.0.0.1:{port}"),
    )
}

/// Our coordinator (labs 08-09) on a free loopback port.
pub fn start_our_zookeeper(tools: &Path, dir: &Path) -> Result<Server, Error> {
    let port = free_port()?;
    let config = dir.join("zoo.cfg");
    write(
        &config,
        &format!(
            "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n",
            dir.join("data").display()
        ),
    )?;
    let mut command = Command::new(tools);
    command.arg("zookeeper-server-start").arg(&config);
    start_and_wait(
        command,
        "kafkalab zookeeper started",
        format!("127.0.0.1:{port}"),
    )
}

/// Debian's ZooKeeper 3.8, standalone, if java and its jars are installed; waits until `srvr`
/// shows its mode. (`ruok` answers `imok` as soon as the port listens, before the server takes
/// sessions: a client that came then was disconnected.)
pub fn start_debian_zookeeper(dir: &Path) -> Result<Option<Server>, Error> {
    if !Path::new("/usr/share/zookeeper").is_dir() || which("java").is_none() {
        return Ok(None);
    }
    let port = free_port()?;
    let config = dir.join("zoo.cfg");
    write(
        &config,
        &format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             4lw.commands.whitelist=srvr\nadmin.enableServer=false\n",
            dir.join("data").display()
        ),
    )?;
    let child = Command::new("java")
        .args([
            "-cp",
            "/usr/share/java/*:/etc/zookeeper/conf",
            "org.apache.zookeeper.server.ZooKeeperServerMain",
        ])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| Error::Spawn {
            command: "java … ZooKeeperServerMain".into(),
            source,
        })?;
    let mut server = Server {
        child,
        address: format!("127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            // A JVM still starting may accept and say nothing: never wait without a limit.
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(b"srvr");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.contains("Mode: ") {
                return Ok(Some(server));
            }
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(Error::Tool(format!(
                "Debian's ZooKeeper exited before it served: {status}"
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(Error::Tool(format!(
        "Debian's ZooKeeper did not serve on port {port} within 60 s"
    )))
}

/// A program on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
