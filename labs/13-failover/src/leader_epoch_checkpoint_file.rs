//! Step 1: the `leader-epoch-checkpoint` file in each partition's log directory (Kafka's
//! `LeaderEpochCheckpointFile`, a `CheckpointFile` of `EpochEntry`). Plain text, as Kafka
//! writes it:
//!
//! ```text
//! 0          the format version, always 0
//! 3          how many entries follow
//! 0 0        epoch, one space, start offset — one entry per line, in epoch order
//! 2 4
//! 3 7
//! ```
//!
//! Every line ends with `\n`. A write goes to `leader-epoch-checkpoint.tmp`, is synced, then
//! renamed over the old file (`Utils.atomicMoveWithFallback`): a crash leaves either the
//! old file or the new one, never half of one. A file that still does not parse (a disk
//! that lied, a hand edit) is a clear error naming the line — Kafka throws too; the cure is
//! to delete it, and the cache is rebuilt from the log's batches.

use std::fs;
use std::path::{Path, PathBuf};

use lab12_replication::replication_offset_checkpoint::write_atomically;

use crate::error::{Error, Result};
use crate::leader_epoch_file_cache::EpochEntry;

/// The file's name in a partition's directory.
pub const LEADER_EPOCH_CHECKPOINT_FILENAME: &str = "leader-epoch-checkpoint";
/// The only format version Kafka has written.
pub const CHECKPOINT_VERSION: i32 = 0;

/// The file's text for `entries`.
pub fn encode_checkpoint(entries: &[EpochEntry]) -> String {
    // BEGIN SOLUTION step 1: the version line, the count line, then one epoch-space-offset line per entry, each ending with a newline
    // ko: 버전 줄, 개수 줄, 그리고 항목마다 에포크 공백 오프셋 줄을 쓰고 줄마다 개행으로 끝내세요
    let mut text = format!("{CHECKPOINT_VERSION}\n{}\n", entries.len());
    for e in entries {
        text.push_str(&format!("{} {}\n", e.epoch, e.start_offset));
    }
    text
    // END SOLUTION
}

/// Reads the file's text. `path` only names the file in errors. Refused: another version, a
/// count that does not match the lines, a line that is not two numbers, a negative value, and
/// entries whose epochs or offsets do not go up (the cache relies on it).
pub fn decode_checkpoint(text: &str, path: &str) -> Result<Vec<EpochEntry>> {
    // BEGIN SOLUTION step 1: check the version and the count, parse each line as two numbers, refuse negatives, unordered entries and lines beyond the count
    // ko: 버전과 개수를 확인하고, 줄마다 숫자 두 개로 읽고, 음수와 순서가 어긋난 항목, 개수를 넘는 줄은 거절하세요
    let bad = |line: usize, reason: String| Error::BadCheckpoint {
        path: path.to_string(),
        line,
        reason,
    };
    let mut lines = text.lines();
    let version = lines
        .next()
        .ok_or_else(|| bad(1, "the file is empty".into()))?;
    if version.trim() != CHECKPOINT_VERSION.to_string() {
        return Err(bad(1, format!("unknown version {version:?}, expected 0")));
    }
    let count_line = lines
        .next()
        .ok_or_else(|| bad(2, "no entry count".into()))?;
    let count: usize = count_line
        .trim()
        .parse()
        .map_err(|_| bad(2, format!("the entry count {count_line:?} is not a number")))?;
    let mut entries: Vec<EpochEntry> = Vec::with_capacity(count.min(1024));
    for i in 0..count {
        let n = i + 3;
        let line = lines.next().ok_or_else(|| {
            bad(
                n,
                format!("expected {count} entries but found only {i} (a torn write?)"),
            )
        })?;
        let mut fields = line.split(' ');
        let (Some(epoch), Some(offset), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad(
                n,
                format!("malformed line {line:?}: expected \"epoch offset\""),
            ));
        };
        let epoch: i32 = epoch
            .parse()
            .map_err(|_| bad(n, format!("the epoch {epoch:?} is not a number")))?;
        let start_offset: i64 = offset
            .parse()
            .map_err(|_| bad(n, format!("the offset {offset:?} is not a number")))?;
        if epoch < 0 || start_offset < 0 {
            return Err(bad(n, format!("negative entry {line:?}")));
        }
        if let Some(prev) = entries.last() {
            if epoch <= prev.epoch || start_offset <= prev.start_offset {
                return Err(bad(
                    n,
                    format!(
                        "entry {line:?} does not follow {} {}",
                        prev.epoch, prev.start_offset
                    ),
                ));
            }
        }
        entries.push(EpochEntry::new(epoch, start_offset));
    }
    if let Some(extra) = lines.find(|l| !l.is_empty()) {
        return Err(bad(
            count + 3,
            format!("more lines than the count {count}: {extra:?}"),
        ));
    }
    Ok(entries)
    // END SOLUTION
}

/// The checkpoint file of one partition directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderEpochCheckpointFile {
    path: PathBuf,
}

impl LeaderEpochCheckpointFile {
    /// The file `leader-epoch-checkpoint` in the partition directory `dir`.
    pub fn new(dir: &Path) -> LeaderEpochCheckpointFile {
        LeaderEpochCheckpointFile {
            path: dir.join(LEADER_EPOCH_CHECKPOINT_FILENAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `entries` atomically: the `.tmp` file, synced, renamed over the old one.
    pub fn write(&self, entries: &[EpochEntry]) -> Result<()> {
        write_atomically(&self.path, &encode_checkpoint(entries)).map_err(|e| Error::Io {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Reads the entries; a missing file is an empty cache (a new replica).
    pub fn read(&self) -> Result<Vec<EpochEntry>> {
        let name = self.path.display().to_string();
        match fs::read(&self.path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| Error::BadCheckpoint {
                    path: name.clone(),
                    line: 1,
                    reason: "the file is not text".into(),
                })?;
                decode_checkpoint(&text, &name)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(Error::Io {
                path: name,
                reason: e.to_string(),
            }),
        }
    }
}
