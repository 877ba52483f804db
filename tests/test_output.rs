//! Reading libtest's plain output, as `kafkalab check` and `dev verify` do.

use kafkalab::test_run::libtest::started_test;
use kafkalab::test_run::{parse_failures, parse_panics, parse_result_line, step_of, Outcome};

#[test]
fn result_lines_are_parsed() {
    let r = parse_result_line("test step2_reads_from_any_offset ... ok").unwrap();
    assert_eq!(r.name, "step2_reads_from_any_offset");
    assert_eq!(r.outcome, Outcome::Passed);
    assert_eq!(r.step(), Some(2));

    let r = parse_result_line("test tests::step10_big ... FAILED").unwrap();
    assert_eq!((r.outcome, r.step()), (Outcome::Failed, Some(10)));

    let r = parse_result_line("test slow ... ignored, needs docker").unwrap();
    assert_eq!((r.outcome, r.step()), (Outcome::Ignored, None));

    assert!(parse_result_line("running 3 tests").is_none());
    assert!(parse_result_line("test result: ok. 3 passed; 0 failed").is_none());
}

#[test]
fn step_numbers_need_an_underscore_after_the_digits() {
    assert_eq!(step_of("step3_torn_tail_is_truncated"), Some(3));
    assert_eq!(step_of("stepping_stone"), None);
    assert_eq!(step_of("step3"), None);
    assert_eq!(step_of("my_step1_test"), None);
}

#[test]
fn failure_sections_give_the_panic_message() {
    let stdout = "\
running 2 tests
test step1_a ... FAILED
test step2_b ... FAILED

failures:

---- step1_a stdout ----

thread 'step1_a' panicked at labs/01-record-batch/src/varint.rs:12:5:
not yet implemented: lab 01 step 1: map signed to unsigned
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- step2_b stdout ----

thread 'step2_b' panicked at labs/01-record-batch/tests/step2.rs:9:5:
assertion `left == right` failed
  left: 1
 right: 2


failures:
    step1_a
    step2_b

test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out
";
    let failures = parse_failures(stdout);
    assert_eq!(
        failures["step1_a"],
        "not yet implemented: lab 01 step 1: map signed to unsigned"
    );
    // The values keep libtest's alignment, so `left` and `right` line up as printed.
    assert_eq!(
        failures["step2_b"],
        "assertion `left == right` failed\n  left: 1\n right: 2"
    );
    let panics = parse_panics(stdout);
    assert_eq!(
        panics["step2_b"].location.as_deref(),
        Some("labs/01-record-batch/tests/step2.rs:9:5")
    );
    assert_eq!(
        panics["step1_a"].location.as_deref(),
        Some("labs/01-record-batch/src/varint.rs:12:5")
    );
}

#[test]
fn a_started_test_is_the_line_so_far_without_a_verdict() {
    assert_eq!(
        started_test("test step6_pipelined ... "),
        Some("step6_pipelined")
    );
    assert_eq!(started_test("test step6_pipelined ... ok"), None);
    assert_eq!(started_test("running 3 tests"), None);
}
