//! The Korean README of a lab repeats the English one's `check N`, and the top README's
//! `cargo lab check 1` is the lab README's `cargo run -- check 1`: the same command on the same
//! sources, a few seconds of tests each time. A repeat of a command that passed is not run
//! again while the labs' sources stay as they were then; it counts as passed, and the output
//! names the line that ran it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Each file under `labs/` with its size and modification time.
type Stamp = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Every file under the workbook's `labs/`, with its size and modification time: what `check`
/// compiles and tests. A command that changes a lab changes this.
fn labs_stamp(workbook: &Path) -> Stamp {
    let mut files = Vec::new();
    let mut dirs = vec![workbook.join("labs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(path);
            } else {
                files.push((path, meta.len(), meta.modified().ok()));
            }
        }
    }
    files.sort();
    files
}

/// `check N` (with or without `-v`), whichever way the README spells the runner: the command
/// that `check` runs, without its trailing comment. None for any other command.
pub fn check_key(shell_text: &str) -> Option<String> {
    let command = shell_text.split(" #").next().unwrap_or(shell_text);
    let words: Vec<&str> = command.split_whitespace().collect();
    let is_check = words.len() >= 3
        && words[0] == "\"$KAFKALAB\""
        && words[1] == "check"
        && words[2].parse::<u32>().is_ok();
    is_check.then(|| words.join(" "))
}

/// The `check` commands that passed, each with the README line that ran it and the labs'
/// sources at that time.
#[derive(Default)]
pub struct Passed {
    seen: HashMap<String, (String, Stamp)>,
}

impl Passed {
    /// The README line that ran `key` on the sources the workbook has now, if it passed.
    pub fn ran_as(&self, workbook: &Path, key: &str) -> Option<&str> {
        let (place, stamp) = self.seen.get(key)?;
        (*stamp == labs_stamp(workbook)).then_some(place.as_str())
    }

    pub fn record(&mut self, workbook: &Path, key: String, place: String) {
        self.seen.insert(key, (place, labs_stamp(workbook)));
    }
}

#[test]
fn a_check_is_the_same_command_whichever_way_it_is_spelled_and_commented() {
    let key = |s: &str| check_key(s);
    assert_eq!(
        key("\"$KAFKALAB\" check 1        # run lab 1's tests"),
        key("\"$KAFKALAB\" check 1                # the same, summarised per step")
    );
    assert!(key("\"$KAFKALAB\" check 1").is_some());
    assert_ne!(
        key("\"$KAFKALAB\" check 1 -v"),
        key("\"$KAFKALAB\" check 1")
    );
    assert_eq!(key("\"$KAFKALAB\" hint 1"), None);
    assert_eq!(key("\"$KAFKALAB\" check"), None);
}

#[test]
fn a_passed_check_counts_again_only_on_the_same_sources() {
    let workbook = tempfile::tempdir().unwrap();
    let lab = workbook.path().join("labs/01-record-batch/src");
    std::fs::create_dir_all(&lab).unwrap();
    std::fs::write(lab.join("lib.rs"), "// skeleton\n").unwrap();
    let mut passed = Passed::default();
    let key = check_key("\"$KAFKALAB\" check 1").unwrap();
    assert_eq!(passed.ran_as(workbook.path(), &key), None);
    passed.record(workbook.path(), key.clone(), "README.md:130".into());
    assert_eq!(passed.ran_as(workbook.path(), &key), Some("README.md:130"));
    std::fs::write(lab.join("lib.rs"), "// written by the learner\n").unwrap();
    assert_eq!(passed.ran_as(workbook.path(), &key), None);
}
