//! Running one lab's tests and reading what they printed.
//!
//! Two stages, so that no test can hang `check`:
//! 1. `cargo test --no-run --message-format json -p CRATE` builds the test binaries. Compiler
//!    errors arrive as JSON with their file and line (see `cargo_messages`); so do the paths of
//!    the built binaries (`compiler-artifact` messages with an `executable`).
//! 2. Each binary runs on its own under a time limit per test (`binary`), and its libtest
//!    output is read as it comes (`libtest`).
//!
//! # Layout
//! - this file — `run`: build, then run each binary; `TestRun`, what a whole run found.
//! - `libtest` — parsing libtest's lines: verdicts, the running test, panics with file:line.
//! - `binary` — one test binary with a time limit per test, restarted past a hung test.

pub mod binary;
pub mod libtest;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cargo_messages::{self, CompileError};
use crate::error::Error;
use crate::workspace::cargo;

pub use binary::{TestBinary, TimedOut};
pub use libtest::TestResult;
pub use libtest::{parse_failures, parse_panics, parse_result_line, step_of, Outcome, Panic};

/// The time limit per test when neither `--timeout` nor `KAFKALAB_TEST_TIMEOUT` says otherwise.
pub const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct TestRun {
    pub results: Vec<TestResult>,
    /// Test name → the first lines of its panic message.
    pub failures: BTreeMap<String, String>,
    /// Test name → its panic: where it happened and the message.
    pub panics: BTreeMap<String, Panic>,
    /// Tests stopped at the time limit (they are in `results` as failed too).
    pub timed_out: Vec<TimedOut>,
    /// The test binaries that ran, in order, with the names of their tests.
    pub binaries: Vec<(TestBinary, Vec<String>)>,
    /// Everything the test binaries printed, for `check -v`.
    pub output: String,
    /// Whether the tests were built and run; false means the build failed.
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

    /// The binary a test belongs to.
    pub fn binary_of(&self, test: &str) -> Option<&TestBinary> {
        self.binaries
            .iter()
            .find(|(_, names)| names.iter().any(|n| n == test))
            .map(|(binary, _)| binary)
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

/// What `run_with` reports while it works.
pub enum Event<'a> {
    /// The build goes on: `crates` compiled so far, `elapsed` since it started.
    Compiled { crates: usize, elapsed: Duration },
    /// The build is done; the tests start.
    Built { elapsed: Duration },
    /// A test ended.
    Result(&'a TestResult),
}

/// How to run: where cargo builds, and the time limit per test.
#[derive(Debug, Clone)]
pub struct Options {
    /// `CARGO_TARGET_DIR` for the build; `None`: see `target_dir_for`.
    pub target_dir: Option<PathBuf>,
    pub limit: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            target_dir: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// Names the build folder of the runner's cargo calls, above every other rule (tests and CI
/// use it to share one build between many temporary workbooks).
pub const TARGET_DIR_ENV: &str = "KAFKALAB_TARGET_DIR";

/// Where a workspace's lab builds go. A workbook builds into its own `target/`, even when the
/// environment sets `CARGO_TARGET_DIR` for every project: two workbooks sharing one folder
/// overwrite each other's lab libraries (same package names and versions) and report each
/// other's results. The repository keeps the environment's choice. `KAFKALAB_TARGET_DIR`
/// overrides both.
pub fn target_dir_for(root: &Path) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(TARGET_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    crate::workbook::is_workbook(root).then(|| root.join("target"))
}

/// Runs the tests of one crate (its `tests/` and any unit tests, not doc tests) in `root`.
/// `on_result` sees each test as it finishes, so the caller can show progress.
pub fn run(
    root: &Path,
    crate_name: &str,
    target_dir: Option<&Path>,
    mut on_result: impl FnMut(&TestResult),
) -> Result<TestRun, Error> {
    let options = Options {
        target_dir: target_dir.map(Path::to_path_buf),
        ..Options::default()
    };
    run_with(root, crate_name, &options, |event| {
        if let Event::Result(result) = event {
            on_result(result);
        }
    })
}

/// Builds the tests of `crate_name`, then runs each test binary under `options.limit` per test.
pub fn run_with(
    root: &Path,
    crate_name: &str,
    options: &Options,
    mut on_event: impl FnMut(Event),
) -> Result<TestRun, Error> {
    let mut run = TestRun::default();
    let started = Instant::now();
    let binaries = build(root, crate_name, options, &mut run, &mut on_event)?;
    let Some(binaries) = binaries else {
        return Ok(run);
    };
    on_event(Event::Built {
        elapsed: started.elapsed(),
    });
    run.ran = true;
    run.success = true;
    for (binary, package_dir) in binaries {
        let shown = format!("{}", binary.executable.display());
        let mut on_result = |result: &TestResult| on_event(Event::Result(result));
        let out = binary::run(&binary, &package_dir, options.limit, &mut on_result).map_err(
            |source| Error::Spawn {
                command: shown,
                source,
            },
        )?;
        run.success &= out.success;
        run.output.push_str(&out.stdout);
        if !out.stderr.trim().is_empty() {
            run.output.push_str(&out.stderr);
        }
        let panics = libtest::parse_panics(&out.stdout);
        for (name, panic) in panics {
            run.failures.insert(name.clone(), panic.message.clone());
            run.panics.insert(name, panic);
        }
        for timed_out in &out.timed_out {
            let what = timed_out
                .waiting_for
                .as_deref()
                .map_or(String::new(), |w| format!("; it was waiting for {w}"));
            let message = format!(
                "stopped at the time limit of {} s{what}",
                options.limit.as_secs()
            );
            run.failures.insert(timed_out.name.clone(), message.clone());
            run.panics.insert(
                timed_out.name.clone(),
                Panic {
                    location: None,
                    message,
                },
            );
        }
        for (name, tail) in &out.crashed {
            let message = format!(
                "the test process died during this test (an abort, or a stack overflow from \
                 endless recursion); its last words:\n{tail}"
            );
            run.failures.insert(name.clone(), message.clone());
            run.panics.insert(
                name.clone(),
                Panic {
                    location: None,
                    message,
                },
            );
        }
        run.timed_out.extend(out.timed_out);
        let names = out.results.iter().map(|r| r.name.clone()).collect();
        run.results.extend(out.results);
        run.binaries.push((binary, names));
    }
    Ok(run)
}

/// `cargo test --no-run`: the test binaries and the folder of their package, or `None` with
/// the compiler's errors in `run` when the build failed. `dev verify`'s step-order check builds
/// its labs with it too.
pub(crate) fn build(
    root: &Path,
    crate_name: &str,
    options: &Options,
    run: &mut TestRun,
    on_event: &mut impl FnMut(Event),
) -> Result<Option<Vec<(TestBinary, PathBuf)>>, Error> {
    let mut command = Command::new(cargo());
    command
        .args(["test", "--no-run", "--tests", "--color", "never"])
        .args(["--message-format", "json", "-p", crate_name])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = options.target_dir.clone().or_else(|| target_dir_for(root)) {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let shown = format!("cargo test --no-run -p {crate_name}");
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
    let started = Instant::now();
    let mut crates = 0;
    let mut binaries = Vec::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|source| Error::Spawn {
            command: shown.clone(),
            source,
        })?;
        if let Some(error) = cargo_messages::parse_line(&line) {
            cargo_messages::push_unique(&mut run.compile_errors, error);
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if value.get("reason").and_then(Value::as_str) != Some("compiler-artifact") {
            continue;
        }
        crates += 1;
        on_event(Event::Compiled {
            crates,
            elapsed: started.elapsed(),
        });
        if let Some(found) = test_binary(&value) {
            binaries.push(found);
        }
    }
    let status = child.wait().map_err(|source| Error::Spawn {
        command: shown,
        source,
    })?;
    let stderr_text = stderr_reader.join().unwrap_or_default();
    let lines: Vec<&str> = stderr_text.lines().collect();
    run.stderr_tail = lines[lines.len().saturating_sub(40)..].join("\n");
    if !status.success() {
        return Ok(None);
    }
    // The order `cargo test` runs them in: the library's unit tests, then `tests/` by name.
    binaries.sort_by(|(a, _), (b, _)| (!a.is_lib, &a.target).cmp(&(!b.is_lib, &b.target)));
    Ok(Some(binaries))
}

/// The test binary in a `compiler-artifact` message, with its package's folder.
fn test_binary(value: &Value) -> Option<(TestBinary, PathBuf)> {
    if value.pointer("/profile/test").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let executable = PathBuf::from(value.get("executable")?.as_str()?);
    let target = value.get("target")?;
    let kinds = target.get("kind")?.as_array()?;
    let is_lib = !kinds.iter().any(|k| k.as_str() == Some("test"));
    let package_dir = Path::new(value.get("manifest_path")?.as_str()?)
        .parent()?
        .to_path_buf();
    Some((
        TestBinary {
            target: target.get("name")?.as_str()?.to_string(),
            is_lib,
            src_path: PathBuf::from(target.get("src_path")?.as_str()?),
            executable,
        },
        package_dir,
    ))
}
