//! `kafkalab kafka-…`, `kafkalab zookeeper-…`, `kafkalab zk-bench` run kafkalab-tools with the
//! arguments untouched and give back its exit code. `KAFKALAB_TOOLS` names the built tools
//! binary, so kafkalab does not start cargo here; `commands::tools`' unit tests cover the other
//! ways of finding it.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn kafkalab(tools: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kafkalab").unwrap();
    cmd.env("KAFKALAB_TOOLS", tools);
    cmd
}

#[test]
fn tool_commands_print_the_tools_own_help() {
    let tools = kafkalab_testkit::built_tools_bin();
    kafkalab(&tools)
        .args(["kafka-topics", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kafkalab-tools kafka-topics"))
        .stdout(predicate::str::contains("--bootstrap-server"));
    // The tools of lab 06's steps 10–12 pass through the same way.
    for (command, flag) in [
        ("kafka-configs", "--add-config"),
        ("kafka-delete-records", "--offset-json-file"),
    ] {
        kafkalab(&tools)
            .args([command, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains(format!(
                "kafkalab-tools {command}"
            )))
            .stdout(predicate::str::contains(flag));
    }
    kafkalab(&tools)
        .args(["zookeeper-shell", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("kafkalab-tools zookeeper-shell"));
}

#[test]
fn the_tools_exit_code_and_arguments_pass_through_untouched() {
    let tools = kafkalab_testkit::built_tools_bin();
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
    let tools = kafkalab_testkit::built_tools_bin();
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
    let tools = kafkalab_testkit::built_tools_bin();
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
