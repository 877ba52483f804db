//! Step 1: when to roll a segment and when to fsync (Kafka's `shouldRoll` and flush interval).

use lab03_partition_log::rules::{flush_due, roll_reason};
use lab03_partition_log::{ActiveSegment, IncomingBatch, LogConfig, RollReason, HOUR_MS};

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 1000,
        segment_ms: HOUR_MS,
        flush_interval_messages: 3,
        ..LogConfig::default()
    }
}

fn active(size: u64, first_batch_timestamp: Option<i64>) -> ActiveSegment {
    ActiveSegment {
        base_offset: 100,
        size,
        first_batch_timestamp,
        created_ms: 0,
    }
}

fn incoming(size: u64, max_timestamp: i64) -> IncomingBatch {
    IncomingBatch {
        size,
        max_timestamp,
        last_offset: 150,
    }
}

#[test]
fn step1_an_empty_segment_never_rolls() {
    let c = config();
    assert_eq!(
        roll_reason(&active(0, None), &incoming(5000, i64::MAX), i64::MAX, &c),
        None
    );
}

#[test]
fn step1_roll_when_the_batch_would_not_fit() {
    let c = config();
    assert_eq!(
        roll_reason(&active(900, Some(0)), &incoming(100, 0), 0, &c),
        None,
        "exactly full is fine"
    );
    assert_eq!(
        roll_reason(&active(900, Some(0)), &incoming(101, 0), 0, &c),
        Some(RollReason::Full)
    );
}

#[test]
fn step1_roll_by_the_records_own_clock() {
    let c = config();
    let start = 1_700_000_000_000;
    let seg = active(10, Some(start));
    assert_eq!(
        roll_reason(&seg, &incoming(10, start + HOUR_MS), 0, &c),
        None,
        "exactly log.roll.hours"
    );
    assert_eq!(
        roll_reason(&seg, &incoming(10, start + HOUR_MS + 1), 0, &c),
        Some(RollReason::Age)
    );
    // The broker's clock does not matter while the segment has record timestamps.
    assert_eq!(
        roll_reason(&seg, &incoming(10, start + 5), start + 10 * HOUR_MS, &c),
        None
    );
    // Without a usable first timestamp, the time since the segment was created counts.
    let old = ActiveSegment {
        created_ms: 5,
        ..active(10, Some(-1))
    };
    assert_eq!(roll_reason(&old, &incoming(10, -1), 5 + HOUR_MS, &c), None);
    assert_eq!(
        roll_reason(&old, &incoming(10, -1), 6 + HOUR_MS, &c),
        Some(RollReason::Age)
    );
}

#[test]
fn step1_roll_before_relative_offsets_overflow() {
    let c = config();
    let batch = IncomingBatch {
        size: 10,
        max_timestamp: 0,
        last_offset: 100 + i64::from(u32::MAX),
    };
    assert_eq!(roll_reason(&active(10, Some(0)), &batch, 0, &c), None);
    let batch = IncomingBatch {
        last_offset: batch.last_offset + 1,
        ..batch
    };
    assert_eq!(
        roll_reason(&active(10, Some(0)), &batch, 0, &c),
        Some(RollReason::OffsetOverflow)
    );
}

#[test]
fn step1_flush_once_the_interval_is_reached() {
    let c = config();
    assert!(!flush_due(0, &c));
    assert!(!flush_due(2, &c));
    assert!(flush_due(3, &c));
    assert!(flush_due(4, &c));
    assert!(
        !flush_due(1 << 40, &LogConfig::default()),
        "by default Kafka leaves flushing to the OS"
    );
}
