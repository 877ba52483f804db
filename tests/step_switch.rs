//! Step switches (`kafkalab::step_switch`): a region becomes an `if` on the lab's solved steps,
//! whose `else` is the workbook's skeleton text, and every line outside regions is kept.

use kafkalab::step_switch::{to_switched, variable};

const SOURCE: &str = r#"pub fn zigzag_encode(n: i64) -> u64 {
    // BEGIN SOLUTION step 1: map signed to unsigned so small magnitudes stay small
    ((n << 1) ^ (n >> 63)) as u64
    // END SOLUTION
}

fn two(given: u32) -> Result<(), Error> {
    let kept = 1;
    // BEGIN SOLUTION step 3: check the thing
    if given == 2 {
        return Err(Error::Two);
    }
    Ok(())
    // END SOLUTION
}
"#;

#[test]
fn each_region_is_an_if_whose_else_is_the_skeleton() {
    let out = to_switched(SOURCE, 7).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "pub fn zigzag_encode(n: i64) -> u64 {");
    assert!(
        lines[1].starts_with("    if ({ static SOLVED"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("KAFKALAB_SOLVED_STEPS_LAB_07"));
    assert!(lines[1].ends_with(">= 1 {"), "{}", lines[1]);
    assert_eq!(lines[2], "    ((n << 1) ^ (n >> 63)) as u64");
    assert_eq!(lines[3], "    } else {");
    assert_eq!(
        lines[4],
        "        todo!(\"lab 07 step 1: map signed to unsigned so small magnitudes stay small\")"
    );
    assert_eq!(lines[5], "    }");
    assert_eq!(lines[6], "}");
    assert!(out.contains("    let kept = 1;\n    if ({ static SOLVED"));
    assert!(out.contains(">= 3 {\n    if given == 2 {"));
    assert!(out.contains("todo!(\"lab 07 step 3: check the thing\")\n    }\n}\n"));
    assert!(!out.contains("SOLUTION"));
}

#[test]
fn a_file_without_regions_is_unchanged_and_bad_markers_are_refused() {
    let plain = "fn given() -> u32 {\n    1\n}\n";
    assert_eq!(to_switched(plain, 1).unwrap(), plain);
    let open = "fn f() {\n    // BEGIN SOLUTION step 1: do it\n    1\n}\n";
    assert_eq!(to_switched(open, 1).unwrap_err().line, 2);
    assert_eq!(variable(9), "KAFKALAB_SOLVED_STEPS_LAB_09");
}
