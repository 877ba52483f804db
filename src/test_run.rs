//! Running one lab's tests with `cargo test` and reading libtest's plain output.
//!
//! libtest prints `test NAME ... ok` (or `FAILED`, `ignored`) as each test ends, then a
//! `---- NAME stdout ----` section per failure holding its panic message. On a skeleton that
//! message is the `todo!("lab NN step K: ...")` text, which tells the learner what to write.
//!
//! Cargo runs with `--message-format json`, so when the lab does not compile, its compiler
//! errors arrive as JSON on the same stream (see `cargo_messages`) with their file and line.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::cargo_messages::{self, CompileError};
use crate::error::Error;
use crate::workspace::cargo;

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

#[derive(Debug, Default)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    /// Test name → the first lines of its panic message.
    pub failures: BTreeMap<String, String>,
    /// Whether any test binary ran at all; false means the build failed.
    pub ran: bool,
    pub success: bool,
    /// The compiler's errors, in the order rustc reported them, each once.
    pub compile_errors: Vec<CompileError>,
    /// The end of cargo's error output (a broken Cargo.toml, a missing crate, ...).
    pub stderr_tail: String,
}

impl TestRun {
    pub fn passed(&self) -> usize {
        self.count(Outcome::Passed)
    }
    pub fn failed(&self) -> usize {
        self.count(Outcome::Failed)
    }
    fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Why the build failed, for a person: the compiler's first error as `file:line:col:
    /// message` and as rustc prints it, and how many more there are; without a compiler error
    /// (cargo itself failed), the end of cargo's output.
    pub fn build_failure(&self) -> String {
        let Some(first) = self.compile_errors.first() else {
            return self.stderr_tail.clone();
        };
        let mut text = format!("{}\n\n{}", first.location_line(), first.rendered);
        let more = self.compile_errors.len() - 1;
        if more > 0 {
            text.push_str(&format!(
                "\n\n(and {more} more error{}; fix this one first, the others often follow from it)",
                if more == 1 { "" } else { "s" }
            ));
        }
        text
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

/// Collects the panic message of each `---- NAME stdout ----` section of libtest's output.
pub fn parse_failures(stdout: &str) -> BTreeMap<String, String> {
    let mut failures = BTreeMap::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    let mut finish = |current: &mut Option<(String, Vec<&str>)>| {
        if let Some((name, lines)) = current.take() {
            failures.insert(name, panic_message(&lines));
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
    failures
}

/// The message after `thread '...' panicked at FILE:LINE:COL:`, without backtrace notes.
fn panic_message(lines: &[&str]) -> String {
    let start = lines
        .iter()
        .position(|l| l.contains("panicked at"))
        .map_or(0, |i| i + 1);
    lines[start..]
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with"))
        .take(4)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the tests of one crate (its `tests/` and any unit tests, not doc tests) in `root`.
/// `on_result` sees each test as it finishes, so the caller can show progress.
pub fn run(
    root: &Path,
    crate_name: &str,
    target_dir: Option<&Path>,
    mut on_result: impl FnMut(&TestResult),
) -> Result<TestRun, Error> {
    let mut command = Command::new(cargo());
    command
        .args([
            "test",
            "--no-fail-fast",
            "--tests",
            "--color",
            "never",
            "--message-format",
            "json",
            "-p",
            crate_name,
        ])
        .current_dir(root)
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let shown = format!("cargo test -p {crate_name}");
    let mut child = command.spawn().map_err(|source| Error::Spawn {
        command: shown.clone(),
        source,
    })?;

    // stderr is read on its own thread so that neither pipe can fill up and stall cargo.
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut run = TestRun::default();
    let mut stdout_text = String::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|source| Error::Spawn {
            command: shown.clone(),
            source,
        })?;
        if line.starts_with("running ") {
            run.ran = true;
        }
        if let Some(error) = cargo_messages::parse_line(&line) {
            cargo_messages::push_unique(&mut run.compile_errors, error);
            continue;
        }
        if line.starts_with('{') {
            continue; // cargo's other messages: artifacts, build scripts, build-finished
        }
        if let Some(result) = parse_result_line(&line) {
            on_result(&result);
            run.results.push(result);
        }
        stdout_text.push_str(&line);
        stdout_text.push('\n');
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        command: shown,
        source,
    })?;
    let stderr_text = stderr_reader.join().unwrap_or_default();
    run.success = status.success();
    run.failures = parse_failures(&stdout_text);
    let lines: Vec<&str> = stderr_text.lines().collect();
    run.stderr_tail = lines[lines.len().saturating_sub(40)..].join("\n");
    Ok(run)
}
