//! The log's settings, with the meaning and defaults of Kafka's broker configuration keys.

pub const HOUR_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
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
        }
    }
}
