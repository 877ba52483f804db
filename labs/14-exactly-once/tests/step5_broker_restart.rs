//! Lab 05's broker with lab 14's producer state, restarted: the state comes back from the
//! `.snapshot` files (written with the partition's `.txnindex`, step 5's file) — or from a
//! replay of the log without them. Kafka: `Log.loadProducerState`.

mod broker_support;

use broker_support::{batch, open, produce, NOW};
use lab04_protocol_codec::ErrorCode;

#[test]
fn step5_producer_state_survives_a_restart_with_or_without_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = open(dir.path());
    broker.create_topic("orders", 1, NOW).unwrap();
    produce(&mut broker, batch(7, 0, 0, 3));
    produce(&mut broker, batch(7, 0, 3, 2));
    broker.flush_all().unwrap();
    drop(broker);
    let partition_dir = dir.path().join("orders-0");
    assert!(
        partition_dir.join("00000000000000000005.snapshot").exists(),
        "a clean shutdown writes <log end>.snapshot"
    );

    // From the snapshot: the last batch's retry is still a duplicate, a gap still a gap.
    let mut broker = open(dir.path());
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 2)),
        (ErrorCode::None, 3)
    );
    let (code, _) = produce(&mut broker, batch(7, 0, 9, 1));
    assert_eq!(code, ErrorCode::OutOfOrderSequenceNumber);
    drop(broker);

    // Without snapshots (a crash): the log is replayed.
    for e in std::fs::read_dir(&partition_dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "snapshot") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let mut broker = open(dir.path());
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 2)),
        (ErrorCode::None, 3)
    );
    assert_eq!(
        produce(&mut broker, batch(7, 0, 5, 1)),
        (ErrorCode::None, 5)
    );
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
/// the `ProducerStateManager`); a batch cut from its log (lab 13) is forgotten with it. Step 5: the cut
/// reloads the state from the log and its `.snapshot` files, which are written with the
/// partition's `.txnindex`.
#[test]
fn step5_a_follower_knows_replicated_batches_and_forgets_cut_ones() {
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
