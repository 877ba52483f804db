//! Writing a workbook from a small workspace made in a temporary folder.

use std::fs;
use std::path::Path;

use kafkalab::lang::Lang;
use kafkalab::manifest::Manifest;
use kafkalab::progress::Progress;
use kafkalab::workbook::{is_workbook, relax_lints, write, write_with};

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
    topic: { en: a, ko: a }
    steps: { 1: { en: s, ko: s } }
    hints: [{ en: h, ko: h }, { en: h, ko: h }, { en: h, ko: h }]
  - number: 2
    crate: lab02-b
    path: 02-b
    part: 1
    title: { en: b, ko: b }
    topic: { en: b, ko: b }
    steps: { 1: { en: s, ko: s } }
    hints: [{ en: h, ko: h }, { en: h, ko: h }, { en: h, ko: h }]
"#;

const LIB: &str = "pub fn f() -> u32 {\n    // BEGIN SOLUTION step 1: return one\n    1\n    // END SOLUTION\n}\n";

fn put(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn source() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    put(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = []\n\n[workspace.lints.rust]\nunsafe_code = \"forbid\"\n",
    );
    put(root, "labs/labs.yaml", MANIFEST);
    put(root, "labs/01-a/src/lib.rs", LIB);
    put(root, "labs/01-a/tests/t.rs", "#[test]\nfn step1_x() {}\n");
    put(root, "labs/02-b/src/lib.rs", LIB);
    put(root, "labs/02-b/src/deep/more.rs", LIB);
    put(
        root,
        "labs/02-b/README.md",
        "// BEGIN SOLUTION step 1: not code\n",
    );
    put(root, "target/debug/junk", "x");
    put(root, ".git/HEAD", "x");
    put(
        root,
        ".kafkalab/progress.yaml",
        "labs: {1: {status: passed}}\n",
    );
    dir
}

#[test]
fn labs_from_the_start_lab_become_skeletons_and_earlier_ones_stay_solved() {
    let src = source();
    let manifest = Manifest::load(src.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("wb");
    let written = write(src.path(), &dest, 2, &manifest).unwrap();

    assert_eq!(written.skeleton_labs, vec![2]);
    assert_eq!(written.regions, 2);
    assert_eq!(
        fs::read_to_string(dest.join("labs/01-a/src/lib.rs")).unwrap(),
        LIB
    );
    let skeleton = "pub fn f() -> u32 {\n    todo!(\"lab 02 step 1: return one\")\n}\n";
    assert_eq!(
        fs::read_to_string(dest.join("labs/02-b/src/lib.rs")).unwrap(),
        skeleton
    );
    assert_eq!(
        fs::read_to_string(dest.join("labs/02-b/src/deep/more.rs")).unwrap(),
        skeleton
    );
    // Only Rust sources under src/ are rewritten.
    assert!(fs::read_to_string(dest.join("labs/02-b/README.md"))
        .unwrap()
        .contains("BEGIN SOLUTION"));
    assert!(dest.join("labs/01-a/tests/t.rs").is_file());

    // Build output, history and the author's own progress are not copied.
    assert!(!dest.join("target").exists());
    assert!(!dest.join(".git").exists());
    let progress = Progress::load(&dest).unwrap();
    assert_eq!(progress.workbook_from, Some(2));
    assert!(progress.labs.is_empty());

    let cargo = fs::read_to_string(dest.join("Cargo.toml")).unwrap();
    assert!(cargo.contains(
        "[workspace.lints.rust]\nunused = { level = \"allow\", priority = -1 }\nunsafe_code"
    ));
}

#[test]
fn a_non_empty_folder_is_refused_and_left_alone() {
    let src = source();
    let manifest = Manifest::load(src.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    put(out.path(), "mine.rs", "my work");
    let e = write(src.path(), out.path(), 1, &manifest).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    assert_eq!(
        fs::read_to_string(out.path().join("mine.rs")).unwrap(),
        "my work"
    );
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn an_empty_existing_folder_is_fine() {
    let src = source();
    let manifest = Manifest::load(src.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let written = write(src.path(), out.path(), 1, &manifest).unwrap();
    assert_eq!(written.skeleton_labs, vec![1, 2]);
    assert!(fs::read_to_string(out.path().join("labs/01-a/src/lib.rs"))
        .unwrap()
        .contains("todo!(\"lab 01 step 1"));
}

#[test]
fn a_broken_region_names_its_file_and_line() {
    let src = source();
    put(
        src.path(),
        "labs/02-b/src/lib.rs",
        "fn f() {\n    // BEGIN SOLUTION step 1: x\n}\n",
    );
    let manifest = Manifest::load(src.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let e = write(src.path(), &out.path().join("wb"), 1, &manifest)
        .unwrap_err()
        .to_string();
    assert!(e.contains("02-b/src/lib.rs:2"), "{e}");
    assert!(e.contains("never closed"), "{e}");
}

#[test]
fn lints_are_relaxed_even_without_a_lints_table() {
    let text = relax_lints("[workspace]\nmembers = []\n");
    assert!(
        text.ends_with("[workspace.lints.rust]\nunused = { level = \"allow\", priority = -1 }\n")
    );
    // A comment naming the table is not the table.
    let text = relax_lints("# see [workspace.lints.rust] below\n[workspace.lints.rust]\nx = 1\n");
    assert_eq!(text.matches("unused =").count(), 1);
    assert!(text.contains("[workspace.lints.rust]\nunused"));
}

#[test]
fn a_workbook_of_a_workbook_is_refused_with_the_way_to_go() {
    let src = source();
    let manifest = Manifest::load(src.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let first = out.path().join("wb");
    write(src.path(), &first, 1, &manifest).unwrap();
    assert!(is_workbook(&first) && !is_workbook(src.path()));
    let e = write(&first, &out.path().join("wb2"), 1, &manifest)
        .unwrap_err()
        .to_string();
    assert!(e.contains("is a workbook already"), "{e}");
    assert!(e.contains("cargo lab workbook DIR"), "{e}");
    assert!(!out.path().join("wb2").exists());
}

#[test]
fn relaxing_the_lints_twice_adds_the_line_once() {
    let once = relax_lints("[workspace.lints.rust]\nunsafe_code = \"forbid\"\n");
    assert_eq!(relax_lints(&once), once);
    assert_eq!(once.matches("unused =").count(), 1);
}

#[test]
fn a_korean_workbook_writes_korean_todo_texts_and_says_each_lab() {
    let src = source();
    put(
        src.path(),
        "labs/01-a/src/lib.rs",
        "pub fn f() -> u32 {\n    // BEGIN SOLUTION step 1: return one\n    // ko: 1을 돌려줍니다\n    1\n    // END SOLUTION\n}\n",
    );
    let manifest = Manifest::load(src.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("wb");
    let mut said = Vec::new();
    write_with(src.path(), &dest, 1, &manifest, Lang::Ko, &mut |line| {
        said.push(line.to_string())
    })
    .unwrap();
    let lib = fs::read_to_string(dest.join("labs/01-a/src/lib.rs")).unwrap();
    assert!(
        lib.contains("todo!(\"실습 01 단계 1: 1을 돌려줍니다\")"),
        "{lib}"
    );
    assert!(!lib.contains("ko:"), "{lib}");
    assert_eq!(said, ["실습 01 (1/2, 뼈대)", "실습 02 (2/2, 뼈대)"]);
}
