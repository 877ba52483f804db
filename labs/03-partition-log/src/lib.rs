//! # Lab 03 — the partition log
//!
//! One partition of a topic, as Kafka stores it: a directory of lab 02 segments that behaves as
//! one append-only log. The log assigns offsets, rolls new segments, deletes old ones by
//! retention, fsyncs by policy, and comes back after a restart with every message re-readable.
//!
//! # Layout
//! - `config` — `LogConfig`: Kafka's `log.*` settings and their defaults. Read first.
//! - `rules` — step 1: when to roll a segment and when to fsync, as pure functions.
//! - `log` — steps 2, 3 and 5: `Log` — append, read, reopen, flush. The heart of the lab.
//! - `retention` — step 4: which old segments to delete, by size and by age.
//! - `error` — the one error type.

pub mod config;
pub mod error;
pub mod log;
pub mod retention;
pub mod rules;

pub use config::{LogConfig, HOUR_MS};
pub use error::{Error, Result};
pub use log::{segment_base_offsets, AppendInfo, Log};
pub use retention::SegmentInfo;
pub use rules::{ActiveSegment, IncomingBatch, RollReason};
