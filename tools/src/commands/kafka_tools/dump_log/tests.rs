//! The dump formats on bytes built by the labs' encoders: the lines Kafka 2.6 prints, and a
//! damaged file reported without a panic.

use std::collections::{BTreeMap, VecDeque};

use lab01_record_batch::{BatchAttributes, Record, RecordBatch};
use lab14_exactly_once::control_batch::{marker_batch, ControlRecordType, EndTransactionMarker};
use lab14_exactly_once::producer_snapshot::encode_snapshot;
use lab14_exactly_once::producer_state_manager::{
    BatchMetadata, ProducerStateEntry, ProducerStateManager,
};
use lab14_exactly_once::txn_index::AbortedTxn;

use super::{dump_file, LogOptions};

const DATA: LogOptions = LogOptions {
    deep_iteration: true,
    print_data_log: true,
};
const SHALLOW: LogOptions = LogOptions {
    deep_iteration: false,
    print_data_log: false,
};

fn record(delta: i32, key: Option<&str>, value: &str) -> Record {
    Record {
        attributes: 0,
        timestamp_delta: i64::from(delta),
        offset_delta: delta,
        key: key.map(|k| k.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
        headers: vec![],
    }
}

/// A transactional batch of two records at 0 from producer 1000 epoch 0, then its commit
/// marker at 2 — what the book's ExactlyOnceProducer leaves in peter-test05-0.
fn transactional_segment() -> Vec<u8> {
    let data = RecordBatch {
        base_offset: 0,
        partition_leader_epoch: 0,
        attributes: BatchAttributes {
            transactional: true,
            ..BatchAttributes::default()
        },
        last_offset_delta: 1,
        base_timestamp: 1_600_000_000_000,
        max_timestamp: 1_600_000_000_001,
        producer_id: 1000,
        producer_epoch: 0,
        base_sequence: 0,
        records: vec![
            record(
                0,
                None,
                "Apache Kafka is a distributed streaming platform - 0",
            ),
            record(1, Some("k"), "second"),
        ],
    };
    let marker = marker_batch(
        2,
        1_600_000_000_005,
        1000,
        0,
        EndTransactionMarker {
            control_type: ControlRecordType::Commit,
            coordinator_epoch: 3,
        },
    );
    let mut bytes = data.encode();
    bytes.extend_from_slice(&marker.encode());
    bytes
}

#[test]
fn a_log_prints_each_batch_and_record_as_kafka_2_6() {
    let bytes = transactional_segment();
    let first_size = lab01_record_batch::record_batch::BatchHeader::parse(&bytes)
        .expect("header")
        .total_size();
    let d = dump_file(
        "/data/peter-test05-0/00000000000000000000.log",
        &bytes,
        None,
        DATA,
    );
    assert_eq!(d.err, "");
    let lines: Vec<&str> = d.out.lines().collect();
    assert_eq!(
        lines[0],
        "Dumping /data/peter-test05-0/00000000000000000000.log"
    );
    assert_eq!(lines[1], "Starting offset: 0");
    assert!(
        lines[2].starts_with(
            "baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: 1000 \
             producerEpoch: 0 partitionLeaderEpoch: 0 isTransactional: true isControl: false position: 0 \
             CreateTime: 1600000000001 size: "
        ),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains(" magic: 2 compresscodec: NONE crc: "),
        "{}",
        lines[2]
    );
    assert!(lines[2].ends_with(" isvalid: true"), "{}", lines[2]);
    assert_eq!(
        lines[3],
        "| offset: 0 CreateTime: 1600000000000 keysize: -1 valuesize: 52 sequence: 0 headerKeys: [] \
         payload: Apache Kafka is a distributed streaming platform - 0"
    );
    assert_eq!(
        lines[4],
        "| offset: 1 CreateTime: 1600000000001 keysize: 1 valuesize: 6 sequence: 1 headerKeys: [] key: k payload: second"
    );
    assert!(
        lines[5].starts_with(&format!(
            "baseOffset: 2 lastOffset: 2 count: 1 baseSequence: -1 lastSequence: -1 producerId: 1000 \
             producerEpoch: 0 partitionLeaderEpoch: -1 isTransactional: true isControl: true position: {first_size} "
        )),
        "{}",
        lines[5]
    );
    assert_eq!(
        lines[6],
        "| offset: 2 CreateTime: 1600000000005 keysize: 4 valuesize: 6 sequence: -1 headerKeys: [] \
         endTxnMarker: COMMIT coordinatorEpoch: 3"
    );
    assert_eq!(lines.len(), 7);
}

#[test]
fn without_print_data_log_only_the_batches_are_printed() {
    let d = dump_file(
        "00000000000000000000.log",
        &transactional_segment(),
        None,
        SHALLOW,
    );
    let batches = d
        .out
        .lines()
        .filter(|l| l.starts_with("baseOffset:"))
        .count();
    assert_eq!(batches, 2);
    assert!(!d.out.contains("| offset:"));
}

#[test]
fn a_torn_tail_is_reported_and_the_batches_before_it_printed() {
    let bytes = transactional_segment();
    // Cut the marker batch in its middle, as a crash during its write would.
    let torn = &bytes[..bytes.len() - 20];
    let d = dump_file("00000000000000000000.log", torn, None, DATA);
    assert_eq!(
        d.out
            .lines()
            .filter(|l| l.starts_with("baseOffset:"))
            .count(),
        1
    );
    let marker_size = bytes.len()
        - lab01_record_batch::record_batch::BatchHeader::parse(&bytes)
            .expect("header")
            .total_size();
    assert!(
        d.out.ends_with(&format!(
            "Found {} invalid bytes at the end of 00000000000000000000.log\n",
            marker_size - 20
        )),
        "{}",
        d.out
    );
}

#[test]
fn a_flipped_bit_shows_isvalid_false_and_the_dump_goes_on() {
    let mut bytes = transactional_segment();
    bytes[70] ^= 0x40; // inside the first batch's records
    let d = dump_file("00000000000000000000.log", &bytes, None, DATA);
    let lines: Vec<&str> = d.out.lines().collect();
    assert!(lines[2].ends_with("isvalid: false"), "{}", lines[2]);
    assert!(
        d.err.contains("position 0 fails its CRC check"),
        "{}",
        d.err
    );
    assert!(
        d.out.contains("endTxnMarker: COMMIT"),
        "the next batch is still dumped"
    );
}

#[test]
fn garbage_where_a_header_should_be_is_reported_not_a_panic() {
    let mut bytes = transactional_segment();
    bytes.extend_from_slice(&[0xff; 80]);
    let d = dump_file("00000000000000000000.log", &bytes, None, DATA);
    assert!(d.err.contains("cannot be read"), "{}", d.err);
    assert!(d.out.contains("Found 80 invalid bytes"), "{}", d.out);
}

fn snapshot_of(entries: Vec<ProducerStateEntry>) -> Vec<u8> {
    let producers: BTreeMap<i64, ProducerStateEntry> =
        entries.into_iter().map(|e| (e.producer_id, e)).collect();
    encode_snapshot(&ProducerStateManager {
        producers,
        map_end_offset: 5,
    })
}

#[test]
fn a_snapshot_prints_each_producer_as_kafka_2_6() {
    let bytes = snapshot_of(vec![
        ProducerStateEntry {
            producer_id: 2000,
            producer_epoch: 0,
            batch_metadata: VecDeque::from([BatchMetadata {
                last_seq: 2,
                last_offset: 4,
                offset_delta: 1,
                timestamp: 1_600_000_000_000,
            }]),
            coordinator_epoch: -1,
            current_txn_first_offset: None,
        },
        ProducerStateEntry {
            producer_id: 2001,
            producer_epoch: 3,
            batch_metadata: VecDeque::new(),
            coordinator_epoch: 7,
            current_txn_first_offset: Some(9),
        },
    ]);
    let d = dump_file("00000000000000000005.snapshot", &bytes, None, DATA);
    assert_eq!(d.err, "");
    assert_eq!(
        d.out,
        "Dumping 00000000000000000005.snapshot\n\
         producerId: 2000 producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: None \
         firstSequence: 1 lastSequence: 2 lastOffset: 4 offsetDelta: 1 timestamp: 1600000000000\n\
         producerId: 2001 producerEpoch: 3 coordinatorEpoch: 7 currentTxnFirstOffset: Some(9) \n"
    );
}

#[test]
fn a_corrupt_snapshot_is_reported_on_stderr() {
    let mut bytes = snapshot_of(vec![ProducerStateEntry::empty(1)]);
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let d = dump_file("00000000000000000005.snapshot", &bytes, None, DATA);
    assert_eq!(d.out, "Dumping 00000000000000000005.snapshot\n");
    assert!(d.err.contains("CRC-32C"), "{}", d.err);
}

#[test]
fn indexes_print_absolute_offsets_and_check_the_log() {
    let log = transactional_segment();
    let marker_at = lab01_record_batch::record_batch::BatchHeader::parse(&log)
        .expect("header")
        .total_size() as u32;
    let mut index = Vec::new();
    for (rel, pos) in [(1u32, 0u32), (2, marker_at), (1, 0)] {
        index.extend_from_slice(&rel.to_be_bytes());
        index.extend_from_slice(&pos.to_be_bytes());
    }
    let d = dump_file("00000000000000000100.index", &index, Some(&log), SHALLOW);
    assert_eq!(
        d.out,
        format!(
            "Dumping 00000000000000000100.index\noffset: 101 position: 0\noffset: 102 position: {marker_at}\n\
             offset: 101 position: 0\n"
        )
    );
    // The log's batches end at 1 and 2, the index names 101 and 102.
    assert!(
        d.err.contains("Index offset: 101, log offset: 1"),
        "{}",
        d.err
    );

    let mut time = Vec::new();
    time.extend_from_slice(&1_600_000_000_001i64.to_be_bytes());
    time.extend_from_slice(&1u32.to_be_bytes());
    time.extend_from_slice(&[0; 5]);
    let d = dump_file("00000000000000000100.timeindex", &time, None, SHALLOW);
    assert!(
        d.out.ends_with("timestamp: 1600000000001 offset: 101\n"),
        "{}",
        d.out
    );
    assert!(
        d.err.contains("5 bytes are not a whole 12-byte entry"),
        "{}",
        d.err
    );
}

#[test]
fn a_txn_index_prints_each_aborted_transaction() {
    let bytes = AbortedTxn {
        producer_id: 7,
        first_offset: 3,
        last_offset: 9,
        last_stable_offset: 3,
    }
    .to_bytes();
    let d = dump_file("00000000000000000000.txnindex", &bytes, None, SHALLOW);
    assert!(d
        .out
        .ends_with("version: 0 producerId: 7 firstOffset: 3 lastOffset: 9 lastStableOffset: 3\n"));
}

#[test]
fn an_unknown_file_is_ignored_as_kafka_does() {
    let d = dump_file("/data/leader-epoch-checkpoint", b"0\n1\n0 0\n", None, DATA);
    assert_eq!(
        d.err,
        "Ignoring unknown file /data/leader-epoch-checkpoint\n"
    );
}
