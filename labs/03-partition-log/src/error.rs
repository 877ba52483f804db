//! The one error type of lab 03.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("segment: {0}")]
    Segment(#[from] lab02_log_segment::Error),
    #[error("bad record batch: {0}")]
    Batch(#[from] lab01_record_batch::Error),
    #[error("cannot {op} {path}: {message}")]
    Io {
        op: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("a batch of {size} bytes is larger than a whole segment (log.segment.bytes = {segment_bytes})")]
    RecordBatchTooLarge { size: usize, segment_bytes: u64 },
    #[error("a batch of {size} bytes is larger than max.message.bytes ({max_message_bytes})")]
    RecordTooLarge {
        size: usize,
        max_message_bytes: usize,
    },
    #[error("record {offset_delta} of the batch is invalid: {reason}")]
    InvalidRecord { offset_delta: i32, reason: String },
    #[error("offset {offset} is out of range: this log holds offsets {log_start_offset} to {log_end_offset} (exclusive)")]
    OffsetOutOfRange {
        offset: i64,
        log_start_offset: i64,
        log_end_offset: i64,
    },
    #[error("segment {base_offset} starts before the previous segment ends ({previous_end}): the log directory is inconsistent")]
    OverlappingSegments { base_offset: i64, previous_end: i64 },
}

impl Error {
    pub fn io(op: &'static str, path: &std::path::Path, e: std::io::Error) -> Error {
        Error::Io {
            op,
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
