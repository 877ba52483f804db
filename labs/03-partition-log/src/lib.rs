//! # Lab 03 — the partition log
//!
//! One partition of a topic, as Kafka stores it: a directory of lab 02 segments that behaves as
//! one append-only log. The log assigns offsets, rolls new segments, deletes old ones by
//! retention, fsyncs by policy, and comes back after a restart with every message re-readable.
//!
//! # Layout
//! - `config` — `LogConfig`: Kafka's `log.*` settings and their defaults. Read first.
//! - `rules` — step 1: when to roll a segment and when to fsync, as pure functions.
//! - `log` — steps 2, 3, 5 and 6: `Log` — append, read, reopen, flush, clean. The heart of the lab.
//! - `retention` — step 4: which old segments to delete, by size and by age.
//! - `cleaner` — step 6: log compaction, Kafka's second retention policy: the latest record of
//!   every key stays (`Log::clean` does the file work); `cleaner_files` — given: its checkpoint
//!   and the crash-safe segment swap.
//! - `log_validator` — given: what the log checks and changes in a producer's batch by the
//!   topic's settings (size, keys, compression, LogAppendTime).
//! - `error` — the one error type.

pub mod cleaner;
pub mod cleaner_files;
pub mod config;
pub mod error;
pub mod log;
pub mod log_validator;
pub mod retention;
pub mod rules;

pub use config::{CleanupPolicy, CompressionType, LogConfig, HOUR_MS};
pub use error::{Error, Result};
pub use log::{segment_base_offsets, AppendInfo, CleanerStats, Log};
pub use retention::SegmentInfo;
pub use rules::{ActiveSegment, IncomingBatch, RollReason};
