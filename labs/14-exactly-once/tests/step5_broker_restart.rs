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
