//! Step 4: retention deletes whole old segments, by size and by age; the log start offset moves.

mod common;

use common::{batch, config, fill, log_files, HOUR};
use lab03_partition_log::retention::{expired_by_age, expired_by_size};
use lab03_partition_log::{Error, Log, LogConfig, SegmentInfo};

fn infos(sizes: &[u64], timestamps: &[i64]) -> Vec<SegmentInfo> {
    sizes
        .iter()
        .zip(timestamps)
        .enumerate()
        .map(|(i, (size, ts))| SegmentInfo {
            base_offset: i as i64 * 10,
            size: *size,
            max_timestamp: *ts,
        })
        .collect()
}

#[test]
fn step4_size_retention_follows_kafkas_rule() {
    let s = infos(&[100, 100, 100, 100], &[0; 4]);
    assert_eq!(expired_by_size(&s, -1), 0, "−1: no limit");
    assert_eq!(expired_by_size(&s, 400), 0);
    assert_eq!(
        expired_by_size(&s, 301),
        0,
        "deleting a whole segment would go below the limit"
    );
    assert_eq!(expired_by_size(&s, 300), 1);
    assert_eq!(expired_by_size(&s, 250), 1);
    assert_eq!(expired_by_size(&s, 200), 2);
    assert_eq!(expired_by_size(&s, 0), 3, "never the active segment");
    // The 500-byte segment would take the log below the limit, so it and all after it stay.
    assert_eq!(expired_by_size(&infos(&[50, 500, 10, 10], &[0; 4]), 100), 1);
}

#[test]
fn step4_age_retention_uses_the_newest_record_of_each_segment() {
    let s = infos(&[1; 4], &[1000, 2000, 1500, 4000]);
    assert_eq!(expired_by_age(&s, -1, 1 << 50), 0, "−1: no limit");
    assert_eq!(expired_by_age(&s, 1000, 4000), 3);
    assert_eq!(
        expired_by_age(&s, 2100, 4000),
        1,
        "stops at the first segment to keep (2000), though 1500 is older"
    );
    assert_eq!(
        expired_by_age(&s, 3000, 4000),
        0,
        "exactly the retention time is kept"
    );
    assert_eq!(
        expired_by_age(&s, 0, 1 << 50),
        3,
        "never the active segment"
    );
}

#[test]
fn step4_retention_deletes_files_and_moves_the_log_start_offset() {
    let dir = tempfile::tempdir().unwrap();
    let one = batch(&[1000, 1001]).len() as u64; // the size of every batch `fill` appends
    let cfg = LogConfig {
        retention_bytes: (one * 5) as i64,
        ..config(one * 2)
    };
    let (mut log, _) = Log::open(dir.path(), cfg.clone(), 0).unwrap();
    fill(&mut log, 10, 0); // five full segments of two batches, four records each
    assert_eq!(log.segments().len(), 5);
    // 10 batches, limit 5: whole segments go while the log stays at or above the limit.
    assert_eq!(log.apply_retention(0).unwrap(), 2);
    assert_eq!(log.log_start_offset(), 8);
    assert_eq!(
        log_files(dir.path()).first().unwrap(),
        "00000000000000000008.log"
    );
    assert!(!dir.path().join("00000000000000000000.index").exists());
    assert_eq!(
        log.read(7, 10),
        Err(Error::OffsetOutOfRange {
            offset: 7,
            log_start_offset: 8,
            log_end_offset: 20
        })
    );
    assert!(log.read(8, 10).unwrap().is_some());
    assert_eq!(log.apply_retention(0).unwrap(), 0, "nothing more to delete");

    drop(log);
    let (log, _) = Log::open(dir.path(), cfg, 0).unwrap();
    assert_eq!(
        (log.log_start_offset(), log.log_end_offset()),
        (8, 20),
        "the start offset survives a restart"
    );
}

#[test]
fn step4_age_retention_keeps_the_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        retention_ms: 24 * HOUR,
        ..config(300)
    };
    let (mut log, _) = Log::open(dir.path(), cfg, 0).unwrap();
    fill(&mut log, 12, 0); // record timestamps around 1000 ms
    let segments = log.segments().len();
    assert_eq!(
        log.apply_retention(1000 + 24 * HOUR).unwrap(),
        0,
        "not older than a day yet"
    );
    assert_eq!(log.apply_retention(2000 + 24 * HOUR).unwrap(), segments - 1);
    assert_eq!(log.segments().len(), 1);
    assert_eq!(log.log_start_offset(), log.segments()[0].base_offset);
    fill(&mut log, 1, 0);
    assert!(log.log_end_offset() > log.log_start_offset());
}
