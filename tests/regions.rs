//! The solution-region format of `labs/AUTHORING.md`, as the workbook generator reads it.

use kafkalab::lang::Lang;
use kafkalab::regions::{find, to_skeleton, to_skeleton_in, Region};

const SOURCE: &str = r#"pub fn zigzag_encode(n: i64) -> u64 {
    // BEGIN SOLUTION step 1: map signed to unsigned so small magnitudes stay small
    ((n << 1) ^ (n >> 63)) as u64
    // END SOLUTION
}

impl Thing {
    fn two(&self) -> Result<(), Error> {
        let given = 1;
        // BEGIN SOLUTION step 3: check the thing
        if given == 2 {
            return Err(Error::Two);
        }
        Ok(())
        // END SOLUTION
    }
}
"#;

#[test]
fn regions_are_found_with_step_and_instruction() {
    let regions = find(SOURCE).unwrap();
    assert_eq!(
        regions,
        vec![
            Region {
                line: 2,
                step: 1,
                instruction: "map signed to unsigned so small magnitudes stay small".into(),
                ko: None,
            },
            Region {
                line: 10,
                step: 3,
                instruction: "check the thing".into(),
                ko: None,
            },
        ]
    );
}

#[test]
fn skeleton_replaces_each_region_with_a_todo_at_its_indentation() {
    let skeleton = to_skeleton(SOURCE, 2).unwrap();
    let expected = r#"pub fn zigzag_encode(n: i64) -> u64 {
    todo!("lab 02 step 1: map signed to unsigned so small magnitudes stay small")
}

impl Thing {
    fn two(&self) -> Result<(), Error> {
        let given = 1;
        todo!("lab 02 step 3: check the thing")
    }
}
"#;
    assert_eq!(skeleton, expected);
}

#[test]
fn a_file_without_regions_is_unchanged() {
    let text = "fn main() {\n    println!(\"hi\");\n}\n";
    assert_eq!(to_skeleton(text, 1).unwrap(), text);
}

fn error_of(source: &str) -> (usize, String) {
    let e = find(source).unwrap_err();
    (e.line, e.reason)
}

#[test]
fn malformed_markers_are_reported_with_their_line() {
    let (line, reason) = error_of("a\n// BEGIN SOLUTION step 1: x\nb\n");
    assert_eq!(line, 2);
    assert!(reason.contains("never closed"), "{reason}");

    let (line, reason) = error_of("a\n// END SOLUTION\n");
    assert_eq!(line, 2);
    assert!(reason.contains("without a BEGIN"), "{reason}");

    let (line, reason) =
        error_of("// BEGIN SOLUTION step 1: x\n// BEGIN SOLUTION step 2: y\n// END SOLUTION\n");
    assert_eq!(line, 2);
    assert!(reason.contains("cannot nest"), "{reason}");

    let (_, reason) = error_of("// BEGIN SOLUTION do it\n// END SOLUTION\n");
    assert!(reason.contains("step N"), "{reason}");

    let (_, reason) = error_of("// BEGIN SOLUTION step two: x\n// END SOLUTION\n");
    assert!(reason.contains("whole number"), "{reason}");

    let (_, reason) = error_of("// BEGIN SOLUTION step 1:\n// END SOLUTION\n");
    assert!(reason.contains("say what"), "{reason}");

    let (_, reason) = error_of("// BEGIN SOLUTION step 1: print \"x\"\n// END SOLUTION\n");
    assert!(reason.contains("todo!() string"), "{reason}");
}

const KO_SOURCE: &str = "fn f() -> u32 {
    // BEGIN SOLUTION step 4: decode the header
    // ko: 헤더를 디코딩합니다
    1
    // END SOLUTION
}
";

#[test]
fn a_ko_line_right_after_begin_is_the_korean_instruction() {
    let regions = find(KO_SOURCE).unwrap();
    assert_eq!(regions[0].ko.as_deref(), Some("헤더를 디코딩합니다"));
    assert_eq!(
        to_skeleton_in(KO_SOURCE, 1, Lang::Ko).unwrap(),
        "fn f() -> u32 {\n    todo!(\"실습 01 단계 4: 헤더를 디코딩합니다\")\n}\n"
    );
    // In English, and for Korean output without a ko line, the English text; the ko line goes
    // with the region either way.
    assert_eq!(
        to_skeleton(KO_SOURCE, 1).unwrap(),
        "fn f() -> u32 {\n    todo!(\"lab 01 step 4: decode the header\")\n}\n"
    );
    let en_only = KO_SOURCE.replace("    // ko: 헤더를 디코딩합니다\n", "");
    assert_eq!(
        to_skeleton_in(&en_only, 1, Lang::Ko).unwrap(),
        to_skeleton(KO_SOURCE, 1).unwrap()
    );
}

#[test]
fn a_ko_line_elsewhere_is_code_and_a_bad_one_is_reported() {
    let later =
        "// BEGIN SOLUTION step 1: x\nlet a = 1;\n// ko: not the instruction\n// END SOLUTION\n";
    assert_eq!(find(later).unwrap()[0].ko, None);
    let (line, reason) = error_of("// BEGIN SOLUTION step 1: x\n// ko: \"q\"\n// END SOLUTION\n");
    assert_eq!(line, 2);
    assert!(reason.contains("ko:"), "{reason}");
}
