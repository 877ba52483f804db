//! The log's rules, as pure functions of numbers: when to roll a new segment, when to fsync.
//! Kept apart from the files so they can be read, tested and changed on their own.

use crate::config::LogConfig;

/// What the log knows about its active segment when a batch arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveSegment {
    pub base_offset: i64,
    pub size: u64,
    /// Largest timestamp of its first batch (Kafka's `rollingBasedTimestamp`), if it has one.
    pub first_batch_timestamp: Option<i64>,
    /// When the log created or opened it.
    pub created_ms: i64,
}

/// The batch about to be appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomingBatch {
    pub size: u64,
    pub max_timestamp: i64,
    pub last_offset: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollReason {
    /// The batch would take the segment past `log.segment.bytes`.
    Full,
    /// The segment's records span more than `log.roll.hours`.
    Age,
    /// The batch's offsets are too far from the base offset for the 4-byte relative offsets of
    /// the index.
    OffsetOverflow,
}

/// Kafka's `LogSegment.shouldRoll`. An empty segment never rolls.
///
/// Age is measured in *record* time: the batch's largest timestamp minus the first batch's,
/// so a log replayed from old data rolls as the data's clock says. Only a segment without a
/// usable first timestamp falls back to `now_ms − created_ms`.
pub fn roll_reason(
    active: &ActiveSegment,
    batch: &IncomingBatch,
    now_ms: i64,
    config: &LogConfig,
) -> Option<RollReason> {
    // BEGIN SOLUTION step 1: roll a non-empty segment when the batch would not fit, when it is old enough, or when offsets overflow 4 bytes
    // ko: 비어 있지 않은 세그먼트는 배치가 들어가지 않거나, 충분히 오래됐거나, 오프셋이 4바이트를 넘칠 때 롤링하기
    if active.size == 0 {
        return None;
    }
    if active.size + batch.size > config.segment_bytes {
        return Some(RollReason::Full);
    }
    let waited = match active.first_batch_timestamp {
        Some(first) if first >= 0 => batch.max_timestamp - first,
        _ => now_ms - active.created_ms,
    };
    if waited > config.segment_ms {
        return Some(RollReason::Age);
    }
    if batch.last_offset - active.base_offset > i64::from(u32::MAX) {
        return Some(RollReason::OffsetOverflow);
    }
    None
    // END SOLUTION
}

/// `log.flush.interval.messages`: fsync once this many messages are unflushed.
pub fn flush_due(unflushed_messages: u64, config: &LogConfig) -> bool {
    // BEGIN SOLUTION step 1: flush once the unflushed count reaches the configured interval
    // ko: 플러시하지 않은 개수가 설정한 간격에 이르면 플러시하기
    unflushed_messages >= config.flush_interval_messages
    // END SOLUTION
}
