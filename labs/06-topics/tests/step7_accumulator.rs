//! Step 7: the record accumulator — one batch per partition, `batch.size` and `linger.ms`.

use lab06_topics::accumulator::{PendingRecord, RecordAccumulator, BATCH_OVERHEAD};

/// Bytes for the records' values: the accumulator borrows a record and copies it into its batch.
static VALUE: [u8; 5_000] = [b'x'; 5_000];

fn record(seq: u64, value_len: usize) -> PendingRecord<'static> {
    PendingRecord {
        seq,
        timestamp_ms: 1,
        key: None,
        value: Some(&VALUE[..value_len]),
        headers: &[],
    }
}

#[test]
fn step7_records_wait_for_linger_ms() {
    let mut acc = RecordAccumulator::new(16_384, 5);
    acc.append("t", 0, record(0, 100), 1_000);
    acc.append("t", 0, record(1, 100), 1_002);
    acc.append("t", 1, record(2, 100), 1_003);
    assert!(
        acc.ready(1_004).is_empty(),
        "the first batch lingers until 1005"
    );
    let ready = acc.ready(1_005);
    assert_eq!(ready.len(), 1);
    assert_eq!((ready[0].partition, ready[0].seqs.len()), (0, 2));
    assert_eq!(
        ready[0].size,
        BATCH_OVERHEAD + 2 * record(0, 100).size_estimate()
    );
    let ready = acc.ready(1_008);
    assert_eq!((ready.len(), ready[0].partition), (1, 1));
    assert!(acc.is_empty());
}

#[test]
fn step7_a_full_batch_is_closed_and_sent_without_waiting() {
    let size = record(0, 1000).size_estimate();
    let mut acc = RecordAccumulator::new(BATCH_OVERHEAD + 3 * size, 1_000_000);
    let appended: Vec<_> = (0..7)
        .map(|seq| acc.append("t", 0, record(seq, 1000), 0))
        .collect();
    // Records 0-2 fill the first batch: the third append says so and closes it at once, so
    // the fourth opens a new batch without closing anything.
    assert!(appended[2].full && !appended[2].closed_previous);
    assert!(!appended[3].closed_previous);
    let ready = acc.ready(1);
    let seqs: Vec<Vec<u64>> = ready.iter().map(|b| b.seqs.clone()).collect();
    assert_eq!(
        seqs,
        [vec![0, 1, 2], vec![3, 4, 5]],
        "two full batches in order; record 6 lingers"
    );
    assert_eq!(acc.pending_records(), 1);
    let rest = acc.drain_all();
    assert_eq!(rest[0].seqs, [6]);
}

#[test]
fn step7_a_record_bigger_than_batch_size_goes_alone() {
    let mut acc = RecordAccumulator::new(1_000, 0);
    acc.append("t", 0, record(0, 10), 0);
    let a = acc.append("t", 0, record(1, 5_000), 0);
    assert!(a.closed_previous);
    acc.append("t", 0, record(2, 10), 0);
    let ready = acc.ready(0);
    let seqs: Vec<Vec<u64>> = ready.iter().map(|b| b.seqs.clone()).collect();
    assert_eq!(seqs, [vec![0], vec![1], vec![2]]);
}

#[test]
fn step7_a_batch_holds_its_records_as_kafka_writes_them() {
    use kafka_protocol::records::RecordBatchDecoder;

    let headers = [("trace".to_string(), Some(b"42".to_vec()))];
    let mut acc = RecordAccumulator::new(16_384, 5);
    for (seq, (key, ts)) in [(Some(&b"k0"[..]), 1_000), (None, 1_003)]
        .into_iter()
        .enumerate()
    {
        acc.append(
            "t",
            3,
            PendingRecord {
                seq: seq as u64 + 7,
                timestamp_ms: ts,
                key,
                value: Some(b"value"),
                headers: &headers,
            },
            0,
        );
    }
    let batch = acc.drain_all().pop().expect("one batch");
    assert_eq!((batch.partition, batch.seqs.clone()), (3, vec![7, 8]));
    assert!(
        batch.records.bytes_written() <= batch.size,
        "size is an upper bound"
    );
    let bytes = batch
        .records
        .build(lab01_record_batch::Compression::None)
        .unwrap();
    // Kafka's own decoder (the kafka-protocol crate) reads it: CRC, offsets, timestamps.
    let set = RecordBatchDecoder::decode(&mut bytes.clone()).unwrap();
    let records = set.records;
    assert_eq!(records.len(), 2);
    assert_eq!((records[0].offset, records[1].offset), (0, 1));
    assert_eq!((records[0].timestamp, records[1].timestamp), (1_000, 1_003));
    assert_eq!(records[0].key.as_deref(), Some(&b"k0"[..]));
    assert_eq!(records[1].key, None);
    assert_eq!(records[1].value.as_deref(), Some(&b"value"[..]));
    assert_eq!(records[1].headers.len(), 1);
    assert_eq!(records[0].sequence, -1, "not idempotent: no sequence");
    // And lab 01's header agrees: base offset 0 (the broker numbers them), two records.
    let header = lab01_record_batch::BatchHeader::parse(&bytes).unwrap();
    assert_eq!((header.base_offset, header.records_count), (0, 2));
    assert_eq!(header.max_timestamp, 1_003);
}
