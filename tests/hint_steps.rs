//! `hint` gives the tiers of the step the learner is on, one per call, and says when there are
//! no more; `--step` picks any step; the labels follow the language. Also: every lab of the
//! real manifest whose hints are per step has three tiers for each of its steps.

use std::path::Path;

use assert_cmd::Command;
use kafkalab::manifest::{Hints, Manifest};
use kafkalab::progress::Progress;
use predicates::prelude::*;

const MANIFEST: &str = r#"
parts:
  - part: 1
    title: { en: p, ko: p }
labs:
  - number: 1
    crate: lab01-a
    path: 01-a
    part: 1
    title: { en: a, ko: a }
    topic: { en: t, ko: t }
    steps:
      1: { en: first, ko: 첫째 }
      2: { en: second, ko: 둘째 }
    hints:
      1:
        - { en: S1-NUDGE, ko: S1-실마리 }
        - { en: S1-DESIGN, ko: S1-설계 }
        - { en: S1-SKETCH, ko: S1-스케치 }
      2:
        - { en: S2-NUDGE, ko: S2-실마리 }
        - { en: S2-DESIGN, ko: S2-설계 }
        - { en: S2-SKETCH, ko: S2-스케치 }
  - number: 2
    crate: lab02-b
    path: 02-b
    part: 1
    title: { en: b, ko: b }
    topic: { en: t, ko: t }
    steps: { 1: { en: only, ko: only } }
    hints: [{ en: L-NUDGE, ko: L }, { en: L-DESIGN, ko: L }, { en: L-SKETCH, ko: L }]
"#;

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("labs")).unwrap();
    std::fs::write(dir.path().join("labs/labs.yaml"), MANIFEST).unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\n").unwrap();
    dir
}

fn hint(root: &Path, args: &[&str]) -> String {
    let output = Command::cargo_bin("kafkalab")
        .unwrap()
        .arg("--workspace")
        .arg(root)
        .arg("hint")
        .args(args)
        .env("KAFKALAB_LANG", "en")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[test]
fn without_a_recorded_check_the_hints_are_step_1s_only() {
    let dir = workspace();
    let out = hint(dir.path(), &["1"]);
    assert!(
        out.contains("S1-NUDGE") && out.contains("1/3 (nudge)"),
        "{out}"
    );
    assert!(!out.contains("S2-"), "{out}");
    assert!(out.contains("cargo lab check 1"), "{out}");
}

#[test]
fn the_step_is_the_first_that_failed_and_tiers_come_once_each() {
    let dir = workspace();
    let mut progress = Progress::default();
    let lab = progress.lab_mut(1);
    lab.steps.insert(1, true);
    lab.steps.insert(2, false);
    progress.save(dir.path()).unwrap();

    let first = hint(dir.path(), &["1"]);
    assert!(
        first.contains("S2-NUDGE") && first.contains("step 2: second"),
        "{first}"
    );
    assert!(first.contains("cargo lab hint 1 --step 2"), "{first}");
    assert!(hint(dir.path(), &["1"]).contains("S2-DESIGN"));
    assert!(hint(dir.path(), &["1"]).contains("S2-SKETCH"));
    let done = hint(dir.path(), &["1"]);
    assert!(done.contains("there are no more"), "{done}");
    assert!(
        !done.contains("S2-SKETCH"),
        "tier 3 must not repeat silently:\n{done}"
    );
    // Any step on request, each with its own count; --level still works.
    assert!(hint(dir.path(), &["1", "--step", "1"]).contains("S1-NUDGE"));
    assert!(hint(dir.path(), &["1", "--step", "1", "--level", "3"]).contains("S1-SKETCH"));
    assert!(hint(dir.path(), &["1", "--level", "2"]).contains("S2-DESIGN"));
}

#[test]
fn tier_labels_are_korean_under_lang_ko() {
    let dir = workspace();
    Command::cargo_bin("kafkalab")
        .unwrap()
        .arg("--workspace")
        .arg(dir.path())
        .args(["hint", "1", "--lang", "ko"])
        .assert()
        .success()
        .stdout(predicate::str::contains("(실마리)"));
    Command::cargo_bin("kafkalab")
        .unwrap()
        .arg("--workspace")
        .arg(dir.path())
        .args(["hint", "1", "--lang", "ko", "--level", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "힌트 3/3 (코드 스케치) — 실습 01 · 단계 1: 첫째",
        ))
        .stdout(predicate::str::contains("S1-스케치"));
}

#[test]
fn the_older_whole_lab_list_still_works_and_an_unknown_step_is_named() {
    let dir = workspace();
    for tier in ["L-NUDGE", "L-DESIGN", "L-SKETCH", "there are no more"] {
        let out = hint(dir.path(), &["2"]);
        assert!(out.contains(tier), "{tier}:\n{out}");
    }
    Command::cargo_bin("kafkalab")
        .unwrap()
        .arg("--workspace")
        .arg(dir.path())
        .args(["hint", "1", "--step", "9"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("lab 1 has no step 9"));
}

fn real_manifest() -> Manifest {
    Manifest::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Every lab converted to per-step hints has them for each step (labs still in the older
/// whole-lab form are skipped until they are converted).
#[test]
fn labs_with_per_step_hints_have_them_for_every_step() {
    for lab in real_manifest().available() {
        if let Hints::PerStep(hints) = &lab.hints {
            for step in lab.steps.keys() {
                let tiers = hints.get(step).map_or(0, Vec::len);
                assert_eq!(
                    tiers, 3,
                    "lab {} step {step} has {tiers} hint tiers",
                    lab.number
                );
            }
        }
    }
}

/// Once every lab is converted, this one holds too: un-ignore it then.
#[test]
fn every_lab_has_per_step_hints() {
    for lab in real_manifest().available() {
        assert!(
            lab.hints.is_per_step(),
            "lab {}'s hints are one list for the whole lab, not per step",
            lab.number
        );
    }
}
