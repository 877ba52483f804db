//! Reading libtest's plain output.
//!
//! With `--test-threads=1` libtest writes `test NAME ... ` when a test starts and the verdict
//! (`ok`, `FAILED`, `ignored`) on the same line when it ends, so the part before the verdict
//! says which test is running now. After the run, a `---- NAME stdout ----` section per failure
//! holds its panic: `thread 'NAME' panicked at FILE:LINE:COL:` and the message (for
//! `assert_eq!` the `left:`/`right:` values; on a skeleton the `todo!("lab NN step K: ...")`
//! text, which tells the learner what to write).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    pub name: String,
    pub outcome: Outcome,
}

impl TestResult {
    /// The step a test checks, from its name: `step2_reads_from_any_offset` is step 2.
    pub fn step(&self) -> Option<u32> {
        step_of(&self.name)
    }
}

pub fn step_of(name: &str) -> Option<u32> {
    let last = name.rsplit("::").next()?;
    let rest = last.strip_prefix("step")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if rest[digits.len()..].starts_with('_') {
        digits.parse().ok()
    } else {
        None
    }
}

/// Parses one line of libtest output: `test some::name ... ok`.
pub fn parse_result_line(line: &str) -> Option<TestResult> {
    let rest = line.strip_prefix("test ")?;
    let (name, verdict) = rest.split_once(" ... ")?;
    let outcome = match verdict.trim() {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        v if v.starts_with("ignored") => Outcome::Ignored,
        _ => return None,
    };
    Some(TestResult {
        name: name.trim().to_string(),
        outcome,
    })
}

/// The test that has started but not ended: a line so far of `test NAME ... ` with no verdict.
pub fn started_test(partial_line: &str) -> Option<&str> {
    let name = partial_line.strip_prefix("test ")?.strip_suffix(" ... ")?;
    (!name.is_empty() && !name.contains(' ')).then_some(name)
}

/// One failed test's panic, as libtest printed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Panic {
    /// `FILE:LINE:COL` from `panicked at`, when the panic said where.
    pub location: Option<String>,
    /// The message lines (at most eight), without backtrace notes.
    pub message: String,
}

/// Collects the panic of each `---- NAME stdout ----` section of libtest's output.
pub fn parse_panics(stdout: &str) -> BTreeMap<String, Panic> {
    let mut panics = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    let mut finish = |current: &mut Option<(String, Vec<&str>)>| {
        if let Some((name, lines)) = current.take() {
            panics.insert(name, panic_of(&lines));
        }
    };
    for line in stdout.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|r| r.strip_suffix(" stdout ----"))
        {
            finish(&mut current);
            current = Some((name.to_string(), Vec::new()));
        } else if line == "failures:" || line.starts_with("test result:") {
            finish(&mut current);
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    finish(&mut current);
    panics
}

/// Collects the panic message of each failure section (see `parse_panics`).
pub fn parse_failures(stdout: &str) -> BTreeMap<String, String> {
    parse_panics(stdout)
        .into_iter()
        .map(|(name, panic)| (name, panic.message))
        .collect()
}

/// The location and message after `thread '...' panicked at FILE:LINE:COL:`.
fn panic_of(lines: &[&str]) -> Panic {
    let at = lines.iter().position(|l| l.contains("panicked at"));
    let location = at.and_then(|i| {
        let rest = lines[i].split("panicked at ").nth(1)?;
        let rest = rest.trim_end().trim_end_matches(':');
        // Older Rust puts the message first: `panicked at 'msg', file:line:col`.
        let location = rest.rsplit(", ").next().unwrap_or(rest);
        Some(location.to_string())
    });
    let message = lines[at.map_or(0, |i| i + 1)..]
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.trim().is_empty() && !l.starts_with("note: run with"))
        .take(8)
        .collect::<Vec<_>>()
        .join("\n");
    Panic { location, message }
}
