//! `kafkalab dev verify`: the author's check that every lab is sound, run by CI.
//!
//! 1. The manifest and each lab's files agree: READMEs in both languages, workspace member,
//!    well-formed solution regions whose steps are listed in `labs.yaml`.
//! 2. The reference solution passes every test of every lab, and each listed step has tests.
//! 3. A workbook made `--from 1` (every lab a skeleton) type-checks, tests included.
//! 4. For each lab NN, in a workbook made `--from NN`, **every** test of lab NN fails.
//!    A test that passes on the skeleton checks nothing the learner writes: that is a bug.
//!
//! This is rustlings' `dev check`, applied to whole crates.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;
use crate::manifest::{Lab, Manifest};
use crate::regions;
use crate::test_run::{self, Outcome, TestRun};
use crate::workbook;
use crate::workspace::cargo;

/// Where verify keeps its workbook and the build output for it, under the workspace's `target/`.
fn scratch(root: &Path) -> PathBuf {
    root.join("target").join("kafkalab-verify")
}

/// Every `.rs` file under `dir`, sorted, so reports come in a stable order.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| Error::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Static checks of one lab; each problem is one line of the returned list.
fn check_files(root: &Path, lab: &Lab, crate_name: &str, path: &str) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    let dir = root.join("labs").join(path);
    for readme in ["README.md", "README.ko.md", "Cargo.toml"] {
        if !dir.join(readme).is_file() {
            problems.push(format!(
                "lab {}: {} is missing",
                lab.number,
                dir.join(readme).display()
            ));
        }
    }
    let cargo_toml =
        std::fs::read_to_string(root.join("Cargo.toml")).map_err(|source| Error::Io {
            path: root.join("Cargo.toml"),
            source,
        })?;
    if !cargo_toml.contains(&format!("\"labs/{path}\"")) {
        problems.push(format!(
            "lab {}: labs/{path} is not a member of the workspace",
            lab.number
        ));
    }
    let mut region_steps = BTreeSet::new();
    for file in rust_files(&dir.join("src"))? {
        let text = std::fs::read_to_string(&file).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        match regions::find(&text) {
            Ok(found) => region_steps.extend(found.iter().map(|r| (r.step, file.clone(), r.line))),
            Err(e) => problems.push(format!("{}:{}: {}", file.display(), e.line, e.reason)),
        }
    }
    for (step, file, line) in &region_steps {
        if !lab.steps.contains_key(step) {
            problems.push(format!(
                "{}:{line}: step {step} is not listed under lab {}'s steps in labs.yaml",
                file.display(),
                lab.number
            ));
        }
    }
    for step in lab.steps.keys() {
        if !region_steps.iter().any(|(s, _, _)| s == step) {
            problems.push(format!(
                "lab {} ({crate_name}): step {step} has no solution region",
                lab.number
            ));
        }
    }
    if !dir.join("tests").is_dir() {
        problems.push(format!(
            "lab {}: {} has no tests/ folder",
            lab.number,
            dir.display()
        ));
    }
    Ok(problems)
}

fn check_reference(lab: &Lab, run: &TestRun) -> Vec<String> {
    let n = lab.number;
    let mut problems = Vec::new();
    if !run.ran {
        problems.push(format!(
            "lab {n}: the reference does not build:\n{}",
            run.build_failure()
        ));
        return problems;
    }
    if run.results.is_empty() {
        problems.push(format!("lab {n}: has no tests"));
    }
    for result in &run.results {
        match (result.outcome, result.step()) {
            (Outcome::Failed, _) => problems.push(format!(
                "lab {n}: {} fails on the reference solution: {}",
                result.name,
                run.failures.get(&result.name).map_or("", String::as_str)
            )),
            (Outcome::Ignored, _) => problems.push(format!(
                "lab {n}: {} is ignored; lab tests always run",
                result.name
            )),
            (_, None) => problems.push(format!(
                "lab {n}: {} does not start with stepN_",
                result.name
            )),
            (_, Some(step)) if !lab.steps.contains_key(&step) => problems.push(format!(
                "lab {n}: {} is for step {step}, which labs.yaml does not list",
                result.name
            )),
            _ => {}
        }
    }
    for step in lab.steps.keys() {
        if !run.results.iter().any(|r| r.step() == Some(*step)) {
            problems.push(format!("lab {n}: step {step} has no test"));
        }
    }
    problems
}

fn check_skeleton(lab: &Lab, reference: &TestRun, skeleton: &TestRun) -> Vec<String> {
    let n = lab.number;
    if !skeleton.ran {
        return vec![format!(
            "lab {n}: the workbook made --from {n} does not build:\n{}",
            skeleton.build_failure()
        )];
    }
    let mut problems: Vec<String> = skeleton
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Failed)
        .map(|r| {
            format!(
                "lab {n}: {} PASSES on the skeleton made --from {n}: it checks nothing the learner writes",
                r.name
            )
        })
        .collect();
    if skeleton.results.len() != reference.results.len() {
        problems.push(format!(
            "lab {n}: {} tests ran on the skeleton but {} on the reference",
            skeleton.results.len(),
            reference.results.len()
        ));
    }
    problems
}

fn cargo_check_workspace(dir: &Path, target: &Path) -> Result<Option<String>, Error> {
    let output = Command::new(cargo())
        .args(["check", "--workspace", "--all-targets", "--color", "never"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|source| Error::Spawn {
            command: "cargo check --workspace --all-targets".into(),
            source,
        })?;
    if output.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = text.lines().collect();
    Ok(Some(lines[lines.len().saturating_sub(40)..].join("\n")))
}

fn fresh_workbook(root: &Path, manifest: &Manifest, from: u32) -> Result<PathBuf, Error> {
    let dir = scratch(root).join("workbook");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
    }
    workbook::write(root, &dir, from, manifest)?;
    Ok(dir)
}

/// Runs every check; `say` receives one line of progress at a time. Fails with every problem found.
pub fn verify(root: &Path, manifest: &Manifest, mut say: impl FnMut(&str)) -> Result<(), Error> {
    let mut problems = Vec::new();
    let labs: Vec<(&Lab, &str, &str)> = manifest
        .available()
        .filter_map(|lab| {
            let (crate_name, path) = lab.available()?;
            Some((lab, crate_name, path))
        })
        .collect();

    say("1/4 manifest and lab files");
    for (lab, crate_name, path) in &labs {
        problems.extend(check_files(root, lab, crate_name, path)?);
    }

    say("2/4 reference solutions pass every test");
    let mut references = Vec::new();
    for (lab, crate_name, _) in &labs {
        let run = test_run::run(root, crate_name, None, |_| {})?;
        say(&format!(
            "    lab {:02}: {} passed, {} failed",
            lab.number,
            run.passed(),
            run.failed()
        ));
        problems.extend(check_reference(lab, &run));
        references.push(run);
    }

    let target = scratch(root).join("target");
    say("3/4 a workbook with every lab as a skeleton type-checks");
    let all = fresh_workbook(root, manifest, 1)?;
    if let Some(errors) = cargo_check_workspace(&all, &target)? {
        problems.push(format!(
            "the workbook made --from 1 does not compile:\n{errors}"
        ));
    }

    say("4/4 every test of lab NN fails in a workbook made --from NN");
    for ((lab, crate_name, _), reference) in labs.iter().zip(&references) {
        let dir = fresh_workbook(root, manifest, lab.number)?;
        let run = test_run::run(&dir, crate_name, Some(&target), |_| {})?;
        say(&format!(
            "    lab {:02}: {} of {} tests fail on the skeleton",
            lab.number,
            run.failed(),
            run.results.len()
        ));
        problems.extend(check_skeleton(lab, reference, &run));
    }

    if problems.is_empty() {
        say("verify: every lab is sound");
        Ok(())
    } else {
        Err(Error::Verify(format!(
            "{} problem(s):\n- {}",
            problems.len(),
            problems.join("\n- ")
        )))
    }
}
