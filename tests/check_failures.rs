//! `check` on a tiny lab made for it: a failing assertion is shown with the test's name, its
//! file:line and the left/right values; a test that hangs is stopped at the time limit and
//! named, and the tests after it still run; `-v` gives the commands to rerun; the Korean
//! output lines up by display width and every line fits in 100 columns.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use unicode_width::UnicodeWidthStr;

const MANIFEST: &str = r#"
parts:
  - part: 1
    title: { en: p, ko: p }
labs:
  - number: 1
    crate: lab01-fixture
    path: 01-fixture
    part: 1
    title: { en: A fixture, ko: 시험용 실습 }
    topic: { en: t, ko: t }
    steps:
      1: { en: passes, ko: 통과 }
      2: { en: an assertion that fails, ko: 실패하는 단언 }
      3: { en: a test that hangs, ko: 멈추는 테스트가 있는 아주 긴 한국어 단계 제목 }
      4: { en: a test that overflows its stack, ko: 스택이 넘치는 테스트 }
    hints: [{ en: h, ko: h }, { en: h, ko: h }, { en: h, ko: h }]
"#;

/// Step 3's first test never ends; it notes what it waits for the way `testkit::within` does.
const TESTS: &str = r#"
#[test]
fn step1_passes() {
    assert_eq!(lab01_fixture::two(), 2);
}

#[test]
fn step2_sums_are_checked() {
    assert_eq!(lab01_fixture::two(), 3, "two is not three");
}

#[test]
fn step3_a_hangs() {
    if let Some(path) = std::env::var_os("KAFKALAB_WAITING_FILE") {
        let name = std::thread::current().name().unwrap_or_default().to_string();
        std::fs::write(path, format!("{name}\ta reply that never comes\n")).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_secs(600));
}

#[test]
fn step3_b_runs_after_the_hang() {
    assert_eq!(lab01_fixture::two(), 2);
}

fn deeper(n: u64) -> u64 {
    if n == u64::MAX {
        0
    } else {
        1 + deeper(std::hint::black_box(n + 1))
    }
}

#[test]
fn step4_a_aborts() {
    assert_eq!(deeper(0), 0);
}

#[test]
fn step4_b_runs_after_the_abort() {
    assert_eq!(lab01_fixture::two(), 2);
}
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn put(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"labs/01-fixture\"]\nresolver = \"2\"\n",
    );
    put(root, "labs/labs.yaml", MANIFEST);
    put(
        root,
        "labs/01-fixture/Cargo.toml",
        "[package]\nname = \"lab01-fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    put(
        root,
        "labs/01-fixture/src/lib.rs",
        "pub fn two() -> u32 {\n    2\n}\n",
    );
    put(root, "labs/01-fixture/tests/steps.rs", TESTS);
    dir
}

fn check(root: &Path, args: &[&str]) -> (String, Duration) {
    let target = repo().join("target").join("kafkalab-cli-test");
    let started = Instant::now();
    let output = Command::cargo_bin("kafkalab")
        .unwrap()
        .arg("--workspace")
        .arg(root)
        .args(["check", "1", "--timeout", "3"])
        .args(args)
        .env("CARGO_TARGET_DIR", &target)
        .env("KAFKALAB_TARGET_DIR", &target)
        .timeout(Duration::from_secs(240))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(!output.status.success(), "check must fail:\n{stdout}");
    (stdout, started.elapsed())
}

#[test]
fn a_failing_assertion_and_a_hanging_test_are_named_with_where_and_why() {
    let dir = fixture();
    let (out, _) = check(dir.path(), &["--lang", "en"]);
    // The assertion: name, file:line, message and both values.
    assert!(
        out.contains("✗ step2_sums_are_checked  labs/01-fixture/tests/steps.rs:9:"),
        "{out}"
    );
    assert!(out.contains("two is not three"), "{out}");
    assert!(out.contains("left: 2"), "{out}");
    assert!(out.contains("right: 3"), "{out}");
    // The hang: stopped at the limit, named, with what it waited for; the next test still ran.
    assert!(
        out.contains("✗ step3_a_hangs  labs/01-fixture/tests/steps.rs"),
        "{out}"
    );
    assert!(
        out.contains(
            "stopped at the time limit of 3 s; it was waiting for a reply that never comes"
        ),
        "{out}"
    );
    assert!(
        out.contains("1/2"),
        "step3_b must run after the hang:\n{out}"
    );
    assert!(out.contains("Next: step 2"), "{out}");
    assert!(out.contains("cargo lab check 1 -v"), "{out}");
}

#[test]
fn verbose_check_prints_the_output_and_the_commands_to_rerun() {
    let dir = fixture();
    let (out, _) = check(dir.path(), &["--lang", "en", "-v"]);
    assert!(out.contains("test step1_passes ... ok"), "{out}");
    assert!(
        out.contains("cargo test -p lab01-fixture --test steps -- --test-threads=1"),
        "{out}"
    );
    assert!(
        out.contains(
            "cargo test -p lab01-fixture --test steps -- step3_a_hangs --exact --nocapture"
        ),
        "{out}"
    );
}

#[test]
fn korean_rows_line_up_by_display_width_and_every_line_fits() {
    let dir = fixture();
    let (out, elapsed) = check(dir.path(), &["--lang", "ko"]);
    // The hang costs its limit (3 s), not the 600 s it would sleep.
    assert!(elapsed < Duration::from_secs(200), "{elapsed:?}");
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("  단계 ")).collect();
    assert_eq!(rows.len(), 4, "{out}");
    let count_column = |row: &str| {
        let slash = row.find('/').unwrap();
        row[..slash].width()
    };
    let first = count_column(rows[0]);
    for row in &rows {
        assert_eq!(count_column(row), first, "rows do not line up:\n{out}");
    }
    for line in out.lines() {
        assert!(line.width() <= 100, "{} columns: {line}", line.width());
    }
    assert!(out.contains("다음: 단계 2"), "{out}");
    assert!(
        out.contains("시간 제한 3 s에 걸려 멈췄습니다. 기다리던 것: a reply that never comes"),
        "{out}"
    );
}
