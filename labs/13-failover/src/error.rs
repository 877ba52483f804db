//! The one error type of lab 13. What a follower or a client must see travels as Kafka's wire
//! codes inside responses; these are files that cannot be read and callers' mistakes.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The `leader-epoch-checkpoint` file is not what Kafka writes: a torn write, a hand edit,
    /// another program's file. `line` counts from 1.
    #[error("leader-epoch-checkpoint {path}: line {line}: {reason} (delete the file to rebuild the cache from the log)")]
    BadCheckpoint {
        path: String,
        line: usize,
        reason: String,
    },
    /// The checkpoint file could not be read or written.
    #[error("leader-epoch-checkpoint {path}: {reason}")]
    Io { path: String, reason: String },
    /// An epoch entry with a negative epoch or start offset (Kafka's IllegalArgumentException).
    #[error("a leader epoch entry needs epoch >= 0 and start offset >= 0, not epoch {epoch} at {start_offset}")]
    BadEpochEntry { epoch: i32, start_offset: i64 },
}

pub type Result<T> = std::result::Result<T, Error>;
