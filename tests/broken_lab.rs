//! A half-written line in one lab must not take the runner down with it. The runner links no
//! lab, so in a workbook whose lab 02 has a syntax error `labs`, `hint` and `check 1` still
//! work, even through `cargo run` as a learner types them, and `check 2` reports the compiler's
//! error with its file and line as lab 02's failure.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use kafkalab::manifest::Manifest;
use predicates::prelude::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The build folder of the workbooks of these tests: under `target/`, kept between runs so that
/// only the first run compiles the runner's and lab 01's dependencies, and apart from the
/// outer build so that the nested cargo never waits for the outer one's lock.
fn target_dir() -> PathBuf {
    repo().join("target").join("kafkalab-cli-test")
}

fn kafkalab(workspace: &Path) -> Command {
    let mut cmd = Command::cargo_bin("kafkalab").unwrap();
    cmd.arg("--workspace")
        .arg(workspace)
        .env("KAFKALAB_LANG", "en")
        .env("CARGO_TARGET_DIR", target_dir())
        .env("KAFKALAB_TARGET_DIR", target_dir());
    cmd
}

/// The workbook made `--from 9` (labs 01-08 solved: only lab 09's skeleton to compile around),
/// with a half-written line appended to a lab 02 source file. Returns that file, relative to
/// the workbook, and the line of the mistake.
fn broken_workbook(wb: &Path) -> (String, usize) {
    kafkalab(&repo())
        .arg("workbook")
        .arg(wb)
        .args(["--from", "9"])
        .assert()
        .success();
    let manifest = Manifest::load(&repo()).unwrap();
    let (_, path) = manifest.find("2").unwrap().available().unwrap();
    let file = format!("labs/{path}/src/lib.rs");
    let text = std::fs::read_to_string(wb.join(&file)).unwrap();
    let line = text.lines().count() + 1;
    let broken = format!("{text}pub fn half_written() -> u64 {{ let offset = ; offset }}\n");
    std::fs::write(wb.join(&file), broken).unwrap();
    (file, line)
}

#[test]
fn a_syntax_error_in_lab_2_stops_only_lab_2() {
    let dir = tempfile::tempdir().unwrap();
    let wb = dir.path().join("wb");
    let (file, line) = broken_workbook(&wb);

    kafkalab(&wb)
        .arg("labs")
        .assert()
        .success()
        .stdout(predicate::str::contains("Record batches"));

    // What the learner types when stuck: `cargo lab hint 1` (the workbook's cargo alias for
    // `cargo run --quiet -p kafkalab --`) builds the runner in the workbook, and the runner
    // builds without lab 02.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Process::new(cargo)
        .args(["lab", "hint", "1"])
        .current_dir(&wb)
        .env("KAFKALAB_LANG", "en")
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("Hint 1/3"),
        "cargo lab hint 1 in the workbook:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A fresh workbook has no check recorded: the hint is step 1's nudge, and step 1's only.
    let manifest = Manifest::load(&wb).unwrap();
    let lab01 = manifest.find("1").unwrap();
    let tier = |step: u32| {
        let text = lab01.hints.for_step(step).unwrap()[0].get(kafkalab::lang::Lang::En);
        // The runner wraps lines; compare the first few words.
        text.split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let shown = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(shown.contains("step 1"), "{stdout}");
    assert!(shown.contains(&tier(1)), "not step 1's nudge:\n{stdout}");
    assert!(
        !shown.contains(&tier(2)),
        "step 2's nudge in step 1's hint:\n{stdout}"
    );

    kafkalab(&wb)
        .args(["check", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("✓"));

    let location = format!("{file}:{line}:");
    kafkalab(&wb)
        .args(["check", "2"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("lab 02"))
        .stdout(predicate::str::contains("does not compile"))
        .stdout(predicate::str::contains(location))
        .stdout(predicate::str::contains("expected expression"));
    let progress = std::fs::read_to_string(wb.join(".kafkalab/progress.yaml")).unwrap();
    assert!(progress.contains("status: failing"), "{progress}");
}
