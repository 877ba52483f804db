//! Step 5: appends become durable at the configured fsync; the recovery point tracks it.

mod common;

use common::{batch, config, fill};
use lab03_partition_log::{Log, LogConfig};

#[test]
fn step5_flush_moves_the_recovery_point_to_the_log_end() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), config(1 << 20), 0).unwrap();
    fill(&mut log, 5, 0);
    assert_eq!(
        (log.recovery_point(), log.unflushed_messages()),
        (0, 10),
        "by default the OS flushes"
    );
    log.flush().unwrap();
    assert_eq!((log.recovery_point(), log.unflushed_messages()), (10, 0));
    fill(&mut log, 1, 0);
    assert_eq!(log.unflushed_messages(), 2);
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), 12);
}

#[test]
fn step5_the_log_fsyncs_every_flush_interval_messages() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        flush_interval_messages: 10,
        ..config(1 << 20)
    };
    let (mut log, _) = Log::open(dir.path(), cfg, 0).unwrap();
    let mut seen = Vec::new();
    for _ in 0..8 {
        log.append(&mut batch(&[1, 2, 3]), 0).unwrap();
        seen.push(log.recovery_point());
    }
    // 3 records a batch: the 4th batch reaches 12 ≥ 10 unflushed, the 8th reaches 12 again.
    assert_eq!(seen, [0, 0, 0, 12, 12, 12, 12, 24]);
    log.flush().unwrap();
    assert_eq!(log.unflushed_messages(), 0);
}

#[test]
fn step5_flush_covers_segments_rolled_since_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), config(250), 0).unwrap();
    fill(&mut log, 12, 0);
    assert!(log.segments().len() > 3);
    let rolled_base = log.segments().last().unwrap().base_offset;
    assert!(
        log.recovery_point() >= rolled_base - 4,
        "a rolled segment was fsynced when it rolled"
    );
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), log.log_end_offset());
    let (reopened, reports) = Log::open(dir.path(), config(250), 0).unwrap();
    assert!(reports.iter().all(|(_, r)| r.truncated_bytes == 0));
    assert_eq!(reopened.log_end_offset(), 24);
}
