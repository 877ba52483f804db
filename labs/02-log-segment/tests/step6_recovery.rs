//! Step 6: on open, a torn or corrupt tail is cut off and nothing before it is lost.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use lab02_log_segment::{LogSegment, SegmentConfig};

const CONFIG: SegmentConfig = SegmentConfig {
    index_interval_bytes: 150,
};

/// Writes `batches` into a new segment at `dir` and closes it; returns the .log path.
fn write_segment(dir: &Path, batches: &[Vec<u8>]) -> std::path::PathBuf {
    let mut segment = LogSegment::create(dir, 0, &CONFIG).unwrap();
    for b in batches {
        segment.append(b).unwrap();
    }
    segment.flush().unwrap();
    segment.log_path().to_path_buf()
}

fn files(dir: &Path) -> [Vec<u8>; 3] {
    ["log", "index", "timeindex"]
        .map(|ext| std::fs::read(dir.join(format!("00000000000000000000.{ext}"))).unwrap())
}

#[test]
fn step6_a_clean_segment_reopens_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let batches = common::batches(20, 3, 30);
    write_segment(dir.path(), &batches);
    let before = files(dir.path());
    let (segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert_eq!(report.batches, 20);
    assert_eq!(
        (report.truncated_bytes, report.reason.as_deref()),
        (0, None)
    );
    assert!(!report.rebuilt_index && !report.rebuilt_time_index);
    assert_eq!(segment.next_offset(), 60);
    assert_eq!(segment.max_timestamp(), 1059);
    assert_eq!(files(dir.path()), before);
    assert_eq!(
        segment.read(0, usize::MAX).unwrap().unwrap(),
        batches.concat()
    );
}

#[test]
fn step6_a_torn_last_batch_is_cut_at_every_length() {
    let batches = common::batches(6, 2, 20);
    let good: usize = batches[..5].iter().map(Vec::len).sum();
    let total = good + batches[5].len();
    for cut in good + 1..total {
        let dir = tempfile::tempdir().unwrap();
        let log = write_segment(dir.path(), &batches);
        OpenOptions::new()
            .write(true)
            .open(&log)
            .unwrap()
            .set_len(cut as u64)
            .unwrap();

        let (mut segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
        assert_eq!(report.valid_bytes, good as u64, "cut at {cut}");
        assert_eq!(report.truncated_bytes, (cut - good) as u64);
        assert!(report.reason.unwrap().contains("torn"), "cut at {cut}");
        assert_eq!(segment.next_offset(), 10);
        assert_eq!(
            std::fs::read(&log).unwrap(),
            batches[..5].concat(),
            "nothing before the tear is lost"
        );
        // The segment goes on from the last good batch.
        segment.append(&batches[5]).unwrap();
        assert_eq!(segment.read(10, 1).unwrap().unwrap(), batches[5]);
    }
}

#[test]
fn step6_a_corrupt_batch_in_the_middle_cuts_the_log_there() {
    let dir = tempfile::tempdir().unwrap();
    let batches = common::batches(8, 2, 20);
    let log = write_segment(dir.path(), &batches);
    let start_of_fourth: usize = batches[..3].iter().map(Vec::len).sum();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[start_of_fourth + 70] ^= 0x01; // inside the fourth batch's records
    std::fs::write(&log, &bytes).unwrap();

    let (segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert_eq!(report.batches, 3);
    assert_eq!(report.valid_bytes, start_of_fourth as u64);
    assert!(report.reason.unwrap().contains("corrupt"));
    assert_eq!(segment.next_offset(), 6);
    assert_eq!(segment.read(6, 100).unwrap(), None);
    assert_eq!(
        segment.read(0, usize::MAX).unwrap().unwrap(),
        batches[..3].concat()
    );
    assert!(segment
        .index()
        .entries()
        .iter()
        .all(|e| u64::from(e.position) < report.valid_bytes));
}

#[test]
fn step6_garbage_and_offsets_that_go_back_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let batches = common::batches(4, 5, 10);
    let log = write_segment(dir.path(), &batches);
    let good = std::fs::read(&log).unwrap();

    OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(&[0xde; 100])
        .unwrap();
    let (_, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert_eq!(report.truncated_bytes, 100);
    assert_eq!(std::fs::read(&log).unwrap(), good);

    // A whole, valid batch whose offsets overlap the ones before it.
    OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(&common::batch(7, &[1], 10))
        .unwrap();
    let (segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert!(report
        .reason
        .unwrap()
        .contains("next offset must be at least 20"));
    assert_eq!(segment.next_offset(), 20);
    assert_eq!(std::fs::read(&log).unwrap(), good);
}

#[test]
fn step6_missing_or_damaged_indexes_are_rebuilt_exactly() {
    let dir = tempfile::tempdir().unwrap();
    write_segment(dir.path(), &common::batches(30, 2, 25));
    let [_, index, time_index] = files(dir.path());
    assert!(
        index.len() >= 16 && time_index.len() >= 24,
        "the segment should have index entries"
    );

    std::fs::remove_file(dir.path().join("00000000000000000000.index")).unwrap();
    std::fs::write(dir.path().join("00000000000000000000.timeindex"), [7u8; 5]).unwrap();
    let (segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert!(report.rebuilt_index && report.rebuilt_time_index);
    assert_eq!(report.truncated_bytes, 0);
    let [_, rebuilt, rebuilt_time] = files(dir.path());
    assert_eq!(rebuilt, index);
    assert_eq!(rebuilt_time, time_index);
    assert_eq!(segment.find_offset_by_timestamp(1030).unwrap(), Some(30));
}

#[test]
fn step6_an_empty_or_headerless_log_opens_empty() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_segment(dir.path(), &[]);
    let (segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert_eq!(
        (
            report.batches,
            report.truncated_bytes,
            segment.next_offset()
        ),
        (0, 0, 0)
    );
    std::fs::write(&log, [0u8; 40]).unwrap();
    let (segment, report) = LogSegment::open(dir.path(), 0, &CONFIG).unwrap();
    assert_eq!((report.truncated_bytes, segment.size()), (40, 0));
}
