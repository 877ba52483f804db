//! `kafkalab kafka-…`, `kafkalab zookeeper-…`, `kafkalab zk-bench` run kafkalab-tools with the
//! arguments untouched and give back its exit code. `KAFKALAB_TOOLS` names the built tools
//! binary, so kafkalab does not start cargo here; `commands::tools`' unit tests cover the other
//! ways of finding it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use predicates::prelude::*;

/// The tools binary of this build. `cargo test` at the root has built it already (the tools
/// crate is a default member); after `cargo test -p kafkalab` alone it may be missing, and is
/// then built here, once per run. Cargo holds its build lock only while it compiles, not while
/// tests run, so this nested build does not wait for the outer one. It is not rebuilt when it
/// is there: `cargo test` builds it with the whole workspace's features, a lone
/// `cargo build -p kafkalab-tools` with fewer, and would recompile labs 05-09 (over a minute)
/// only to print the same help.
fn tools() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let path = kafkalab_testkit::tools_bin();
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
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
            if !cfg!(debug_assertions) {
                build.arg("--release");
            }
            kafkalab_testkit::run_ok(&mut build);
            let path = kafkalab_testkit::tools_bin();
            assert!(path.is_file(), "{} was not built", path.display());
            path
        })
        .clone()
}

fn kafkalab(tools: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kafkalab").unwrap();
    cmd.env("KAFKALAB_TOOLS", tools);
    cmd
}

#[test]
fn tool_commands_print_the_tools_own_help() {
    let tools = tools();
    kafkalab(&tools)
        .args(["kafka-topics", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kafkalab-tools kafka-topics"))
        .stdout(predicate::str::contains("--bootstrap-server"));
    kafkalab(&tools)
        .args(["zookeeper-shell", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kafkalab-tools zookeeper-shell"));
}

#[test]
fn the_tools_exit_code_and_arguments_pass_through_untouched() {
    let tools = tools();
    // clap's exit code for a bad flag is 2; it comes back from kafkalab-tools unchanged.
    kafkalab(&tools)
        .args(["kafka-topics", "--no-such-flag", "x y"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
    // A broker that is not there: the tool's own error and failure.
    kafkalab(&tools)
        .args([
            "kafka-topics",
            "--bootstrap-server",
            "127.0.0.1:1",
            "--list",
        ])
        .assert()
        .code(1);
}

#[test]
fn help_lists_the_tools_and_a_typo_is_not_sent_to_them() {
    let tools = tools();
    kafkalab(&tools)
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("kafka-server-start"))
        .stdout(predicate::str::contains("zookeeper-server-start"))
        .stdout(predicate::str::contains("zk-bench"));
    kafkalab(&tools)
        .arg("chek")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unrecognized subcommand 'chek'"));
}

#[test]
fn an_installed_kafkalab_runs_the_kafkalab_tools_next_to_it() {
    let tools = tools();
    let dir = tempfile::tempdir().unwrap();
    let runner = dir.path().join("kafkalab");
    std::fs::copy(assert_cmd::cargo::cargo_bin("kafkalab"), &runner).unwrap();
    // Outside any workspace and without KAFKALAB_TOOLS: nothing to run, and the error says how.
    let run = || {
        let mut cmd = Command::new(&runner);
        cmd.env_remove("KAFKALAB_TOOLS")
            .current_dir(dir.path())
            .args(["kafka-topics", "--help"]);
        cmd
    };
    run().assert().failure().stderr(predicate::str::contains(
        "cargo build --release -p kafkalab-tools",
    ));
    let sibling = dir
        .path()
        .join(format!("kafkalab-tools{}", std::env::consts::EXE_SUFFIX));
    if std::fs::hard_link(&tools, &sibling).is_err() {
        std::fs::copy(&tools, &sibling).unwrap();
    }
    run()
        .assert()
        .success()
        .stdout(predicate::str::contains("kafkalab-tools kafka-topics"));
}
