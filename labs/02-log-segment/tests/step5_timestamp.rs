//! Step 5: finding the first offset at or after a timestamp (ListOffsets by time).

mod common;

use lab01_record_batch::RecordBatch;
use lab02_log_segment::{LogSegment, SegmentConfig};

#[test]
fn step5_finds_the_first_record_at_or_after_a_timestamp() {
    // Producer timestamps need not follow offsets. Offsets and timestamps:
    // 0:10 1:30 2:20 | 3:25 4:40 | 5:35 6:50
    let batches = [
        common::batch(0, &[10, 30, 20], 5),
        common::batch(3, &[25, 40], 5),
        common::batch(5, &[35, 50], 5),
    ];
    for interval in [0, 4096] {
        let dir = tempfile::tempdir().unwrap();
        let config = SegmentConfig {
            index_interval_bytes: interval,
        };
        let mut segment = LogSegment::create(dir.path(), 0, &config).unwrap();
        for b in &batches {
            segment.append(b).unwrap();
        }
        let find = |ts| segment.find_offset_by_timestamp(ts).unwrap();
        assert_eq!(find(i64::MIN), Some(0));
        assert_eq!(find(10), Some(0));
        assert_eq!(
            find(11),
            Some(1),
            "offset 1 (30) is the first at or after 11"
        );
        assert_eq!(find(30), Some(1));
        assert_eq!(find(31), Some(4));
        assert_eq!(find(36), Some(4));
        assert_eq!(find(41), Some(6));
        assert_eq!(find(50), Some(6));
        assert_eq!(find(51), None, "every record is older");
    }
}

#[test]
fn step5_agrees_with_a_brute_force_search_over_many_batches() {
    let dir = tempfile::tempdir().unwrap();
    let config = SegmentConfig {
        index_interval_bytes: 256,
    };
    let mut segment = LogSegment::create(dir.path(), 500, &config).unwrap();
    let mut all = Vec::new(); // (offset, timestamp)
    let mut offset = 500;
    for b in 0..120i64 {
        // Timestamps grow overall but jitter inside and between batches.
        let ts: Vec<i64> = (0..3).map(|i| b * 100 + (i * 37 + b * 11) % 150).collect();
        let bytes = common::batch(offset, &ts, 20);
        let decoded = RecordBatch::decode(&bytes).unwrap();
        for r in &decoded.records {
            all.push((
                offset + i64::from(r.offset_delta),
                decoded.base_timestamp + r.timestamp_delta,
            ));
        }
        segment.append(&bytes).unwrap();
        offset += 3;
    }
    for target in (-10..12_200).step_by(7) {
        let expected = all.iter().find(|(_, ts)| *ts >= target).map(|(o, _)| *o);
        assert_eq!(
            segment.find_offset_by_timestamp(target).unwrap(),
            expected,
            "timestamp {target}"
        );
    }
}
