//! Step 3: the time index, 12-byte entries of timestamp and relative offset.

use lab02_log_segment::time_index::parse_entries;
use lab02_log_segment::{TimeIndex, TimestampOffset};

fn at(timestamp: i64, offset: i64) -> Option<TimestampOffset> {
    Some(TimestampOffset { timestamp, offset })
}

#[test]
fn step3_only_a_growing_timestamp_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = TimeIndex::open(&dir.path().join("x.timeindex"), 0).unwrap();
    assert_eq!(index.maybe_append(1000, 10), Ok(true));
    assert_eq!(index.maybe_append(900, 20), Ok(false), "an older timestamp");
    assert_eq!(
        index.maybe_append(1000, 30),
        Ok(false),
        "the same timestamp"
    );
    assert_eq!(index.maybe_append(2000, 30), Ok(true));
    assert_eq!(index.maybe_append(3000, 30), Ok(false), "the same offset");
    assert_eq!(
        index.entries(),
        vec![at(1000, 10).unwrap(), at(2000, 30).unwrap()]
    );
}

#[test]
fn step3_lookup_before_finds_the_last_entry_strictly_older() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = TimeIndex::open(&dir.path().join("x.timeindex"), 50).unwrap();
    assert_eq!(index.lookup_before(5000), None);
    index.maybe_append(1000, 60).unwrap();
    index.maybe_append(2000, 80).unwrap();
    assert_eq!(index.lookup_before(999), None);
    assert_eq!(
        index.lookup_before(1000),
        None,
        "strictly older: a record at 1000 may be before offset 60"
    );
    assert_eq!(index.lookup_before(1001), at(1000, 60));
    assert_eq!(index.lookup_before(2000), at(1000, 60));
    assert_eq!(index.lookup_before(i64::MAX), at(2000, 80));
}

#[test]
fn step3_entries_are_timestamp_and_relative_offset_big_endian() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("00000000000000000050.timeindex");
    {
        let (mut index, _) = TimeIndex::open(&path, 50).unwrap();
        index.maybe_append(0x0102_0304_0506_0708, 60).unwrap();
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 10]
    );
    let (index, valid) = TimeIndex::open(&path, 50).unwrap();
    assert!(valid);
    assert_eq!(
        index.entries(),
        vec![at(0x0102_0304_0506_0708, 60).unwrap()]
    );

    assert_eq!(parse_entries(&[0; 11]), None);
    let mut down = 5i64.to_be_bytes().to_vec();
    down.extend_from_slice(&[0, 0, 0, 1]);
    down.extend_from_slice(&4i64.to_be_bytes());
    down.extend_from_slice(&[0, 0, 0, 2]);
    assert_eq!(parse_entries(&down), None, "timestamps go down");
    std::fs::write(&path, [9; 7]).unwrap();
    assert!(!TimeIndex::open(&path, 50).unwrap().1);
}
