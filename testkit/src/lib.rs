//! # kafkalab-testkit
//!
//! Helpers for kafkalab's tests (the runner's, the tools' and the labs'): whether a real tool is
//! there (or the test is skipped, or fails under CI), free ports, our servers as processes, and
//! waits with a bound that name what they waited for.
//!
//! # Layout
//! - this file — real tools and Python modules present or skipped (`tool`, `python_module`,
//!   `require_all`), `run_ok`, `wait_for_banner`, `compose_command`, `topology_env`, `repo`.
//! - `broker` — our broker as a process (`kafkalab-tools kafka-server-start`).
//! - `coordinator` — our coordinator as a process (`kafkalab-tools zookeeper-server-start`).
//! - `docker` — the images docker/build-images.sh builds (`build_image`), and a topology of
//!   docker/compose.*.yml in containers (real or `lab` flavor), with `srvr`, zkCli.sh and
//!   network partitions run through `docker exec` and `docker network`.
//! - `ensemble` — three ZooKeeper servers (ours, real ones, or a mix) on loopback, with faults.
//! - `ports` — `free_port`: ports for servers started as processes, outside the kernel's
//!   ephemeral range so that no outgoing connection takes them.
//! - `real_zookeeper` — Debian's ZooKeeper 3.8 as a process, standalone (the reference).
//! - `wait` — `within`: a future with a time limit that says what it was waiting for.
//!
//! This crate depends on no lab, so the runner's tests can use it and the runner still builds
//! without labs.

pub mod broker;
pub mod coordinator;
pub mod docker;
pub mod ensemble;
pub mod ports;
pub mod real_zookeeper;
pub mod sim;
pub mod wait;

use std::process::Command;

pub use ports::free_port;
pub use wait::within;

/// The `kafkalab-tools` binary of this workspace's build (`target/<profile>/kafkalab-tools`).
/// Cargo builds it before it runs the tests of the tools crate, and `cargo test` at the root
/// builds it too because the tools crate is a default member.
pub fn tools_bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("kafkalab-tools")
}

/// Where [`tools_bin`] is, built or not (`assert_cmd`'s `cargo_bin` panics on a binary that is
/// not there yet): next to the test binary, outside `deps/`.
fn tools_bin_path() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_kafkalab-tools") {
        return path.into();
    }
    let mut dir = std::env::current_exe().expect("the path of the running test binary");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(format!("kafkalab-tools{}", std::env::consts::EXE_SUFFIX))
}

/// [`tools_bin`], built first when it is missing: `cargo test -p kafkalab` alone does not build
/// the tools crate. The build runs after the outer one has finished (tests run after cargo
/// builds them), so it does not wait for it. A binary that is there is not rebuilt: a lone
/// `cargo build -p kafkalab-tools` resolves fewer features than the whole workspace and would
/// recompile labs 05-09 (over a minute) only to run the same tools.
pub fn built_tools_bin() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let path = tools_bin_path();
            if path.is_file() {
                return path;
            }
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut build = std::process::Command::new(cargo);
            build
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "kafkalab-tools",
                    "--manifest-path",
                ])
                .arg(repo().join("Cargo.toml"));
            if !cfg!(debug_assertions) {
                build.arg("--release");
            }
            run_ok(&mut build);
            assert!(path.is_file(), "{} was not built", path.display());
            path
        })
        .clone()
}

/// Whether CI asked for every real tool to be present (`KAFKALAB_REQUIRE_ALL=1`).
pub fn require_all() -> bool {
    std::env::var("KAFKALAB_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Whether `python3 -c "import MODULE"` works. When it does not: under CI this fails the test
/// with the way to install it; on a learner's machine the test says so and is skipped.
pub fn python_module(module: &str, install: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let message = format!("python3 cannot import {module}; install it with: {install}");
        assert!(!require_all(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    ok
}

/// The repository root (the workspace this crate is a member of).
pub fn repo() -> std::path::PathBuf {
    let testkit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    testkit.parent().unwrap_or(testkit).to_path_buf()
}

/// Whether the command `name` runs (`name --version`). When it does not: under CI this fails
/// the test with the way to install it; elsewhere the test says so and is skipped.
pub fn tool(name: &str, install: &str) -> bool {
    // Most tools answer --version; kcat answers -V.
    let flag = if name == "kcat" { "-V" } else { "--version" };
    let ok = Command::new(name)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let message = format!("`{name}` is not installed; install it with: {install}");
        assert!(!require_all(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    ok
}

/// Waits for the first line a server process prints on its piped stdout, once it listens
/// (`kafkalab broker started …`), and panics with that line if it does not contain `banner`.
pub fn wait_for_banner(child: &mut std::process::Child, banner: &str) {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the server's stdout, piped");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server's first line");
    assert!(line.contains(banner), "the server did not start: {line:?}");
}

/// Runs a command to completion; panics with its output if it fails.
pub fn run_ok(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The KL_* settings of one host, as the Vagrantfile and the Compose files get them.
pub fn topology_env(topology: &str, host: &str, target: &str) -> Vec<(String, String)> {
    let out = run_ok(
        Command::new("ruby")
            .arg(repo().join("vagrant/topology.rb"))
            .args(["env", topology, host, target]),
    );
    out.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

/// `docker-compose` (v1) or `docker compose` (v2), whichever this machine has.
pub fn compose_command() -> Option<Vec<String>> {
    let works = |args: &[&str]| {
        Command::new(args[0])
            .args(&args[1..])
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&["docker-compose"]) {
        return Some(vec!["docker-compose".into()]);
    }
    if works(&["docker", "compose"]) {
        return Some(vec!["docker".into(), "compose".into()]);
    }
    let message = "neither `docker compose` nor `docker-compose` runs; install Docker's compose plugin or apt-get install docker-compose";
    assert!(!require_all(), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

/// Whether the program at `path` exists; prints how to get it (or fails under
/// `KAFKALAB_REQUIRE_ALL=1`) when it does not.
pub fn tool_path(path: &str, install: &str) -> bool {
    if std::path::Path::new(path).exists() {
        return true;
    }
    assert!(!require_all(), "{path} is missing: {install}");
    eprintln!("SKIPPED: {path} is missing; install it with `{install}`");
    false
}
