//! Step 4: appending batches and reading from any offset; the files have Kafka's layout.

mod common;

use lab01_record_batch::BatchHeader;
use lab02_log_segment::{Error, LogSegment, SegmentConfig};

fn config(interval: u64) -> SegmentConfig {
    SegmentConfig {
        index_interval_bytes: interval,
    }
}

/// Each batch in `bytes`, as (base offset, last offset, size).
fn headers(mut bytes: &[u8]) -> Vec<(i64, i64, usize)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let h = BatchHeader::parse(bytes).unwrap();
        out.push((h.base_offset, h.last_offset(), h.total_size()));
        bytes = &bytes[h.total_size()..];
    }
    out
}

#[test]
fn step4_the_log_file_is_the_batches_back_to_back() {
    let dir = tempfile::tempdir().unwrap();
    let batches = common::batches(10, 3, 50);
    let mut segment = LogSegment::create(dir.path(), 0, &config(4096)).unwrap();
    for b in &batches {
        segment.append(b).unwrap();
    }
    let on_disk = std::fs::read(dir.path().join("00000000000000000000.log")).unwrap();
    assert_eq!(
        on_disk,
        batches.concat(),
        "Kafka's .log holds nothing but whole batches"
    );
    assert_eq!(segment.size(), on_disk.len() as u64);
    assert_eq!(segment.next_offset(), 30);
    assert_eq!(segment.max_timestamp(), 1029);
}

#[test]
fn step4_index_files_follow_kafkas_rule_and_layout() {
    let dir = tempfile::tempdir().unwrap();
    let base = 1_000;
    let batches = common::batches_from(base, 40, 2, 30);
    let interval = 300;
    let mut segment = LogSegment::create(dir.path(), base, &config(interval)).unwrap();
    for b in &batches {
        segment.append(b).unwrap();
    }
    // Kafka's LogSegment.append: once more than index.interval.bytes were written since the
    // last entry, index the next batch by its last offset and its start position.
    let (mut expected_index, mut expected_time) = (Vec::new(), Vec::new());
    let (mut since, mut position, mut max_ts) = (0usize, 0u32, -1i64);
    for b in &batches {
        let h = BatchHeader::parse(b).unwrap();
        max_ts = max_ts.max(h.max_timestamp);
        if since > interval as usize {
            expected_index.extend_from_slice(&((h.last_offset() - base) as u32).to_be_bytes());
            expected_index.extend_from_slice(&position.to_be_bytes());
            expected_time.extend_from_slice(&max_ts.to_be_bytes());
            expected_time.extend_from_slice(&((h.last_offset() - base) as u32).to_be_bytes());
            since = 0;
        }
        since += b.len();
        position += b.len() as u32;
    }
    assert!(
        expected_index.len() >= 8 * 5,
        "the test should produce several entries"
    );
    segment.flush().unwrap();
    let index = std::fs::read(dir.path().join("00000000000000001000.index")).unwrap();
    let time_index = std::fs::read(dir.path().join("00000000000000001000.timeindex")).unwrap();
    assert_eq!(index, expected_index);
    assert_eq!(time_index, expected_time);
}

#[test]
fn step4_reads_from_any_offset() {
    let dir = tempfile::tempdir().unwrap();
    let batches = common::batches(25, 4, 40);
    let mut segment = LogSegment::create(dir.path(), 0, &config(200)).unwrap();
    for b in &batches {
        segment.append(b).unwrap();
    }
    let all = batches.concat();
    for offset in 0..100 {
        let one = segment
            .read(offset, 1)
            .unwrap()
            .expect("every offset is in the segment");
        let found = headers(&one);
        assert_eq!(found.len(), 1, "max_bytes 1 still returns one whole batch");
        let (base, last, _) = found[0];
        assert!(
            base <= offset && offset <= last,
            "offset {offset} read batch {base}..={last}"
        );

        let rest = segment.read(offset, usize::MAX).unwrap().unwrap();
        let start = (offset / 4) as usize;
        assert_eq!(
            rest,
            batches[start..].concat(),
            "from offset {offset} to the end"
        );
        assert!(all.ends_with(&rest));
    }
    assert_eq!(
        segment.read(100, 1000).unwrap(),
        None,
        "nothing at the next offset yet"
    );
}

#[test]
fn step4_max_bytes_takes_only_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let batches = common::batches(5, 2, 100);
    let mut segment = LogSegment::create(dir.path(), 0, &config(4096)).unwrap();
    for b in &batches {
        segment.append(b).unwrap();
    }
    let two = batches[0].len() + batches[1].len();
    assert_eq!(segment.read(0, two - 1).unwrap().unwrap(), batches[0]);
    assert_eq!(
        segment.read(0, two).unwrap().unwrap(),
        batches[..2].concat()
    );
    assert_eq!(
        segment.read(3, two).unwrap().unwrap(),
        batches[1..3].concat()
    );
}

#[test]
fn step4_bad_appends_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut segment = LogSegment::create(dir.path(), 10, &config(4096)).unwrap();
    segment.append(&common::batch(10, &[1, 2, 3], 10)).unwrap();
    let before = std::fs::read(segment.log_path()).unwrap();

    assert_eq!(
        segment.append(&common::batch(12, &[4], 10)),
        Err(Error::OffsetNotIncreasing {
            offset: 12,
            last: 12
        })
    );
    let mut longer = common::batch(13, &[4], 10);
    let declared = longer.len();
    longer.push(0);
    assert_eq!(
        segment.append(&longer),
        Err(Error::SizeMismatch {
            declared,
            given: declared + 1
        })
    );
    assert!(matches!(segment.append(&[0u8; 80]), Err(Error::Batch(_))));
    assert!(matches!(
        segment.append(&longer[..30]),
        Err(Error::Batch(_))
    ));

    assert_eq!(std::fs::read(segment.log_path()).unwrap(), before);
    assert_eq!(segment.next_offset(), 13);
    segment.append(&common::batch(13, &[4], 10)).unwrap();
    assert_eq!(segment.next_offset(), 14);
    assert!(matches!(
        LogSegment::create(dir.path(), 10, &config(4096)),
        Err(Error::SegmentExists { .. })
    ));
}
