//! The cleaner's files: its checkpoint, and the swap that replaces a segment by its cleaned
//! copy so that a crash at any moment leaves either the old segment or the new one, never a
//! mix (Kafka's `LogCleaner` and `LogLoader`). Given code.
//!
//! ```text
//! 00000000000000000100.log.cleaned   1. the cleaned copy is written and fsynced
//! 00000000000000000100.log.swap      2. renamed: the copy is complete
//! 00000000000000000100.log           3. renamed over the old segment (the indexes are rebuilt)
//! ```
//!
//! On open, a leftover `.cleaned` is an unfinished copy: deleted, the old segment stays. A
//! leftover `.swap` is a finished copy whose step 3 did not happen: it is renamed into place.
//!
//! The checkpoint, `cleaner-offset-checkpoint` in the partition's folder, holds the first dirty
//! offset in Kafka's checkpoint format (version, entry count, `topic partition offset`). Kafka
//! keeps one such file per `log.dirs` for all partitions; one per partition keeps the log
//! independent of everyone else.

use std::io::Write;
use std::path::Path;

use lab02_log_segment::{file_name, parse_base_offset, LOG_SUFFIX};

use crate::error::{Error, Result};

pub const CLEANED_SUFFIX: &str = ".log.cleaned";
pub const SWAP_SUFFIX: &str = ".log.swap";
pub const CHECKPOINT_FILE: &str = "cleaner-offset-checkpoint";

fn fsync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync", dir, e))
}

/// Writes `bytes` as the cleaned copy of segment `base_offset`, then renames it to `.swap`.
pub fn write_swap(dir: &Path, base_offset: i64, bytes: &[u8]) -> Result<()> {
    let cleaned = dir.join(file_name(base_offset, CLEANED_SUFFIX));
    {
        let mut f =
            std::fs::File::create(&cleaned).map_err(|e| Error::io("create", &cleaned, e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io("write", &cleaned, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", &cleaned, e))?;
    }
    let swap = dir.join(file_name(base_offset, SWAP_SUFFIX));
    std::fs::rename(&cleaned, &swap).map_err(|e| Error::io("rename", &cleaned, e))?;
    fsync_dir(dir)
}

/// Renames the `.swap` of segment `base_offset` over its `.log` (one atomic rename).
pub fn complete_swap(dir: &Path, base_offset: i64) -> Result<()> {
    let swap = dir.join(file_name(base_offset, SWAP_SUFFIX));
    let log = dir.join(file_name(base_offset, LOG_SUFFIX));
    std::fs::rename(&swap, &log).map_err(|e| Error::io("rename", &swap, e))?;
    fsync_dir(dir)
}

/// What a crash during cleaning left behind: unfinished copies go, finished ones go in.
pub fn recover_swaps(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if parse_base_offset(name, CLEANED_SUFFIX).is_some() {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| Error::io("delete", &path, e))?;
        } else if let Some(base) = parse_base_offset(name, SWAP_SUFFIX) {
            complete_swap(dir, base)?;
        }
    }
    Ok(())
}

/// The first dirty offset stored for the log in `dir`; `None` if it was never cleaned.
pub fn read_checkpoint(dir: &Path) -> Result<Option<i64>> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    // A damaged checkpoint costs only a cleaning from the start: read it as "never cleaned".
    Ok(text
        .lines()
        .nth(2)
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok()))
}

/// Stores `first_dirty_offset` for the log in `dir`: a temporary file, fsync, rename.
pub fn write_checkpoint(dir: &Path, first_dirty_offset: i64) -> Result<()> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("log")
        .to_string();
    let (topic, partition) = name.rsplit_once('-').unwrap_or((name.as_str(), "0"));
    let text = format!("0\n1\n{topic} {partition} {first_dirty_offset}\n");
    let tmp = dir.join(format!("{CHECKPOINT_FILE}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(text.as_bytes())
            .map_err(|e| Error::io("write", &tmp, e))?;
        f.sync_all().map_err(|e| Error::io("fsync", &tmp, e))?;
    }
    let path = dir.join(CHECKPOINT_FILE);
    std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename", &tmp, e))
}
