//! Step 7: the record accumulator — one batch per partition, `batch.size` and `linger.ms`.

use lab06_topics::accumulator::{PendingRecord, RecordAccumulator, BATCH_OVERHEAD};

fn record(seq: u64, value_len: usize) -> PendingRecord {
    PendingRecord {
        seq,
        timestamp_ms: 1,
        key: None,
        value: Some(vec![b'x'; value_len]),
        headers: vec![],
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
    assert_eq!((ready[0].partition, ready[0].records.len()), (0, 2));
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
    // Records 0-2 fill the first batch: the third append says so, the fourth closes it.
    assert!(appended[2].full && !appended[2].closed_previous);
    assert!(appended[3].closed_previous);
    let ready = acc.ready(1);
    let seqs: Vec<Vec<u64>> = ready
        .iter()
        .map(|b| b.records.iter().map(|r| r.seq).collect())
        .collect();
    assert_eq!(
        seqs,
        [vec![0, 1, 2], vec![3, 4, 5]],
        "two full batches in order; record 6 lingers"
    );
    assert_eq!(acc.pending_records(), 1);
    let rest = acc.drain_all();
    assert_eq!(rest[0].records[0].seq, 6);
}

#[test]
fn step7_a_record_bigger_than_batch_size_goes_alone() {
    let mut acc = RecordAccumulator::new(1_000, 0);
    acc.append("t", 0, record(0, 10), 0);
    let a = acc.append("t", 0, record(1, 5_000), 0);
    assert!(a.closed_previous);
    acc.append("t", 0, record(2, 10), 0);
    let ready = acc.ready(0);
    let seqs: Vec<Vec<u64>> = ready
        .iter()
        .map(|b| b.records.iter().map(|r| r.seq).collect())
        .collect();
    assert_eq!(seqs, [vec![0], vec![1], vec![2]]);
}
