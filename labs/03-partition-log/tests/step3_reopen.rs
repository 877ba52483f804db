//! Step 3: after a restart the log is all there — past messages can be read again.

mod common;

use common::{batch, config, fill, log_files, read_all};
use lab02_log_segment::{LogSegment, SegmentConfig};
use lab03_partition_log::{Error, Log};

#[test]
fn step3_a_reopened_log_has_every_message_and_goes_on_from_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let (mut log, _) = Log::open(dir.path(), config(500), 0).unwrap();
        fill(&mut log, 30, 0);
        (read_all(&log, 0), log.segments(), log.log_end_offset())
    };
    let (mut log, reports) = Log::open(dir.path(), config(500), 1).unwrap();
    assert_eq!(reports.len(), before.1.len());
    assert!(reports.iter().all(|(_, r)| r.truncated_bytes == 0));
    assert_eq!(read_all(&log, 0), before.0, "past messages can be re-read");
    assert_eq!(log.segments(), before.1);
    assert_eq!(
        (log.log_start_offset(), log.log_end_offset()),
        (0, before.2)
    );
    let info = log.append(&mut batch(&[5]), 1).unwrap();
    assert_eq!(info.first_offset, before.2);
}

#[test]
fn step3_a_torn_write_in_the_active_segment_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let (last_file, end_before_last) = {
        let (mut log, _) = Log::open(dir.path(), config(500), 0).unwrap();
        fill(&mut log, 20, 0);
        let end = log.log_end_offset();
        (log_files(dir.path()).pop().unwrap(), end - 2)
    };
    let path = dir.path().join(last_file);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 7)
        .unwrap();

    let (log, reports) = Log::open(dir.path(), config(500), 0).unwrap();
    let (_, last) = reports.last().unwrap();
    assert!(last.truncated_bytes > 0);
    assert_eq!(
        log.log_end_offset(),
        end_before_last,
        "only the torn batch is gone"
    );
    assert_eq!(read_all(&log, 0).len() as i64, end_before_last);
}

#[test]
fn step3_a_cut_in_an_older_segment_drops_the_segments_after_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut log, _) = Log::open(dir.path(), config(300), 0).unwrap();
        fill(&mut log, 20, 0);
    }
    let files = log_files(dir.path());
    assert!(files.len() >= 4);
    let second = dir.path().join(&files[1]);
    let mut bytes = std::fs::read(&second).unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 0x55; // inside the last batch of the second segment
    std::fs::write(&second, bytes).unwrap();

    let (log, _) = Log::open(dir.path(), config(300), 0).unwrap();
    assert_eq!(
        log_files(dir.path()),
        files[..2],
        "segments after the hole are deleted"
    );
    let end = log.log_end_offset();
    assert_eq!(read_all(&log, 0).len() as i64, end);
    assert_eq!(read_all(&log, 0).last().unwrap().0, end - 1);
}

#[test]
fn step3_overlapping_segments_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut log, _) = Log::open(dir.path(), config(1 << 20), 0).unwrap();
        fill(&mut log, 5, 0); // offsets 0..10 in segment 0
    }
    let mut stray = LogSegment::create(dir.path(), 5, &SegmentConfig::default()).unwrap();
    let mut b = batch(&[1]);
    lab01_record_batch::set_base_offset(&mut b, 5);
    stray.append(&b).unwrap();
    drop(stray);
    assert_eq!(
        Log::open(dir.path(), config(1 << 20), 0).unwrap_err(),
        Error::OverlappingSegments {
            base_offset: 5,
            previous_end: 10
        }
    );
}

/// Kafka's `Log.truncateTo`, used by a follower after a failover (lab 13): segments past the
/// cut go, the one holding it is cut at a batch boundary, and a reopened log ends there too.
#[test]
fn step3_truncate_to_cuts_segments_and_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), config(500), 0).unwrap();
    fill(&mut log, 30, 0);
    assert!(log.segments().len() > 2, "the test needs several segments");
    let all = read_all(&log, 0);
    assert_eq!(log.truncate_to(12, 0).unwrap(), 12);
    assert_eq!(log.log_end_offset(), 12);
    assert_eq!(read_all(&log, 0), all[..12].to_vec());
    assert!(log.segments().iter().all(|s| s.base_offset < 12));
    assert_eq!(log.truncate_to(40, 0).unwrap(), 12, "past the end: nothing");
    let info = log.append(&mut batch(&[7]), 0).unwrap();
    assert_eq!(info.first_offset, 12, "appends go on from the cut");
    drop(log);
    let (log, _) = Log::open(dir.path(), config(500), 1).unwrap();
    assert_eq!(log.log_end_offset(), 13);
    assert_eq!(read_all(&log, 0)[..12], all[..12]);
}
