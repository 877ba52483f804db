//! The log's settings, with the meaning and defaults of Kafka's broker configuration keys.

use lab01_record_batch::{Compression, TimestampType};

pub const HOUR_MS: i64 = 60 * 60 * 1000;

/// `cleanup.policy` (`log.cleanup.policy`): what happens to old data. `delete` removes whole
/// old segments (retention, step 4); `compact` keeps the latest record of every key (the log
/// cleaner, step 6); `compact,delete` does both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    pub delete: bool,
    pub compact: bool,
}

impl CleanupPolicy {
    pub const DELETE: CleanupPolicy = CleanupPolicy {
        delete: true,
        compact: false,
    };
    pub const COMPACT: CleanupPolicy = CleanupPolicy {
        delete: false,
        compact: true,
    };

    /// Kafka's list syntax: `delete`, `compact`, `compact,delete` (in either order).
    pub fn parse(value: &str) -> Option<CleanupPolicy> {
        let mut policy = CleanupPolicy {
            delete: false,
            compact: false,
        };
        for part in value.split(',').map(str::trim) {
            match part {
                "delete" => policy.delete = true,
                "compact" => policy.compact = true,
                _ => return None,
            }
        }
        (policy.delete || policy.compact).then_some(policy)
    }

    /// As Kafka writes it.
    pub fn name(&self) -> &'static str {
        match (self.compact, self.delete) {
            (true, true) => "compact,delete",
            (true, false) => "compact",
            _ => "delete",
        }
    }
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        CleanupPolicy::DELETE
    }
}

/// `compression.type`: the codec the broker stores a topic's batches with. `producer` keeps
/// each batch as its producer compressed it (Kafka's default); a codec makes the broker
/// recompress every batch that arrives in another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompressionType {
    #[default]
    Producer,
    Codec(Compression),
}

impl CompressionType {
    /// Kafka's names: `uncompressed`, `gzip`, `snappy`, `lz4`, `zstd`, `producer`.
    pub fn parse(value: &str) -> Option<CompressionType> {
        Some(match value.trim() {
            "producer" => CompressionType::Producer,
            "uncompressed" => CompressionType::Codec(Compression::None),
            "gzip" => CompressionType::Codec(Compression::Gzip),
            "snappy" => CompressionType::Codec(Compression::Snappy),
            "lz4" => CompressionType::Codec(Compression::Lz4),
            "zstd" => CompressionType::Codec(Compression::Zstd),
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            CompressionType::Producer => "producer",
            CompressionType::Codec(Compression::None) => "uncompressed",
            CompressionType::Codec(c) => c.name(),
        }
    }
}

/// `message.timestamp.type` by Kafka's name: `CreateTime` or `LogAppendTime`.
pub fn parse_timestamp_type(value: &str) -> Option<TimestampType> {
    match value.trim() {
        "CreateTime" => Some(TimestampType::CreateTime),
        "LogAppendTime" => Some(TimestampType::LogAppendTime),
        _ => None,
    }
}

pub fn timestamp_type_name(t: TimestampType) -> &'static str {
    match t {
        TimestampType::CreateTime => "CreateTime",
        TimestampType::LogAppendTime => "LogAppendTime",
    }
}

/// A `PartialEq` but not `Eq` struct: `min_cleanable_dirty_ratio` is a fraction.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// `log.segment.bytes` (default 1 GiB): roll a new segment before the active one passes this.
    pub segment_bytes: u64,
    /// `log.roll.hours` (default 168, a week) in ms: roll once the active segment's records span this long.
    pub segment_ms: i64,
    /// `log.retention.bytes` (default −1, no limit): delete old segments while the log is bigger.
    pub retention_bytes: i64,
    /// `log.retention.hours` (default 168) in ms, −1 for no limit: delete segments whose newest record is older.
    pub retention_ms: i64,
    /// `log.flush.interval.messages` (default `Long.MAX_VALUE`: leave flushing to the OS and to
    /// replication): fsync after this many messages.
    pub flush_interval_messages: u64,
    /// `log.index.interval.bytes` (default 4096): how sparse the offset index is.
    pub index_interval_bytes: u64,
    /// `log.cleanup.policy` (default `delete`): retention, compaction, or both.
    pub cleanup_policy: CleanupPolicy,
    /// `log.cleaner.delete.retention.ms` (default 1 day): how long a tombstone (a record with a
    /// null value) stays in a compacted log, so that a consumer reading behind still sees the
    /// delete.
    pub delete_retention_ms: i64,
    /// `log.cleaner.min.cleanable.ratio` (default 0.5): clean only when at least this fraction
    /// of the cleanable log is dirty (written since the last cleaning).
    pub min_cleanable_dirty_ratio: f64,
    /// `log.cleaner.min.compaction.lag.ms` (default 0): a record stays uncompacted at least this
    /// long, so a consumer can see every value it had.
    pub min_compaction_lag_ms: i64,
    /// `compression.type` (default `producer`).
    pub compression_type: CompressionType,
    /// `message.max.bytes` (topic: `max.message.bytes`, default 1048588): the largest batch
    /// the log accepts, after recompression.
    pub max_message_bytes: usize,
    /// `log.message.timestamp.type` (default `CreateTime`).
    pub message_timestamp_type: TimestampType,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1 << 30,
            segment_ms: 168 * HOUR_MS,
            retention_bytes: -1,
            retention_ms: 168 * HOUR_MS,
            flush_interval_messages: i64::MAX as u64,
            index_interval_bytes: 4096,
            cleanup_policy: CleanupPolicy::DELETE,
            delete_retention_ms: 24 * HOUR_MS,
            min_cleanable_dirty_ratio: 0.5,
            min_compaction_lag_ms: 0,
            compression_type: CompressionType::Producer,
            max_message_bytes: 1_048_588,
            message_timestamp_type: TimestampType::CreateTime,
        }
    }
}
