//! The one error type of lab 02.

use std::path::{Path, PathBuf};

/// What can go wrong with a segment. I/O errors keep the path and what we were doing, so a
/// learner can tell "disk full while appending to 00000000000000000000.log" from a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("cannot {op} {path}: {message}")]
    Io {
        op: &'static str,
        path: PathBuf,
        kind: std::io::ErrorKind,
        message: String,
    },
    #[error("bad record batch: {0}")]
    Batch(#[from] lab01_record_batch::Error),
    #[error(
        "offset {offset} is not above the last one in this segment ({last}): offsets only grow"
    )]
    OffsetNotIncreasing { offset: i64, last: i64 },
    #[error("offset {offset} is too far from the segment's base offset {base_offset} to fit in 4 bytes: the log should have rolled a new segment")]
    RelativeOffsetOverflow { offset: i64, base_offset: i64 },
    #[error("the batch says it is {declared} bytes but {given} bytes were given")]
    SizeMismatch { declared: usize, given: usize },
    #[error("the segment would grow past {limit} bytes; positions in the index are 4 bytes")]
    SegmentFull { limit: u64 },
    #[error("{path} already exists: open it instead of creating it")]
    SegmentExists { path: PathBuf },
}

impl Error {
    /// Wraps an I/O error with what we were doing and to which file.
    pub fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
        move |e| Error::Io {
            op,
            path: path.to_path_buf(),
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
