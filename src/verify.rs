//! `kafkalab dev verify`: the author's check that every lab is sound, run by CI.
//!
//! 1. The manifest and each lab's files agree: READMEs in both languages, workspace member,
//!    well-formed solution regions whose steps are listed in `labs.yaml`.
//! 2. Step order (`step_order`): for each lab and step N, with the lab's steps < N solved, every
//!    test of those steps passes and every test of step N fails; with every step solved (the
//!    reference) every test passes, and each listed step has tests. N = 1 is the whole lab as a
//!    skeleton: a test that passes there checks nothing the learner writes, which is a bug.
//! 3. A workbook made `--from 1` (every lab a skeleton) type-checks, tests included.
//!
//! This is rustlings' `dev check`, applied to whole crates.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;
use crate::manifest::{Lab, Manifest};
use crate::regions;
use crate::step_order;
use crate::workbook;
use crate::workspace::cargo;

/// Where verify keeps its workbook and the build output for it, under the workspace's `target/`.
fn scratch(root: &Path) -> PathBuf {
    root.join("target").join("kafkalab-verify")
}

/// Every `.rs` file under `dir`, sorted, so reports come in a stable order.
pub(crate) fn rust_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
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
/// With `only`, just that lab's files and step order (the whole-workspace type-check is skipped).
pub fn verify(
    root: &Path,
    manifest: &Manifest,
    only: Option<u32>,
    mut say: impl FnMut(&str),
) -> Result<(), Error> {
    let mut problems = Vec::new();
    let labs: Vec<(&Lab, &str, &str)> = manifest
        .available()
        .filter(|lab| only.is_none_or(|n| n == lab.number))
        .filter_map(|lab| {
            let (crate_name, path) = lab.available()?;
            Some((lab, crate_name, path))
        })
        .collect();

    if let (Some(n), true) = (only, labs.is_empty()) {
        return Err(Error::UnknownLab(n.to_string()));
    }

    say("1/3 manifest and lab files");
    for (lab, crate_name, path) in &labs {
        problems.extend(check_files(root, lab, crate_name, path)?);
    }

    // The reference is the last configuration of the step-order check, so it is not run twice.
    say("2/3 step order: with a lab's steps < N solved, earlier steps pass and step N fails");
    let scratch_dir = scratch(root);
    let target = scratch_dir.join("target");
    let switched = scratch_dir.join("step-order");
    step_order::prepare(root, manifest, &switched)?;
    let mut times = Vec::new();
    for (lab, crate_name, path) in &labs {
        let report = step_order::check_lab(&switched, &target, lab, crate_name, path, &mut say)?;
        times.push(format!(
            "lab {:02} {:.0?} ({} tests)",
            lab.number, report.elapsed, report.tests
        ));
        problems.extend(report.problems);
    }
    say(&format!("    step order took: {}", times.join(", ")));

    if only.is_some() {
        say("3/3 skipped with --lab: the whole-workspace type-check of every skeleton");
    } else {
        say("3/3 a workbook with every lab as a skeleton type-checks");
        let all = fresh_workbook(root, manifest, 1)?;
        if let Some(errors) = cargo_check_workspace(&all, &target)? {
            problems.push(format!(
                "the workbook made --from 1 does not compile:\n{errors}"
            ));
        }
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
