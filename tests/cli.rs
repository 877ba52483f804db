//! The `kafkalab` runner end to end: a workbook made from this repository, checked with the
//! real `cargo test`, as a learner would use it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn kafkalab(workspace: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kafkalab").unwrap();
    cmd.arg("--workspace")
        .arg(workspace)
        .env("KAFKALAB_LANG", "en");
    // Workbooks share one build folder so that each test does not compile the labs afresh.
    let target = repo().join("target").join("kafkalab-cli-test");
    cmd.env("CARGO_TARGET_DIR", &target)
        .env("KAFKALAB_TARGET_DIR", &target);
    cmd
}

fn workbook(from: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let wb = dir.path().join("wb");
    kafkalab(&repo())
        .args(["workbook"])
        .arg(&wb)
        .args(["--from", from])
        .assert()
        .success()
        .stdout(predicate::str::contains("Labs to write:"));
    (dir, wb)
}

#[test]
fn labs_prints_the_course_table_in_both_languages() {
    let (_dir, wb) = workbook("1");
    let table = kafkalab(&wb)
        .arg("labs")
        .assert()
        .success()
        .stdout(predicate::str::contains("Record batches"))
        .stdout(predicate::str::contains("Failover"))
        .stdout(predicate::str::contains("not started"));
    // A planned lab shows as such (once every lab is written, there is none to show).
    let manifest = kafkalab::manifest::Manifest::load(&repo()).unwrap();
    if manifest.labs.iter().any(|l| l.available().is_none()) {
        table.stdout(predicate::str::contains("planned"));
    }
    kafkalab(&wb)
        .args(["labs", "--lang", "ko"])
        .assert()
        .success()
        .stdout(predicate::str::contains("레코드 배치"))
        .stdout(predicate::str::contains("시작 전"));
}

#[test]
fn hints_come_one_tier_at_a_time() {
    let (_dir, wb) = workbook("1");
    // No check is recorded: the hints are step 1's, one tier per call, and after the third
    // the runner says there are no more instead of repeating it.
    for tier in [
        "1/3 (nudge)",
        "2/3 (design)",
        "3/3 (sketch)",
        "there are no more",
    ] {
        kafkalab(&wb)
            .args(["hint", "2"])
            .assert()
            .success()
            .stdout(predicate::str::contains(tier));
    }
    kafkalab(&wb)
        .args(["hint", "02", "--level", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1/3 (nudge)"));
    // A planned lab has no hints yet (once every lab is written, there is none to ask).
    let manifest = kafkalab::manifest::Manifest::load(&repo()).unwrap();
    if let Some(planned) = manifest.labs.iter().find(|l| l.available().is_none()) {
        kafkalab(&wb)
            .args(["hint", &planned.number.to_string()])
            .assert()
            .failure()
            .stderr(predicate::str::contains("planned"));
    }
    kafkalab(&wb)
        .args(["hint", "42"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no lab `42`"));
}

#[test]
fn workbook_refuses_a_folder_with_files_in_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    kafkalab(&repo())
        .arg("workbook")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("not empty"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn check_in_a_workbook_from_lab_2_fails_lab_2_and_passes_lab_1() {
    let (_dir, wb) = workbook("2");
    kafkalab(&wb)
        .args(["check", "2"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("lab 02"))
        .stdout(predicate::str::contains("0/"))
        .stdout(predicate::str::contains("lab 02 step 1:"))
        .stdout(predicate::str::contains("Next: step 1"));
    kafkalab(&wb)
        .args(["check", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("✓"));
    kafkalab(&wb)
        .arg("labs")
        .assert()
        .success()
        .stdout(predicate::str::contains("given (solved)"))
        .stdout(predicate::str::contains("failing (0/"));
    let progress = std::fs::read_to_string(wb.join(".kafkalab/progress.yaml")).unwrap();
    assert!(progress.contains("workbook_from: 2"), "{progress}");
    assert!(progress.contains("status: failing"), "{progress}");
}

/// `kafkalab hint 10 | head -0`: the runner stops quietly when its reader has gone, with the
/// status of a process that SIGPIPE ended (141), not a panic about a broken pipe. The pipe's
/// reading end is closed before the runner starts, so its first print meets a closed pipe.
#[test]
fn a_closed_pipe_ends_the_runner_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("kafkalab"))
        .args(["hint", "10", "--lang", "en"])
        .current_dir(repo())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}
