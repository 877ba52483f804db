//! Step 1 in lab 05's broker: with lab 14's producer state on every partition, Produce drops a
//! retried batch (answering its original offset), refuses a gap and a zombie.
//! Kafka: `Log.analyzeAndValidateProducerState`. (The restart is step 5's test: the snapshot
//! is written with the partition's `.txnindex`.)

mod broker_support;

use broker_support::{batch, open, produce, NOW};
use lab04_protocol_codec::ErrorCode;

#[test]
fn step1_the_broker_drops_a_retry_and_refuses_a_gap_and_a_zombie() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = open(dir.path());
    broker.create_topic("orders", 1, NOW).unwrap();
    assert_eq!(
        produce(&mut broker, batch(7, 0, 0, 3)),
        (ErrorCode::None, 0)
    );
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 2)),
        (ErrorCode::None, 3)
    );
    // The retry of the first batch: its original offset, nothing appended.
    assert_eq!(
        produce(&mut broker, batch(7, 0, 0, 3)),
        (ErrorCode::None, 0)
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 5);
    // A gap: sequence 6 after 4.
    let (code, _) = produce(&mut broker, batch(7, 0, 6, 1));
    assert_eq!(code, ErrorCode::OutOfOrderSequenceNumber);
    // A new epoch fences the old one.
    assert_eq!(
        produce(&mut broker, batch(7, 1, 0, 1)),
        (ErrorCode::None, 5)
    );
    let (code, _) = produce(&mut broker, batch(7, 0, 5, 1));
    assert_eq!(code, ErrorCode::InvalidProducerEpoch);
    // A producer without an id is never checked.
    assert_eq!(
        produce(&mut broker, batch(-1, -1, -1, 1)),
        (ErrorCode::None, 6)
    );
    assert_eq!(
        produce(&mut broker, batch(-1, -1, -1, 1)),
        (ErrorCode::None, 7)
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 8);
}

/// A batch as a follower copies it from its leader: at its offset in the leader's log.
fn replicated(base_offset: i64, pid: i64, seq: i32, records: usize) -> Vec<u8> {
    let mut b = lab01_record_batch::RecordBatchBuilder::new(base_offset);
    for i in 0..records {
        b.append(NOW, None, Some(format!("v{seq}-{i}").as_bytes()), vec![]);
    }
    let mut batch = b.build();
    batch.producer_id = pid;
    batch.producer_epoch = 0;
    batch.base_sequence = seq;
    batch.encode()
}

/// In a cluster a follower builds the same producer state from what it replicates, so once it
/// leads it answers a retry with the original offset (Kafka: `Log.appendAsFollower` updates
/// the `ProducerStateManager`); a batch cut from its log (lab 13) is forgotten with it.
#[test]
fn step1_a_follower_knows_replicated_batches_and_forgets_cut_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = open(dir.path());
    broker.create_topic("orders", 1, NOW).unwrap();
    let partition = broker.partition_mut("orders", 0).unwrap();
    for (offset, seq) in [(0, 0), (3, 3)] {
        let mut bytes = replicated(offset, 7, seq, 3);
        partition.append_as_follower(&mut bytes, NOW).unwrap();
    }
    // Now the leader: the retry of the last replicated batch is a duplicate.
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 3)),
        (ErrorCode::None, 3)
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 6);
    // The log is cut after the first batch: the second is new again.
    let partition = broker.partition_mut("orders", 0).unwrap();
    assert_eq!(partition.truncate_to(3, NOW).unwrap(), 3);
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 3)),
        (ErrorCode::None, 3)
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 6);
    // And the sequence goes on from there.
    assert_eq!(
        produce(&mut broker, batch(7, 0, 6, 1)),
        (ErrorCode::None, 6)
    );
}
