//! Given: the high watermark checkpoint, `replication-offset-checkpoint` in the log
//! directory (Kafka's `OffsetCheckpointFile` as the `ReplicaManager` writes it): one line per
//! partition this broker hosts, so that a restarted broker knows how far each partition was
//! committed — without it, every HW starts again from 0 and consumers of a restarted follower
//! see nothing until its leader answers. Plain text, as Kafka writes it:
//!
//! ```text
//! 0              the format version, always 0
//! 2              how many entries follow
//! orders 0 42    topic, partition, high watermark — one space between
//! orders 1 17
//! ```
//!
//! Written every `replica.high.watermark.checkpoint.interval.ms` (Kafka's default: 5000) and at
//! shutdown, atomically: the `.tmp` file, fsynced, renamed over the old one. A file that does
//! not parse is an error naming its line; the broker then says so and starts every HW from 0
//! (a shortcut: Kafka takes the whole log directory offline).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use lab11_controller::TopicPartition;

/// The file's name in the log directory.
pub const REPLICATION_OFFSET_CHECKPOINT_FILENAME: &str = "replication-offset-checkpoint";
/// Kafka's `replica.high.watermark.checkpoint.interval.ms` default.
pub const HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS: u64 = 5_000;

/// What went wrong with the file, naming it (and the line, for a bad one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path} line {line}: {reason}; delete the file to start every high watermark from 0")]
    Bad {
        path: String,
        line: usize,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
}

/// The file's text for `entries`.
pub fn encode(entries: &BTreeMap<TopicPartition, i64>) -> String {
    let mut text = format!("0\n{}\n", entries.len());
    for (tp, hw) in entries {
        text.push_str(&format!("{} {} {hw}\n", tp.topic, tp.partition));
    }
    text
}

/// Reads the file's text; `path` only names the file in errors. Refused: another version, a
/// count that does not match the lines, a line that is not `topic partition offset`.
pub fn decode(text: &str, path: &str) -> Result<BTreeMap<TopicPartition, i64>, CheckpointError> {
    let bad = |line: usize, reason: String| CheckpointError::Bad {
        path: path.to_string(),
        line,
        reason,
    };
    let mut lines = text.lines();
    match lines.next() {
        Some("0") => {}
        Some(v) => return Err(bad(1, format!("unknown version {v:?}, expected 0"))),
        None => return Err(bad(1, "the file is empty".into())),
    }
    let count: usize = match lines.next().map(|l| l.trim().parse()) {
        Some(Ok(n)) => n,
        _ => return Err(bad(2, "no entry count".into())),
    };
    let mut entries = BTreeMap::new();
    for i in 0..count {
        let n = i + 3;
        let line = lines.next().ok_or_else(|| {
            bad(
                n,
                format!("expected {count} entries but found only {i} (a torn write?)"),
            )
        })?;
        let fields: Vec<&str> = line.split(' ').collect();
        let [topic, partition, offset] = fields[..] else {
            return Err(bad(
                n,
                format!("malformed line {line:?}: expected \"topic partition offset\""),
            ));
        };
        let (Ok(partition), Ok(offset)) = (partition.parse::<i32>(), offset.parse::<i64>()) else {
            return Err(bad(
                n,
                format!("malformed line {line:?}: the partition and offset must be numbers"),
            ));
        };
        entries.insert(TopicPartition::new(topic, partition), offset);
    }
    if let Some(extra) = lines.find(|l| !l.is_empty()) {
        return Err(bad(
            count + 3,
            format!("more lines than the count {count}: {extra:?}"),
        ));
    }
    Ok(entries)
}

/// Replaces the file at `path` with `text` the way Kafka's checkpoint files are written: into
/// `<path>.tmp`, fsynced, then renamed over the old file (`Utils.atomicMoveWithFallback`), so
/// a crash leaves the old file or the new one, never half of one.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The checkpoint file of one log directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationOffsetCheckpoint {
    path: PathBuf,
}

impl ReplicationOffsetCheckpoint {
    pub fn new(log_dir: &Path) -> ReplicationOffsetCheckpoint {
        ReplicationOffsetCheckpoint {
            path: log_dir.join(REPLICATION_OFFSET_CHECKPOINT_FILENAME),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `entries` atomically ([`write_atomically`]).
    pub fn write(&self, entries: &BTreeMap<TopicPartition, i64>) -> Result<(), CheckpointError> {
        write_atomically(&self.path, &encode(entries)).map_err(|e| CheckpointError::Io {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Reads the entries; a missing file is none (a new broker).
    pub fn read(&self) -> Result<BTreeMap<TopicPartition, i64>, CheckpointError> {
        let name = self.path.display().to_string();
        match std::fs::read(&self.path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => decode(&text, &name),
                Err(_) => Err(CheckpointError::Bad {
                    path: name,
                    line: 1,
                    reason: "the file is not text".into(),
                }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(CheckpointError::Io {
                path: name,
                reason: e.to_string(),
            }),
        }
    }
}
