//! # Lab 02 — a log segment and its indexes
//!
//! Kafka keeps each partition on disk as a series of *segments*. A segment is a `.log` file of
//! record batches, written only at its end, plus two small indexes that make any offset or
//! timestamp quick to find. After a crash the segment recovers by cutting off a torn tail.
//!
//! # Layout
//! - `file_names` — step 1: `00000000000000000000.log` and friends. Start here.
//! - `offset_index` — step 2: the sparse offset → position index.
//! - `time_index` — step 3: the timestamp → offset index.
//! - `segment` — steps 4 and 5: `LogSegment` (append, read from any offset, find by
//!   timestamp) and `Indexer`, Kafka's rule for when to add index entries.
//! - `recovery` — step 6: scanning a `.log` and finding where its good part ends.
//! - `index_file` — given: the file under an index.
//! - `error` — the one error type.

pub mod error;
pub mod file_names;
pub mod index_file;
pub mod offset_index;
pub mod recovery;
pub mod segment;
pub mod time_index;

pub use error::{Error, Result};
pub use file_names::{file_name, parse_base_offset, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};
pub use offset_index::{OffsetIndex, OffsetPosition};
pub use recovery::Scan;
pub use segment::{Indexer, LogSegment, RecoveryReport, SegmentConfig, MAX_SEGMENT_BYTES};
pub use time_index::{TimeIndex, TimestampOffset};
