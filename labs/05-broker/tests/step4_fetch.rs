//! Step 4: Fetch returns the stored batches from an offset, within the byte limits.

mod common;

use lab04_protocol_codec::ErrorCode;

#[test]
fn step4_fetch_returns_what_produce_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    let first = common::batch(3, "a");
    let second = common::batch(2, "b");
    broker.produce(&common::produce("orders", 0, first.clone()), 0);
    broker.produce(&common::produce("orders", 0, second.clone()), 0);

    let (r, bytes) = broker.fetch(&common::fetch("orders", 0, 0, 0, 1));
    let p = &r.responses[0].partitions[0];
    assert_eq!(
        (p.error_code, p.high_watermark, p.log_start_offset),
        (ErrorCode::None, 5, 0)
    );
    let records = p.records.clone().unwrap();
    assert_eq!(bytes, records.len());
    assert_eq!(records.len(), first.len() + second.len());
    // The first batch is byte for byte what the producer sent, but for its base offset.
    assert_eq!(&records[8..first.len()], &first[8..]);

    let (r, _) = broker.fetch(&common::fetch("orders", 0, 4, 0, 1));
    assert_eq!(
        r.responses[0].partitions[0].records.as_ref().unwrap().len(),
        second.len()
    );
    let (r, bytes) = broker.fetch(&common::fetch("orders", 0, 5, 0, 1));
    assert_eq!(
        (bytes, r.responses[0].partitions[0].records.clone()),
        (0, Some(vec![])),
        "caught up: nothing yet"
    );
}

#[test]
fn step4_fetch_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    broker.produce(&common::produce("orders", 0, common::batch(2, "a")), 0);
    let code = |offset, topic: &str| {
        broker
            .fetch(&common::fetch(topic, 0, offset, 0, 1))
            .0
            .responses[0]
            .partitions[0]
            .error_code
    };
    assert_eq!(code(3, "orders"), ErrorCode::OffsetOutOfRange);
    assert_eq!(code(-5, "orders"), ErrorCode::OffsetOutOfRange);
    assert_eq!(code(0, "nope"), ErrorCode::UnknownTopicOrPartition);
}
