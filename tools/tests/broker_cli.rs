//! `kafkalab kafka-server-start`: a bad server.properties stops it at start with the line and
//! key named; an unknown key is only a warning.

use assert_cmd::Command;
use predicates::prelude::*;

fn start_with(config: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    std::fs::write(&path, config).unwrap();
    Command::cargo_bin("kafkalab-tools")
        .unwrap()
        .arg("kafka-server-start")
        .arg(&path)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
}

#[test]
fn a_bad_value_names_its_line_and_key() {
    start_with("broker.id=1\nnum.partitions=three\n")
        .failure()
        .stderr(predicate::str::contains(
            "server.properties line 2: num.partitions",
        ));
    start_with("listeners=localhost-9092\n")
        .failure()
        .stderr(predicate::str::contains("line 1: listeners"));
    start_with("auto.create.topics.enable=maybe\n")
        .failure()
        .stderr(predicate::str::contains("not true or false"));
}

#[test]
fn a_missing_file_is_a_clear_error() {
    Command::cargo_bin("kafkalab-tools")
        .unwrap()
        .args(["kafka-server-start", "/nonexistent/server.properties"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "cannot use /nonexistent/server.properties",
        ));
}
