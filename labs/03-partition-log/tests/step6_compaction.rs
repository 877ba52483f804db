//! Step 6: log compaction (Kafka's `LogCleaner`) — the latest record of every key stays,
//! offsets never change, tombstones go after `delete.retention.ms`, the active segment is never
//! cleaned, and a cleaning happens only when enough of the log is dirty.

use lab01_record_batch::{BatchHeader, RecordBatch, RecordBatchBuilder};
use lab02_log_segment::file_name;
use lab03_partition_log::cleaner::{
    add_to_offset_map, cleanable_section, filter_batch, keep_record, should_clean, OffsetMap,
};
use lab03_partition_log::cleaner_files::{CHECKPOINT_FILE, CLEANED_SUFFIX, SWAP_SUFFIX};
use lab03_partition_log::{CleanupPolicy, Log, LogConfig, SegmentInfo};

const DAY: i64 = 86_400_000;

fn seg(base_offset: i64, size: u64, max_timestamp: i64) -> SegmentInfo {
    SegmentInfo {
        base_offset,
        size,
        max_timestamp,
    }
}

/// One record per batch: `(key, value)` at `timestamp`; `None` value is a tombstone.
fn keyed(key: &str, value: Option<&str>, timestamp: i64) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(0);
    b.append(
        timestamp,
        Some(key.as_bytes()),
        value.map(str::as_bytes),
        vec![],
    );
    b.build().encode()
}

fn compacted(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        index_interval_bytes: 128,
        cleanup_policy: CleanupPolicy::COMPACT,
        min_cleanable_dirty_ratio: 0.01,
        delete_retention_ms: DAY,
        ..LogConfig::default()
    }
}

/// Every (offset, key, value) readable from offset 0 to the end, following the gaps.
fn read_all(log: &Log) -> Vec<(i64, String, Option<String>)> {
    let mut out = Vec::new();
    let mut offset = log.log_start_offset();
    while let Some(bytes) = log.read(offset, 1 << 20).unwrap() {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let size = BatchHeader::parse(rest).unwrap().total_size();
            let batch = RecordBatch::decode_any(&rest[..size]).unwrap();
            for r in &batch.records {
                let o = batch.base_offset + i64::from(r.offset_delta);
                let text = |b: &Option<Vec<u8>>| {
                    b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned())
                };
                if o >= offset {
                    out.push((o, text(&r.key).unwrap_or_default(), text(&r.value)));
                }
            }
            offset = batch.base_offset + i64::from(batch.last_offset_delta) + 1;
            rest = &rest[size..];
        }
    }
    out
}

#[test]
fn step6_the_cleanable_section_ends_at_the_active_segment() {
    // Three full segments and the active one; nothing cleaned yet: all three are dirty.
    let s = [
        seg(0, 100, 10),
        seg(10, 100, 20),
        seg(20, 100, 30),
        seg(30, 50, 40),
    ];
    let section = cleanable_section(&s, 0, 0, 1_000);
    assert_eq!(section.first_dirty_offset, 0);
    assert_eq!(
        section.first_uncleanable_offset, 30,
        "the active segment is never cleaned"
    );
    assert_eq!((section.clean_bytes, section.dirty_bytes), (0, 300));
    assert_eq!(section.dirty_ratio(), 1.0);
    // Cleaned up to 20 before: two clean segments, one dirty.
    let section = cleanable_section(&s, 20, 0, 1_000);
    assert_eq!((section.clean_bytes, section.dirty_bytes), (200, 100));
    assert!((section.dirty_ratio() - 1.0 / 3.0).abs() < 1e-9);
    assert!(should_clean(&section, 0.3));
    assert!(
        !should_clean(&section, 0.5),
        "below min.cleanable.dirty.ratio"
    );
    // Cleaned up to the active segment: nothing dirty, nothing to do.
    let section = cleanable_section(&s, 30, 0, 1_000);
    assert_eq!(section.dirty_bytes, 0);
    assert!(!should_clean(&section, 0.0));
    // min.compaction.lag.ms: segments with records younger than the lag stay dirty, uncleaned.
    let section = cleanable_section(&s, 0, 985, 1_000);
    assert_eq!(
        section.first_uncleanable_offset, 10,
        "segment 10 has a record only 980 ms old"
    );
    assert_eq!(section.dirty_bytes, 100);
    // A single (active) segment: nothing cleanable.
    let section = cleanable_section(&[seg(0, 500, 10)], 0, 0, 1_000);
    assert_eq!(
        (section.first_uncleanable_offset, section.dirty_bytes),
        (0, 0)
    );
}

#[test]
fn step6_the_latest_record_of_each_key_wins() {
    let mut b = RecordBatchBuilder::new(100);
    b.append(1, Some(b"a"), Some(b"1"), vec![])
        .append(2, Some(b"b"), Some(b"1"), vec![])
        .append(3, Some(b"a"), Some(b"2"), vec![])
        .append(4, None, Some(b"keyless"), vec![])
        .append(5, Some(b"b"), None, vec![]);
    let batch = b.build();
    let mut map = OffsetMap::new();
    add_to_offset_map(&mut map, &batch);
    assert_eq!(map[&b"a"[..]], 102);
    assert_eq!(map[&b"b"[..]], 104);
    assert_eq!(map.len(), 2, "a keyless record is not mapped");

    let horizon = 1_000;
    assert!(
        !keep_record(Some(b"a"), 100, false, 1, &map, horizon),
        "a later `a` exists"
    );
    assert!(keep_record(Some(b"a"), 102, false, 3, &map, horizon));
    assert!(
        keep_record(Some(b"c"), 7, false, 3, &map, horizon),
        "not in the dirty section"
    );
    assert!(
        !keep_record(None, 103, false, 4, &map, horizon),
        "keyless records go"
    );
    assert!(
        !keep_record(Some(b"b"), 104, true, 999, &map, horizon),
        "an old tombstone goes"
    );
    assert!(
        keep_record(Some(b"b"), 104, true, 1_000, &map, horizon),
        "a recent one stays"
    );

    let kept = filter_batch(&batch, |r, offset, _| {
        keep_record(r.key.as_deref(), offset, r.value.is_none(), 2_000, &map, 0)
    })
    .unwrap();
    let offsets: Vec<i64> = kept
        .records
        .iter()
        .map(|r| 100 + i64::from(r.offset_delta))
        .collect();
    assert_eq!(offsets, [102, 104], "records keep their offsets");
    assert_eq!(kept.base_offset, 100);
    assert_eq!(kept.last_offset_delta, 4, "the batch keeps its last offset");
    assert!(filter_batch(&batch, |_, _, _| false).is_none());
}

#[test]
fn step6_clean_keeps_the_latest_value_per_key_at_the_same_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), compacted(300), 0).unwrap();
    // 12 updates of 3 keys, one batch each (72 bytes): segments of 4 batches.
    for i in 0..12i64 {
        let key = format!("k{}", i % 3);
        log.append(&mut keyed(&key, Some(&format!("v{i}")), 1_000 + i), 2_000)
            .unwrap();
    }
    let before = log.segments();
    assert_eq!(before.len(), 3, "{before:?}");
    let active_base = before.last().unwrap().base_offset;
    let stats = log
        .clean(2_000)
        .unwrap()
        .expect("the whole non-active log is dirty");
    assert_eq!(stats.first_dirty_offset, active_base);
    assert!(stats.bytes_after < stats.bytes_before);
    let records = read_all(&log);
    // Below the active segment only the latest of each key is left, at its own offset; the
    // active segment is as it was.
    let cleaned: Vec<_> = records.iter().filter(|r| r.0 < active_base).collect();
    for (offset, key, value) in &cleaned {
        let newest = (0..active_base)
            .rev()
            .find(|o| format!("k{}", o % 3) == *key)
            .unwrap();
        assert_eq!(
            *offset, newest,
            "{key}: only its latest record below the active segment"
        );
        assert_eq!(value.as_deref(), Some(format!("v{offset}").as_str()));
    }
    let active: Vec<i64> = records
        .iter()
        .map(|r| r.0)
        .filter(|o| *o >= active_base)
        .collect();
    assert_eq!(
        active,
        (active_base..12).collect::<Vec<_>>(),
        "the active segment is untouched"
    );
    assert_eq!(log.log_end_offset(), 12, "offsets never change");
    // A read from an offset in a gap gets the next record left.
    let first_left = cleaned[0].0;
    if first_left > 0 {
        let bytes = log.read(0, 1 << 20).unwrap().unwrap();
        let header = BatchHeader::parse(&bytes).unwrap();
        assert!(header.last_offset() >= first_left);
    }
    // Nothing new is dirty: no second cleaning.
    assert_eq!(log.clean(2_000).unwrap(), None);
    // The cleaned log reopens as it was, with its checkpoint.
    let expected = read_all(&log);
    drop(log);
    assert!(dir.path().join(CHECKPOINT_FILE).exists());
    let (log, _) = Log::open(dir.path(), compacted(300), 3_000).unwrap();
    assert_eq!(read_all(&log), expected);
    assert_eq!(log.first_dirty_offset(), active_base);
}

#[test]
fn step6_tombstones_stay_for_delete_retention_ms_then_go() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), compacted(200), 0).unwrap();
    log.append(&mut keyed("gone", Some("v0"), 1_000), 1_000)
        .unwrap();
    log.append(&mut keyed("kept", Some("v1"), 1_000), 1_000)
        .unwrap();
    log.append(&mut keyed("gone", None, 1_000), 1_000).unwrap();
    log.append(&mut keyed("kept", Some("v3"), 1_000), 1_000)
        .unwrap();
    log.append(&mut keyed("pad", Some("v4"), 1_000), 1_000)
        .unwrap();
    log.append(&mut keyed("pad", Some("v5"), 1_000), 1_000)
        .unwrap();
    assert!(log.segments().len() >= 3);
    // Within delete.retention.ms: the tombstone stays, the value it deleted goes.
    log.clean(1_000 + DAY).unwrap().unwrap();
    let records = read_all(&log);
    assert!(records.contains(&(2, "gone".into(), None)), "{records:?}");
    assert!(!records.iter().any(|r| r.0 == 0), "{records:?}");
    // More writes make the log dirty again; the tombstone is now older than the horizon.
    for i in 0..4 {
        log.append(&mut keyed("pad", Some(&format!("w{i}")), 5_000), 5_000)
            .unwrap();
    }
    log.clean(1_001 + DAY).unwrap().unwrap();
    let records = read_all(&log);
    assert!(!records.iter().any(|r| r.1 == "gone"), "{records:?}");
    assert!(
        records.contains(&(3, "kept".into(), Some("v3".into()))),
        "{records:?}"
    );
}

#[test]
fn step6_no_cleaning_below_the_ratio_or_without_compact() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        min_cleanable_dirty_ratio: 0.99,
        ..compacted(200)
    };
    let (mut log, _) = Log::open(dir.path(), config.clone(), 0).unwrap();
    for i in 0..6 {
        log.append(&mut keyed("k", Some(&format!("v{i}")), 1_000), 1_000)
            .unwrap();
    }
    log.clean(1_000).unwrap().unwrap();
    // Two more segments of updates: dirty, but far less than 99% of the log.
    for i in 0..3 {
        log.append(&mut keyed("x", Some(&format!("v{i}")), 1_000), 1_000)
            .unwrap();
    }
    assert_eq!(log.clean(1_000).unwrap(), None);
    // A delete-only log is never compacted.
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(
        dir.path(),
        LogConfig {
            cleanup_policy: CleanupPolicy::DELETE,
            ..config
        },
        0,
    )
    .unwrap();
    for i in 0..6 {
        log.append(&mut keyed("k", Some(&format!("v{i}")), 1_000), 1_000)
            .unwrap();
    }
    assert_eq!(log.clean(1_000).unwrap(), None);
    assert_eq!(read_all(&log).len(), 6);
}

#[test]
fn step6_a_crash_during_the_swap_leaves_the_old_or_the_new_segment() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), compacted(200), 0).unwrap();
    for i in 0..6 {
        log.append(&mut keyed("k", Some(&format!("v{i}")), 1_000), 1_000)
            .unwrap();
    }
    log.clean(1_000).unwrap().unwrap();
    let cleaned = read_all(&log);
    let first = log.segments()[0].base_offset;
    drop(log);
    // A crash before the rename to .swap: the copy is unfinished and is thrown away.
    std::fs::write(
        dir.path().join(file_name(first, CLEANED_SUFFIX)),
        b"half a copy",
    )
    .unwrap();
    let (log, _) = Log::open(dir.path(), compacted(200), 2_000).unwrap();
    assert_eq!(read_all(&log), cleaned);
    assert!(!dir.path().join(file_name(first, CLEANED_SUFFIX)).exists());
    drop(log);
    // A crash after it: the finished copy replaces the segment (here: an empty copy).
    std::fs::write(dir.path().join(file_name(first, SWAP_SUFFIX)), b"").unwrap();
    let (log, _) = Log::open(dir.path(), compacted(200), 2_000).unwrap();
    assert!(!dir.path().join(file_name(first, SWAP_SUFFIX)).exists());
    assert_eq!(log.segments()[0].size, 0);
    assert!(read_all(&log)
        .iter()
        .all(|r| r.0 >= log.segments()[1].base_offset));
}
