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
