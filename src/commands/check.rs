//! `kafkalab check [LAB] [-v] [--timeout SECS]`: run a lab's tests, show a summary per step with
//! what broke, record progress.
//!
//! Per failing step it shows its first failing test: the name, where it panicked (`file:line`)
//! and the message, `left:`/`right:` values included. A test that runs past the time limit is
//! stopped and shown the same way, with what it was waiting for when the test said. `-v` adds
//! everything the tests printed and the `cargo test` commands that rerun the failing ones.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::{Lab, Manifest};
use crate::progress::{Progress, Status};
use crate::test_run::{self, Event, Options, Outcome, TestRun};
use crate::text::{fit, pad, width, wrap, MAX_WIDTH};

/// What the learner asked `check` for, besides the lab.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub verbose: bool,
    /// The time limit per test.
    pub limit: Duration,
}

/// The steps' rows: a title column as wide as the widest title (in display columns), cut so that
/// a row stays within `MAX_WIDTH`.
const TITLE_MAX: usize = 56;

/// Where a test stands in the output: `file:line:col` from its panic, else its test file.
fn location(root: &Path, run: &TestRun, test: &str) -> Option<String> {
    if let Some(at) = run.panics.get(test).and_then(|p| p.location.clone()) {
        return Some(at);
    }
    let binary = run.binary_of(test)?;
    let path = binary
        .src_path
        .strip_prefix(root)
        .unwrap_or(&binary.src_path);
    Some(path.display().to_string())
}

/// The lines under a failing step: its first failing test, where, and the message.
fn failure_lines(
    root: &Path,
    run: &TestRun,
    step: u32,
    limit: Duration,
    lang: Lang,
) -> Vec<String> {
    let indent = "          ";
    let Some(first) = run
        .results
        .iter()
        .find(|r| r.step() == Some(step) && r.outcome == Outcome::Failed)
    else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let head = format!("{indent}✗ {}", first.name);
    match location(root, run, &first.name) {
        Some(at) if width(&head) + 2 + width(&at) <= MAX_WIDTH => {
            lines.push(format!("{head}  {at}"));
        }
        Some(at) => {
            lines.push(fit(&head, MAX_WIDTH));
            lines.push(fit(&format!("{indent}  at {at}"), MAX_WIDTH));
        }
        None => lines.push(fit(&head, MAX_WIDTH)),
    }
    let stopped = run.timed_out.iter().find(|t| t.name == first.name);
    let message = match (stopped, lang) {
        (Some(stopped), Lang::Ko) => {
            let what = stopped
                .waiting_for
                .as_deref()
                .map_or(String::new(), |w| format!(" 기다리던 것: {w}"));
            format!(
                "시간 제한 {limit} s에 걸려 멈췄습니다.{what}",
                limit = limit.as_secs()
            )
        }
        _ => run.failures.get(&first.name).cloned().unwrap_or_default(),
    };
    for line in message.lines().take(5) {
        let line = line.trim_start_matches("not yet implemented: ");
        // Wrapped, not cut: a todo!() text is the instruction the learner needs whole.
        lines.extend(
            wrap(&format!("{indent}  {line}"), MAX_WIDTH)
                .lines()
                .map(str::to_string),
        );
    }
    lines
}

fn print_summary(
    root: &Path,
    lab: &Lab,
    run: &TestRun,
    limit: Duration,
    lang: Lang,
) -> Vec<(u32, bool)> {
    let column = lab
        .steps
        .values()
        .map(|t| width(t.get(lang)))
        .max()
        .unwrap_or(0)
        .min(TITLE_MAX);
    let mut steps = Vec::new();
    for (step, title) in &lab.steps {
        let tests: Vec<_> = run
            .results
            .iter()
            .filter(|r| r.step() == Some(*step))
            .collect();
        let passed = tests
            .iter()
            .filter(|r| r.outcome == Outcome::Passed)
            .count();
        let done = !tests.is_empty() && passed == tests.len();
        let title = pad(&fit(title.get(lang), column), column);
        let mark = if done { "✓" } else { "✗" };
        let label = pad(&format!("{} {step}", lang.pick("step", "단계")), 7);
        let count = format!("{passed}/{}", tests.len());
        println!("  {label} {title}  {count:>5}  {mark}");
        if !done {
            for line in failure_lines(root, run, *step, limit, lang) {
                println!("{line}");
            }
        }
        steps.push((*step, done));
    }
    steps
}

/// The commands that rerun what failed: each failing test binary, and each stopped test alone
/// with its output shown as it runs.
fn rerun_commands(crate_name: &str, run: &TestRun) -> Vec<String> {
    let mut commands = Vec::new();
    for (binary, names) in &run.binaries {
        let failed = run
            .results
            .iter()
            .any(|r| r.outcome == Outcome::Failed && names.contains(&r.name));
        if failed {
            commands.push(format!(
                "cargo test -p {crate_name} {} -- --test-threads=1",
                binary.cargo_selector()
            ));
        }
    }
    for stopped in &run.timed_out {
        if let Some(binary) = run.binary_of(&stopped.name) {
            commands.push(format!(
                "cargo test -p {crate_name} {} -- {} --exact --nocapture",
                binary.cargo_selector(),
                stopped.name
            ));
        }
    }
    commands
}

/// Prints the build's progress without flooding: a line when it starts, one every ten seconds
/// while it goes on, and how long it took when that was long enough to notice.
struct BuildProgress {
    next_report: Duration,
    marks: usize,
}

impl BuildProgress {
    fn event(&mut self, event: Event, lang: Lang) {
        match event {
            Event::Compiled { crates, elapsed } if elapsed >= self.next_report => {
                self.next_report = elapsed + Duration::from_secs(10);
                if elapsed >= Duration::from_secs(10) {
                    let secs = elapsed.as_secs();
                    match lang {
                        Lang::En => println!("  compiled {crates} crates ({secs} s)…"),
                        Lang::Ko => println!("  크레이트 {crates}개 컴파일 ({secs} s)…"),
                    }
                }
            }
            Event::Compiled { .. } => {}
            Event::Built { elapsed } => {
                if elapsed >= Duration::from_secs(5) {
                    println!(
                        "  {} {} s",
                        lang.pick("built in", "빌드 시간:"),
                        elapsed.as_secs()
                    );
                }
            }
            Event::Result(result) => {
                self.marks += 1;
                let mark = match result.outcome {
                    Outcome::Passed => "✓",
                    Outcome::Failed => "✗",
                    Outcome::Ignored => "-",
                };
                if self.marks % 40 == 1 {
                    print!("  ");
                }
                print!("{mark}");
                if self.marks.is_multiple_of(40) {
                    println!();
                }
            }
        }
        let _ = std::io::stdout().flush();
    }
}

/// Checks one lab; returns whether every test passed.
fn check_lab(
    root: &Path,
    lab: &Lab,
    crate_name: &str,
    position: (usize, usize),
    options: &CheckOptions,
    lang: Lang,
) -> Result<bool, Error> {
    let title = format!(
        "[{}/{}] {} {} · {}",
        position.0,
        position.1,
        lang.pick("lab", "실습"),
        lab.padded(),
        lab.title.get(lang)
    );
    println!("\n{}", fit(&title, MAX_WIDTH));
    println!(
        "  {} (cargo test -p {crate_name})…",
        lang.pick("building the tests", "테스트 빌드 중")
    );
    let _ = std::io::stdout().flush();
    let mut progress_line = BuildProgress {
        next_report: Duration::ZERO,
        marks: 0,
    };
    let run_options = Options {
        target_dir: None,
        limit: options.limit,
    };
    let run = test_run::run_with(root, crate_name, &run_options, |event| {
        progress_line.event(event, lang)
    })?;
    if !progress_line.marks.is_multiple_of(40) {
        println!();
    }

    let mut progress = Progress::load(root)?;
    if !run.ran {
        // A lab that does not compile is that lab's failure, not the end of `check`: say where
        // the compiler stopped, record it, and let the caller go on to the next lab.
        println!(
            "{}",
            lang.pick(
                "The lab does not compile yet; the compiler's first error:",
                "실습이 아직 컴파일되지 않습니다. 컴파일러의 첫 오류:"
            )
        );
        println!("{}", run.build_failure());
        let entry = progress.lab_mut(lab.number);
        entry.status = Some(Status::Failing);
        progress.save(root)?;
        return Ok(false);
    }
    let steps = print_summary(root, lab, &run, options.limit, lang);
    let all_passed = run.success && run.failed() == 0 && !run.results.is_empty();
    println!(
        "  {} {}/{} {}",
        if all_passed { "✓" } else { "•" },
        run.passed(),
        run.results.len(),
        lang.pick("tests pass", "개 테스트 통과")
    );
    if let Some((step, _)) = steps.iter().find(|(_, done)| !done) {
        let next = format!(
            "  {} {step} · {}",
            lang.pick("Next: step", "다음: 단계"),
            lab.steps[step].get(lang),
        );
        let stuck = format!(
            "   ({} cargo lab hint {})",
            lang.pick("stuck?", "막히면:"),
            lab.number
        );
        println!(
            "{}{stuck}",
            fit(&next, MAX_WIDTH.saturating_sub(width(&stuck)))
        );
    }
    if options.verbose {
        println!(
            "\n{}\n{}",
            lang.pick(
                "Everything the tests printed:",
                "테스트가 출력한 전체 내용:"
            ),
            run.output.trim_end()
        );
        let commands = rerun_commands(crate_name, &run);
        if !commands.is_empty() {
            println!(
                "\n{}",
                lang.pick(
                    "Rerun the failing tests:",
                    "실패한 테스트를 다시 실행하려면:"
                )
            );
            for command in commands {
                println!("  {command}");
            }
        }
    } else if !all_passed {
        println!(
            "  {} cargo lab check {} -v",
            lang.pick(
                "All output and the commands to rerun:",
                "전체 출력과 다시 실행할 명령:"
            ),
            lab.number
        );
    }

    let entry = progress.lab_mut(lab.number);
    entry.status = Some(if all_passed {
        Status::Passed
    } else {
        Status::Failing
    });
    entry.passed = run.passed();
    entry.failed = run.failed();
    entry.steps = steps.into_iter().collect();
    progress.save(root)?;
    Ok(all_passed)
}

/// Returns whether every checked lab passed, so the process can exit non-zero otherwise.
pub fn run(
    root: &Path,
    lab: Option<&str>,
    options: &CheckOptions,
    lang: Lang,
) -> Result<bool, Error> {
    let manifest = Manifest::load(root)?;
    let labs: Vec<&Lab> = match lab {
        Some(name) => {
            let lab = manifest.find(name)?;
            if lab.available().is_none() {
                return Err(Error::PlannedLab(lab.number));
            }
            vec![lab]
        }
        None => manifest.available().collect(),
    };
    let mut passed = 0;
    for (i, lab) in labs.iter().enumerate() {
        let (crate_name, _) = lab.available().ok_or(Error::PlannedLab(lab.number))?;
        if check_lab(root, lab, crate_name, (i + 1, labs.len()), options, lang)? {
            passed += 1;
        }
    }
    if labs.len() > 1 {
        println!(
            "\n{passed}/{} {}",
            labs.len(),
            lang.pick("labs pass", "개 실습 통과")
        );
    }
    Ok(passed == labs.len())
}
