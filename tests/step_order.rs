//! `dev verify`'s step-order check on a tiny course of one lab with two steps: a step-1 test
//! that needs step 2, and a step-2 test that checks only given code, are both reported, by lab,
//! test and what was expected.

use std::path::Path;

use kafkalab::manifest::Manifest;

fn write(root: &Path, path: &str, text: &str) {
    let file = root.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

const MANIFEST: &str = r#"parts:
  - part: 1
    title: { en: "one", ko: "하나" }
labs:
  - number: 1
    crate: lab01-tiny
    path: 01-tiny
    part: 1
    title: { en: "tiny", ko: "작은" }
    topic: { en: "order", ko: "순서" }
    steps:
      1: { en: "one", ko: "하나" }
      2: { en: "two", ko: "둘" }
    hints:
      - { en: "nudge", ko: "실마리" }
      - { en: "design", ko: "설계" }
      - { en: "sketch", ko: "스케치" }
"#;

const LIB: &str = r#"pub fn one() -> u32 {
    // BEGIN SOLUTION step 1: return one
    1
    // END SOLUTION
}

pub fn two() -> u32 {
    // BEGIN SOLUTION step 2: return two
    2
    // END SOLUTION
}
"#;

fn tiny_course(root: &Path) {
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"labs/01-tiny\"]\nresolver = \"2\"\n\n[workspace.lints.rust]\n",
    );
    write(root, "labs/labs.yaml", MANIFEST);
    write(
        root,
        "labs/01-tiny/Cargo.toml",
        "[package]\nname = \"lab01-tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lints]\nworkspace = true\n",
    );
    write(root, "labs/01-tiny/README.md", "# tiny\n");
    write(root, "labs/01-tiny/README.ko.md", "# 작은\n");
    write(root, "labs/01-tiny/src/lib.rs", LIB);
    write(
        root,
        "labs/01-tiny/tests/step1_one.rs",
        "#[test]\nfn step1_one_is_one() {\n    assert_eq!(lab01_tiny::one(), 1);\n}\n\n\
         #[test]\nfn step1_needs_step_two() {\n    assert_eq!(lab01_tiny::one() + lab01_tiny::two(), 3);\n}\n",
    );
    write(
        root,
        "labs/01-tiny/tests/step2_two.rs",
        "#[test]\nfn step2_two_is_two() {\n    assert_eq!(lab01_tiny::two(), 2);\n}\n\n\
         #[test]\nfn step2_given_only() {\n    assert_eq!(1 + 1, 2);\n}\n",
    );
}

#[test]
fn a_test_needing_a_later_step_and_one_reaching_no_region_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tiny_course(root);
    let manifest = Manifest::load(root).unwrap();
    let mut lines = Vec::new();
    let error = kafkalab::verify::verify(root, &manifest, None, |l| lines.push(l.to_string()))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "lab 1: step1_needs_step_two needs a later step: it fails with steps ≤ 1 solved \
             and passes only with every step solved"
        ),
        "{error}"
    );
    assert!(
        error.contains(
            "lab 1: step2_given_only passed with step 2 still a skeleton (steps ≤ 1 solved): \
             it does not reach a step-2 region"
        ),
        "{error}"
    );
    assert!(error.starts_with("2 problem(s)"), "{error}");
    // One progress line per configuration.
    let configs: Vec<&String> = lines.iter().filter(|l| l.contains("lab 01: ")).collect();
    assert_eq!(configs.len(), 4, "{lines:#?}"); // built, 0 solved, 1 solved, reference
    assert!(
        configs[3].contains("reference, every step solved: 4 as expected, 0 not"),
        "{lines:#?}"
    );
}
