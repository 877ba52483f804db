//! Writing a learner's workbook: a copy of the workspace in which the solution regions of lab
//! `from` and every later lab are `todo!()`s. Earlier labs stay solved, so a study group can
//! start anywhere, for example at the cluster labs.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::lang::Lang;
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

/// The line `relax_lints` adds to a workbook's `Cargo.toml`; it also marks a workbook.
pub const RELAXED: &str = "unused = { level = \"allow\", priority = -1 }";

/// Whether `root` is a workbook (its `Cargo.toml` has the line `relax_lints` adds) rather than
/// the kafkalab repository.
pub fn is_workbook(root: &Path) -> bool {
    std::fs::read_to_string(root.join("Cargo.toml"))
        .is_ok_and(|text| text.lines().any(|l| l.trim() == RELAXED))
}

/// A skeleton lets parameters and imports go unused until the learner writes the bodies, so
/// the workbook's `[workspace.lints.rust]` table allows the `unused` group. A `Cargo.toml` that
/// allows it already is returned as it is.
pub fn relax_lints(cargo_toml: &str) -> String {
    let table = "[workspace.lints.rust]";
    let allow = RELAXED;
    if cargo_toml.lines().any(|l| l.trim() == allow) {
        return cargo_toml.to_string();
    }
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
    write_with(source, dest, from, manifest, Lang::En, &mut |_| {})
}

/// `write`, with the `todo!()` texts in `lang` and `say` told of each lab folder as it starts.
pub fn write_with(
    source: &Path,
    dest: &Path,
    from: u32,
    manifest: &Manifest,
    lang: Lang,
    say: &mut dyn FnMut(&str),
) -> Result<Written, Error> {
    if is_workbook(source) {
        // Its regions are todo!()s already: a copy would have nothing to leave to the learner.
        return Err(Error::WorkbookOfWorkbook(source.to_path_buf()));
    }
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
    let labs: Vec<(PathBuf, u32)> = manifest
        .available()
        .filter_map(|lab| Some((source.join("labs").join(lab.path.as_deref()?), lab.number)))
        .collect();
    let mut copy = Copy {
        root: source,
        skeletons: &skeletons,
        labs: &labs,
        lang,
        say,
        written: &mut written,
    };
    copy.dir(source, dest)?;

    let mut progress = Progress::load(dest)?;
    progress.workbook_from = Some(from);
    progress.save(dest)?;
    Ok(written)
}

/// One copy in progress: what it needs to know and what it has written so far.
struct Copy<'a> {
    root: &'a Path,
    skeletons: &'a [(PathBuf, u32)],
    /// Every written lab's folder, to say which one is being copied.
    labs: &'a [(PathBuf, u32)],
    lang: Lang,
    say: &'a mut dyn FnMut(&str),
    written: &'a mut Written,
}

impl Copy<'_> {
    fn dir(&mut self, dir: &Path, dest: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(dest).map_err(io(dest))?;
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .collect::<Result<_, _>>()
            .map_err(io(dir))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name();
            if dir == self.root && SKIPPED.iter().any(|s| name == *s) {
                continue;
            }
            if let Some(i) = self.labs.iter().position(|(d, _)| *d == path) {
                let (_, number) = self.labs[i];
                let kind = if self.skeletons.iter().any(|(_, n)| *n == number) {
                    self.lang.pick("skeleton", "뼈대")
                } else {
                    self.lang.pick("solved", "풀린 상태")
                };
                (self.say)(&format!(
                    "{} {number:02} ({}/{}, {kind})",
                    self.lang.pick("lab", "실습"),
                    i + 1,
                    self.labs.len()
                ));
            }
            let target = dest.join(&name);
            let kind = entry.file_type().map_err(io(&path))?;
            if kind.is_dir() {
                self.dir(&path, &target)?;
            } else if kind.is_file() {
                self.file(&path, &target)?;
            }
            // Symbolic links and special files are not part of a lab; they are left out.
        }
        Ok(())
    }

    fn file(&mut self, path: &Path, target: &Path) -> Result<(), Error> {
        let lab = self
            .skeletons
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
            self.written.regions += regions::find(&text).map_err(region_error)?.len();
            let skeleton = regions::to_skeleton_in(&text, lab, self.lang).map_err(region_error)?;
            std::fs::write(target, skeleton).map_err(io(target))?;
        } else if path == self.root.join("Cargo.toml") {
            let text = std::fs::read_to_string(path).map_err(io(path))?;
            std::fs::write(target, relax_lints(&text)).map_err(io(target))?;
        } else {
            std::fs::copy(path, target).map_err(io(path))?;
        }
        self.written.files += 1;
        Ok(())
    }
}
