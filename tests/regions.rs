//! The solution-region format of `labs/AUTHORING.md`, as the workbook generator reads it.

use kafkalab::regions::{find, to_skeleton, Region};

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
                instruction: "map signed to unsigned so small magnitudes stay small".into()
            },
            Region {
                line: 10,
                step: 3,
                instruction: "check the thing".into()
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
