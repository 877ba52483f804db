//! Writing a learner's workbook: a copy of the workspace in which the solution regions of lab
//! `from` and every later lab are `todo!()`s. Earlier labs stay solved, so a study group can
//! start anywhere, for example at the cluster labs.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::manifest::Manifest;
use crate::progress::Progress;
use crate::regions;

/// Top-level entries of the workspace that are not copied: build output, history, progress.
const SKIPPED: [&str; 3] = ["target", ".git", ".kafkalab"];

/// What a workbook run wrote, for the summary line.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub files: usize,
    pub regions: usize,
    pub skeleton_labs: Vec<u32>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A skeleton lets parameters and imports go unused until the learner writes the bodies, so
/// the workbook's `[workspace.lints.rust]` table allows the `unused` group.
pub fn relax_lints(cargo_toml: &str) -> String {
    let table = "[workspace.lints.rust]";
    let allow = "unused = { level = \"allow\", priority = -1 }";
    let mut out = String::with_capacity(cargo_toml.len() + allow.len() + 1);
    let mut done = false;
    for line in cargo_toml.lines() {
        out.push_str(line);
        out.push('\n');
        if !done && line.trim() == table {
            out.push_str(allow);
            out.push('\n');
            done = true;
        }
    }
    if !done {
        out.push_str(&format!("\n{table}\n{allow}\n"));
    }
    out
}

/// Writes the workbook of `source` (a workspace root) into `dest`, which must be new or empty.
pub fn write(source: &Path, dest: &Path, from: u32, manifest: &Manifest) -> Result<Written, Error> {
    if dest.exists() {
        let mut entries = std::fs::read_dir(dest).map_err(io(dest))?;
        if entries.next().is_some() {
            return Err(Error::NotEmpty(dest.to_path_buf()));
        }
    }
    // Which lab folders become skeletons, and under which lab number.
    let skeletons: Vec<(PathBuf, u32)> = manifest
        .available()
        .filter(|lab| lab.number >= from)
        .filter_map(|lab| Some((source.join("labs").join(lab.path.as_deref()?), lab.number)))
        .collect();

    let mut written = Written {
        skeleton_labs: skeletons.iter().map(|(_, n)| *n).collect(),
        ..Written::default()
    };
    copy_dir(source, source, dest, &skeletons, &mut written)?;

    let mut progress = Progress::load(dest)?;
    progress.workbook_from = Some(from);
    progress.save(dest)?;
    Ok(written)
}

fn copy_dir(
    root: &Path,
    dir: &Path,
    dest: &Path,
    skeletons: &[(PathBuf, u32)],
    written: &mut Written,
) -> Result<(), Error> {
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .collect::<Result<_, _>>()
        .map_err(io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        if dir == root && SKIPPED.iter().any(|s| name == *s) {
            continue;
        }
        let target = dest.join(&name);
        let kind = entry.file_type().map_err(io(&path))?;
        if kind.is_dir() {
            copy_dir(root, &path, &target, skeletons, written)?;
        } else if kind.is_file() {
            copy_file(root, &path, &target, skeletons, written)?;
        }
        // Symbolic links and special files are not part of a lab; they are left out.
    }
    Ok(())
}

fn copy_file(
    root: &Path,
    path: &Path,
    target: &Path,
    skeletons: &[(PathBuf, u32)],
    written: &mut Written,
) -> Result<(), Error> {
    let lab = skeletons
        .iter()
        .find(|(dir, _)| path.starts_with(dir.join("src")))
        .map(|(_, n)| *n);
    let is_rust = path.extension().is_some_and(|e| e == "rs");
    if let (Some(lab), true) = (lab, is_rust) {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        let region_error = |e: regions::RegionError| Error::Region {
            path: path.to_path_buf(),
            line: e.line,
            reason: e.reason,
        };
        written.regions += regions::find(&text).map_err(region_error)?.len();
        let skeleton = regions::to_skeleton(&text, lab).map_err(region_error)?;
        std::fs::write(target, skeleton).map_err(io(target))?;
    } else if path == root.join("Cargo.toml") {
        let text = std::fs::read_to_string(path).map_err(io(path))?;
        std::fs::write(target, relax_lints(&text)).map_err(io(target))?;
    } else {
        std::fs::copy(path, target).map_err(io(path))?;
    }
    written.files += 1;
    Ok(())
}
