//! `kafkalab check [LAB]`: run a lab's tests, show a summary per step, record progress.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::lang::Lang;
use crate::manifest::{Lab, Manifest};
use crate::progress::{Progress, Status};
use unicode_width::UnicodeWidthStr;

use crate::test_run::{self, Outcome, TestRun};

/// The first failure message of a step, without libtest's `not yet implemented: ` prefix.
fn step_message(run: &TestRun, step: u32) -> Option<String> {
    run.results
        .iter()
        .filter(|r| r.step() == Some(step) && r.outcome == Outcome::Failed)
        .find_map(|r| run.failures.get(&r.name))
        .map(|m| {
            let first = m.lines().next().unwrap_or_default();
            first
                .trim_start_matches("not yet implemented: ")
                .to_string()
        })
}

fn print_summary(lab: &Lab, run: &TestRun, lang: Lang) -> Vec<(u32, bool)> {
    let width = lab
        .steps
        .values()
        .map(|t| t.get(lang).chars().count())
        .max()
        .unwrap_or(0);
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
        let title = title.get(lang);
        let pad = " ".repeat(width.saturating_sub(title.width()));
        let mark = if done { "✓" } else { "✗" };
        print!(
            "  {} {step}  {title}{pad}  {passed}/{}  {mark}",
            lang.pick("step", "단계"),
            tests.len()
        );
        if let Some(message) = step_message(run, *step).filter(|_| !done) {
            print!("  {message}");
        }
        println!();
        steps.push((*step, done));
    }
    steps
}

/// Checks one lab; returns whether every test passed.
fn check_lab(
    root: &Path,
    lab: &Lab,
    crate_name: &str,
    position: (usize, usize),
    lang: Lang,
) -> Result<bool, Error> {
    println!(
        "\n[{}/{}] lab {} · {}  (cargo test -p {crate_name})",
        position.0,
        position.1,
        lab.padded(),
        lab.title.get(lang)
    );
    let mut count = 0;
    let run = test_run::run(root, crate_name, None, |result| {
        count += 1;
        let mark = match result.outcome {
            Outcome::Passed => "✓",
            Outcome::Failed => "✗",
            Outcome::Ignored => "-",
        };
        print!("{mark}");
        if count % 40 == 0 {
            println!();
        }
        let _ = std::io::stdout().flush();
    })?;
    println!();

    let mut progress = Progress::load(root)?;
    if !run.ran {
        // A lab that does not compile is that lab's failure, not the end of `check`: say where
        // the compiler stopped, record it, and let the caller go on to the next lab.
        println!(
            "{}",
            lang.pick(
                "The lab does not compile yet; the compiler's first error:",
                "랩이 아직 컴파일되지 않습니다. 컴파일러의 첫 오류:"
            )
        );
        println!("{}", run.build_failure());
        let entry = progress.lab_mut(lab.number);
        entry.status = Some(Status::Failing);
        progress.save(root)?;
        return Ok(false);
    }
    let steps = print_summary(lab, &run, lang);
    let all_passed = run.success && run.failed() == 0 && !run.results.is_empty();
    println!(
        "  {} {}/{} {}",
        if all_passed { "✓" } else { "•" },
        run.passed(),
        run.results.len(),
        lang.pick("tests pass", "개 테스트 통과")
    );
    if let Some((step, _)) = steps.iter().find(|(_, done)| !done) {
        println!(
            "  {} {step}: {}   ({} kafkalab hint {})",
            lang.pick("Next: step", "다음: 단계"),
            lab.steps[step].get(lang),
            lang.pick("stuck?", "막히면:"),
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
pub fn run(root: &Path, lab: Option<&str>, lang: Lang) -> Result<bool, Error> {
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
        if check_lab(root, lab, crate_name, (i + 1, labs.len()), lang)? {
            passed += 1;
        }
    }
    if labs.len() > 1 {
        println!(
            "\n{passed}/{} {}",
            labs.len(),
            lang.pick("labs pass", "개 랩 통과")
        );
    }
    Ok(passed == labs.len())
}
