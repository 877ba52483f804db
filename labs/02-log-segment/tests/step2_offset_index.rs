//! Step 2: the sparse offset index, 8-byte entries of relative offset and position.

use lab02_log_segment::offset_index::parse_entries;
use lab02_log_segment::{Error, OffsetIndex, OffsetPosition};

fn at(offset: i64, position: u32) -> Option<OffsetPosition> {
    Some(OffsetPosition { offset, position })
}

#[test]
fn step2_lookup_finds_the_last_entry_at_or_before_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, valid) = OffsetIndex::open(&dir.path().join("x.index"), 100).unwrap();
    assert!(valid, "a new, empty index is valid");
    assert_eq!(index.lookup(100), None);
    index.append(110, 0).unwrap();
    index.append(150, 4096).unwrap();
    index.append(200, 8200).unwrap();
    assert_eq!(
        index.lookup(100),
        None,
        "before the first entry: start at position 0"
    );
    assert_eq!(index.lookup(109), None);
    assert_eq!(index.lookup(110), at(110, 0));
    assert_eq!(index.lookup(149), at(110, 0));
    assert_eq!(index.lookup(150), at(150, 4096));
    assert_eq!(index.lookup(199), at(150, 4096));
    assert_eq!(index.lookup(10_000), at(200, 8200));
}

#[test]
fn step2_entries_are_relative_offset_and_position_big_endian() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("00000000000000000100.index");
    let (mut index, _) = OffsetIndex::open(&path, 100).unwrap();
    index.append(110, 0).unwrap();
    index.append(100 + 0x0102_0304, 0x0a0b_0c0d).unwrap();
    // Entries reach the file in groups (index_file.rs); a flush writes out the rest.
    index.flush().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        bytes,
        [0, 0, 0, 10, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d],
        "4-byte offset relative to the base offset 100, then the 4-byte position"
    );
}

#[test]
fn step2_offsets_must_grow_and_fit_in_four_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut index, _) = OffsetIndex::open(&dir.path().join("x.index"), 100).unwrap();
    index.append(150, 10).unwrap();
    assert_eq!(
        index.append(150, 20),
        Err(Error::OffsetNotIncreasing {
            offset: 150,
            last: 150
        })
    );
    assert_eq!(
        index.append(120, 20),
        Err(Error::OffsetNotIncreasing {
            offset: 120,
            last: 150
        })
    );
    assert_eq!(
        index.append(100 + (1 << 32), 20),
        Err(Error::RelativeOffsetOverflow {
            offset: 100 + (1 << 32),
            base_offset: 100
        })
    );
    assert_eq!(
        index.append(99, 20),
        Err(Error::RelativeOffsetOverflow {
            offset: 99,
            base_offset: 100
        })
    );
    assert_eq!(
        index.entries().len(),
        1,
        "failed appends leave the index as it was"
    );
}

#[test]
fn step2_an_index_file_is_read_back_and_damage_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.index");
    {
        let (mut index, _) = OffsetIndex::open(&path, 0).unwrap();
        index.append(5, 100).unwrap();
        index.append(9, 300).unwrap();
    }
    let (index, valid) = OffsetIndex::open(&path, 0).unwrap();
    assert!(valid);
    assert_eq!(
        index.entries(),
        vec![
            OffsetPosition {
                offset: 5,
                position: 100
            },
            OffsetPosition {
                offset: 9,
                position: 300
            }
        ]
    );

    assert_eq!(parse_entries(&[]), Some(vec![]));
    assert_eq!(
        parse_entries(&[0, 0, 0, 5, 0, 0, 0, 100]),
        Some(vec![(5, 100)])
    );
    assert_eq!(
        parse_entries(&[0; 13]),
        None,
        "not a whole number of entries"
    );
    assert_eq!(
        parse_entries(&[0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 2]),
        None,
        "offsets go down"
    );
    assert_eq!(
        parse_entries(&[0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 2]),
        None,
        "positions go down"
    );

    std::fs::write(&path, [1, 2, 3, 4, 5]).unwrap();
    let (index, valid) = OffsetIndex::open(&path, 0).unwrap();
    assert!(
        !valid,
        "a torn index is reported so the segment can rebuild it"
    );
    assert!(index.entries().is_empty());
}
