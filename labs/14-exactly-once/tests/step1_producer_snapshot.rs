//! Step 1: the `.snapshot` file of Kafka 2.6, byte by byte, and the state rebuilt from the log.

use lab01_record_batch::record_batch::BatchHeader;
use lab01_record_batch::BatchAttributes;
use lab14_exactly_once::errors::Error;
use lab14_exactly_once::producer_snapshot::{
    decode_snapshot, encode_snapshot, load_producer_state, snapshot_file_name, write_snapshot,
};
use lab14_exactly_once::producer_state_manager::{ProducerBatch, ProducerStateManager};

fn header(
    base_offset: i64,
    pid: i64,
    epoch: i16,
    seq: i32,
    records: i32,
    control: bool,
) -> BatchHeader {
    BatchHeader {
        base_offset,
        batch_length: 0,
        partition_leader_epoch: 0,
        magic: 2,
        crc: 0,
        attributes: BatchAttributes {
            transactional: control,
            control,
            ..BatchAttributes::default()
        },
        last_offset_delta: records - 1,
        base_timestamp: 500,
        max_timestamp: 600,
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
        records_count: records,
    }
}

fn one_producer() -> ProducerStateManager {
    let mut s = ProducerStateManager::new();
    // Producer 1000, epoch 2: a batch of three records, seq 0..=2, at offsets 40..=42.
    s.update(
        &ProducerBatch::from_header(&header(40, 1000, 2, 0, 3, false)),
        40,
    );
    s
}

#[test]
fn step1_snapshot_bytes_are_kafkas() {
    let bytes = encode_snapshot(&one_producer());
    let mut expected: Vec<u8> = vec![
        0x00, 0x01, // version 1
        0, 0, 0, 0, // crc, filled below
        0x00, 0x00, 0x00, 0x01, // one entry
        0, 0, 0, 0, 0, 0, 0x03, 0xe8, // producer id 1000
        0x00, 0x02, // epoch 2
        0x00, 0x00, 0x00, 0x02, // last sequence 2
        0, 0, 0, 0, 0, 0, 0, 42, // last offset 42
        0x00, 0x00, 0x00, 0x02, // offset delta 2
        0, 0, 0, 0, 0, 0, 0x02, 0x58, // timestamp 600
        0xff, 0xff, 0xff, 0xff, // coordinator epoch -1
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // no open transaction
    ];
    let crc = crc32c::crc32c(&expected[6..]);
    expected[2..6].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(bytes, expected);
    assert_eq!(bytes.len(), 10 + 46);
    assert_eq!(snapshot_file_name(43), "00000000000000000043.snapshot");
}

#[test]
fn step1_snapshot_reads_back_and_rejects_a_flipped_bit() {
    let s = one_producer();
    let mut bytes = encode_snapshot(&s);
    let entries = decode_snapshot(&bytes).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0], s.producers[&1000]);
    bytes[20] ^= 1;
    assert!(matches!(
        decode_snapshot(&bytes),
        Err(Error::CorruptSnapshot { .. })
    ));
    bytes[1] = 9;
    assert!(matches!(
        decode_snapshot(&bytes),
        Err(Error::UnknownVersion { version: 9, .. })
    ));
}

#[test]
fn step1_state_is_loaded_from_a_snapshot_and_the_log_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = vec![
        header(0, 1000, 2, 0, 3, false),
        header(3, -1, -1, -1, 2, false),
        header(5, 1000, 2, 3, 1, false),
        header(6, 2000, 0, 0, 1, false),
    ];
    let mut s = ProducerStateManager::new();
    s.rebuild_from_log(&log[..2]);
    assert_eq!(s.map_end_offset, 5);
    let path = write_snapshot(dir.path(), &s).unwrap();
    assert!(path.ends_with("00000000000000000005.snapshot"));

    let loaded = load_producer_state(dir.path(), &log).unwrap();
    let mut full = ProducerStateManager::new();
    full.rebuild_from_log(&log);
    assert_eq!(loaded.map_end_offset, 7);
    assert_eq!(loaded.entry(1000).unwrap().last_seq(), 3);
    assert_eq!(loaded.entry(1000).unwrap().last_data_offset(), 5);
    assert_eq!(loaded.entry(2000), full.entry(2000));
}

#[test]
fn step1_a_missing_or_corrupt_snapshot_rebuilds_from_the_whole_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = vec![
        header(0, 1000, 2, 0, 3, false),
        header(3, 1000, 2, 3, 2, false),
        header(5, 1000, 3, -1, 1, true), // an abort/commit marker at epoch 3
    ];
    let rebuilt = load_producer_state(dir.path(), &log).unwrap();
    let e = rebuilt.entry(1000).unwrap();
    assert_eq!((e.producer_epoch, e.current_txn_first_offset), (3, None));
    assert!(
        e.batch_metadata.is_empty(),
        "a marker with a new epoch forgets the batches"
    );
    assert_eq!(rebuilt.map_end_offset, 6);

    std::fs::write(dir.path().join(snapshot_file_name(3)), b"\x00\x01garbage").unwrap();
    assert_eq!(load_producer_state(dir.path(), &log).unwrap(), rebuilt);
}
