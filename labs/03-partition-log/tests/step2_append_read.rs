//! Step 2: the log assigns offsets, rolls segments, and reads from any offset.

mod common;

use common::{batch, config, fill, log_files, read_all, HOUR};
use lab01_record_batch::{verify_crc, BatchHeader};
use lab03_partition_log::{Error, Log, LogConfig, RollReason};

#[test]
fn step2_the_log_assigns_offsets_from_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), LogConfig::default(), 0).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 0));
    assert_eq!(
        log.read(0, 100).unwrap(),
        None,
        "an empty log has nothing at its end yet"
    );

    let info = log.append(&mut batch(&[10, 11, 12]), 0).unwrap();
    assert_eq!(
        (info.first_offset, info.last_offset, info.rolled),
        (0, 2, None)
    );
    let mut second = batch(&[13, 14]);
    let info = log.append(&mut second, 0).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (3, 4));
    assert_eq!(
        BatchHeader::parse(&second).unwrap().base_offset,
        3,
        "rewritten in place"
    );
    assert_eq!(log.log_end_offset(), 5);

    let stored = log.read(3, 1).unwrap().unwrap();
    assert_eq!(stored, second);
    assert_eq!(verify_crc(&stored), Ok(()), "offsets are outside the CRC");
    assert_eq!(
        read_all(&log, 0),
        [(0, "v10"), (1, "v11"), (2, "v12"), (3, "v13"), (4, "v14")]
            .map(|(o, v)| (o, v.to_string()))
    );
}

#[test]
fn step2_segments_roll_by_size_and_are_named_by_their_first_offset() {
    let dir = tempfile::tempdir().unwrap();
    let size = batch(&[0, 0]).len() as u64;
    let (mut log, _) = Log::open(dir.path(), config(size * 3), 0).unwrap();
    for i in 0..10 {
        let info = log.append(&mut batch(&[i, i]), 0).unwrap();
        let expected = if i > 0 && i % 3 == 0 {
            Some(RollReason::Full)
        } else {
            None
        };
        assert_eq!(info.rolled, expected, "batch {i}");
    }
    let segments = log.segments();
    assert_eq!(
        segments.iter().map(|s| s.base_offset).collect::<Vec<_>>(),
        [0, 6, 12, 18]
    );
    assert!(segments.iter().all(|s| s.size <= size * 3));
    assert_eq!(
        log_files(dir.path()),
        [
            "00000000000000000000.log",
            "00000000000000000006.log",
            "00000000000000000012.log",
            "00000000000000000018.log"
        ]
    );
}

#[test]
fn step2_segments_roll_by_record_time() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        segment_ms: HOUR,
        ..config(1 << 20)
    };
    let (mut log, _) = Log::open(dir.path(), cfg, 0).unwrap();
    let t = 1_700_000_000_000;
    assert_eq!(log.append(&mut batch(&[t]), t).unwrap().rolled, None);
    assert_eq!(
        log.append(&mut batch(&[t + HOUR / 2]), t).unwrap().rolled,
        None
    );
    assert_eq!(
        log.append(&mut batch(&[t + HOUR + 1]), t).unwrap().rolled,
        Some(RollReason::Age)
    );
    assert_eq!(
        log.segments()
            .iter()
            .map(|s| s.base_offset)
            .collect::<Vec<_>>(),
        [0, 2]
    );
}

#[test]
fn step2_reads_any_offset_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), config(300), 0).unwrap();
    fill(&mut log, 40, 0);
    assert!(log.segments().len() > 5, "the test wants many segments");
    let end = log.log_end_offset();
    assert_eq!(end, 80);
    for offset in 0..end {
        let one = log
            .read(offset, 1)
            .unwrap()
            .expect("every offset is readable");
        let h = BatchHeader::parse(&one).unwrap();
        assert!(
            h.base_offset <= offset && offset <= h.last_offset(),
            "offset {offset}"
        );
        assert_eq!(one.len(), h.total_size(), "one whole batch");
    }
    let all = read_all(&log, 0);
    assert_eq!(all.len(), 80);
    assert!(all
        .iter()
        .enumerate()
        .all(|(i, (o, v))| *o == i as i64 && *v == format!("v{}", 1000 + i)));
    assert_eq!(log.read(end, 10).unwrap(), None);
    for bad in [end + 1, -1] {
        assert_eq!(
            log.read(bad, 10),
            Err(Error::OffsetOutOfRange {
                offset: bad,
                log_start_offset: 0,
                log_end_offset: end
            })
        );
    }
}

#[test]
fn step2_bad_batches_are_refused_and_the_log_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut log, _) = Log::open(dir.path(), config(400), 0).unwrap();
    fill(&mut log, 2, 0);
    let mut corrupt = batch(&[1, 2]);
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    assert!(matches!(log.append(&mut corrupt, 0), Err(Error::Batch(_))));
    let mut huge = batch(&[1; 40]);
    assert!(matches!(
        log.append(&mut huge, 0),
        Err(Error::RecordBatchTooLarge { .. })
    ));
    assert!(matches!(
        log.append(&mut [0u8; 20], 0),
        Err(Error::Batch(_))
    ));
    assert_eq!(log.log_end_offset(), 4);
    fill(&mut log, 1, 0);
    assert_eq!(read_all(&log, 0).len(), 6);
}
