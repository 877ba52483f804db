//! Running one test binary under a time limit per test.
//!
//! The binary runs with `--test-threads=1`, so libtest names each test as it starts
//! (`libtest::started_test`). A test that runs past the limit is stopped by killing the binary;
//! it is recorded as failed ("ran past the time limit"), and the binary runs again with every
//! test that already passed and the stopped one skipped (`--skip NAME --exact`), so one hang
//! never hides the verdicts of the tests after it. Tests that failed before the hang run again:
//! libtest prints the panics only at the end of a run, and the killed run never got there. Killing the binary itself (not cargo) is
//! what makes this reliable: there is no grandchild left holding the pipe open.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::libtest::{self, Outcome, TestResult};

/// A test binary cargo built: `tests/step2_record.rs` is the target `step2_record`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestBinary {
    /// The target name (`step2_record`), or the crate's name for its unit tests.
    pub target: String,
    /// Whether this is the library's unit tests (`--lib`) rather than a `tests/` file.
    pub is_lib: bool,
    /// The target's source file as cargo gave it (absolute).
    pub src_path: PathBuf,
    pub executable: PathBuf,
}

impl TestBinary {
    /// The cargo arguments that select this binary: `--test step2_record` or `--lib`.
    pub fn cargo_selector(&self) -> String {
        if self.is_lib {
            "--lib".to_string()
        } else {
            format!("--test {}", self.target)
        }
    }
}

/// A test stopped at the time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    pub name: String,
    /// What the test said it was waiting for (`testkit::within`), when it said.
    pub waiting_for: Option<String>,
}

/// What one binary printed and which tests it ran.
#[derive(Debug, Default)]
pub struct BinaryRun {
    pub results: Vec<TestResult>,
    /// libtest's output of every run of the binary, one after the other.
    pub stdout: String,
    pub stderr: String,
    pub timed_out: Vec<TimedOut>,
    /// Tests during which the binary itself died (a stack overflow, an abort), each with the
    /// last lines the binary wrote to its error output.
    pub crashed: Vec<(String, String)>,
    /// Whether every run exited with success.
    pub success: bool,
}

/// The file in which `testkit::within` notes, per test thread, what it waits for
/// (`THREAD<TAB>WHAT` lines; libtest names each test's thread after the test).
impl BinaryRun {
    /// Records `name` as failed for `why`, a test libtest could not report itself (the binary
    /// crashed in it, or was stopped at the time limit): the verdict line libtest would have
    /// written, and the result.
    fn fail(&mut self, name: &str, why: &str, on_result: &mut dyn FnMut(&TestResult)) {
        self.stdout
            .push_str(&format!("test {name} ... FAILED ({why})\n"));
        self.success = false;
        let result = TestResult {
            name: name.to_string(),
            outcome: Outcome::Failed,
        };
        on_result(&result);
        self.results.push(result);
    }
}

pub const WAITING_FILE_ENV: &str = "KAFKALAB_WAITING_FILE";

fn waiting_for(file: &Path, test: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .rev()
        .filter_map(|l| l.split_once('\t'))
        .find(|(thread, _)| *thread == test || thread.ends_with(&format!("::{test}")))
        .map(|(_, what)| what.to_string())
}

enum Chunk {
    Out(Vec<u8>),
    End,
}

/// Runs `binary` in `package_dir` (where cargo would run it) with `limit` per test;
/// `on_result` sees each test as it ends.
pub fn run(
    binary: &TestBinary,
    package_dir: &Path,
    limit: Duration,
    on_result: &mut dyn FnMut(&TestResult),
) -> std::io::Result<BinaryRun> {
    let mut out = BinaryRun {
        success: true,
        ..BinaryRun::default()
    };
    let waiting_file = std::env::temp_dir().join(format!(
        "kafkalab-waiting-{}-{}",
        std::process::id(),
        binary.target
    ));
    let mut skip: Vec<String> = Vec::new();
    loop {
        let _ = std::fs::remove_file(&waiting_file);
        let mut command = Command::new(&binary.executable);
        command.args(["--test-threads=1", "--color", "never"]);
        if !skip.is_empty() {
            command.arg("--exact");
            for name in &skip {
                command.args(["--skip", name]);
            }
        }
        command
            .current_dir(package_dir)
            .env("CARGO_MANIFEST_DIR", package_dir)
            .env("RUST_BACKTRACE", "0")
            .env(WAITING_FILE_ENV, &waiting_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn()?;

        let (tx, rx) = mpsc::channel();
        let mut stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(Chunk::Out(buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = tx.send(Chunk::End);
        });
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let (err_tx, err_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = err_tx.send(text);
        });

        let mut pending: Vec<u8> = Vec::new();
        let mut running: Option<(String, Instant)> = None;
        let mut stopped: Option<String> = None;
        loop {
            let wait = running
                .as_ref()
                .map_or(Duration::from_secs(3600), |(_, start)| {
                    limit.saturating_sub(start.elapsed())
                });
            match rx.recv_timeout(wait) {
                Ok(Chunk::Out(bytes)) => {
                    pending.extend_from_slice(&bytes);
                    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=end).collect();
                        let line = String::from_utf8_lossy(&line);
                        let line = line.trim_end_matches(['\n', '\r']);
                        if let Some(result) = libtest::parse_result_line(line) {
                            running = None;
                            // A failed test runs again after a restart (see below): count it once.
                            if !out.results.iter().any(|r| r.name == result.name) {
                                on_result(&result);
                                if result.outcome != Outcome::Failed {
                                    skip.push(result.name.clone());
                                }
                                out.results.push(result);
                            }
                        }
                        out.stdout.push_str(line);
                        out.stdout.push('\n');
                    }
                    let partial = String::from_utf8_lossy(&pending);
                    if let Some(name) = libtest::started_test(&partial) {
                        if running.as_ref().is_none_or(|(n, _)| n != name) {
                            running = Some((name.to_string(), Instant::now()));
                        }
                    }
                }
                Ok(Chunk::End) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Some((name, start)) = &running {
                        if start.elapsed() >= limit {
                            stopped = Some(name.clone());
                            let _ = child.kill();
                            break;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait()?;
        // A server the test started may still hold stderr open: do not wait for it long.
        let stderr = err_rx
            .recv_timeout(Duration::from_secs(2))
            .unwrap_or_default();
        out.stderr.push_str(&stderr);
        if let (None, Some((name, _)), false) = (&stopped, &running, status.success()) {
            // The binary died inside a test: that test failed; the ones after it still run.
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = lines[lines.len().saturating_sub(2)..].join("\n");
            out.fail(name, "crashed", on_result);
            out.crashed.push((name.clone(), tail));
            skip.push(name.clone());
            continue;
        }
        let Some(name) = stopped else {
            out.success &= status.success();
            if !pending.is_empty() {
                out.stdout.push_str(&String::from_utf8_lossy(&pending));
            }
            break;
        };
        // The partial `test NAME ... ` gets its verdict here, as libtest would have written it.
        out.fail(&name, "time limit", on_result);
        out.timed_out.push(TimedOut {
            waiting_for: waiting_for(&waiting_file, &name),
            name: name.clone(),
        });
        skip.push(name);
    }
    let _ = std::fs::remove_file(&waiting_file);
    Ok(out)
}
