//! Helpers for the root integration tests: finding the real tools they run.

#![allow(dead_code)]

pub mod broker;
pub mod coordinator;

use std::process::Command;

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

/// The repository root.
pub fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
