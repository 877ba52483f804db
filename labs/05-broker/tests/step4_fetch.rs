//! Step 4: Fetch returns the stored batches from an offset, within the byte limits.

mod common;

use lab04_protocol_codec::{ApiResponse, Encoder, ErrorCode};

#[test]
fn step4_fetch_returns_what_produce_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    let first = common::batch(3, "a");
    let second = common::batch(2, "b");
    broker.produce(&mut common::produce("orders", 0, first.clone()), 0);
    broker.produce(&mut common::produce("orders", 0, second.clone()), 0);

    let (r, bytes) = broker.fetch(&common::fetch("orders", 0, 0, 0, 1));
    let p = &r.responses[0].partitions[0];
    assert_eq!(
        (p.error_code, p.high_watermark, p.log_start_offset),
        (ErrorCode::None, 5, 0)
    );
    let records = p.records.clone();
    assert_eq!(bytes, records.len());
    assert_eq!(records.len(), first.len() + second.len());
    // The first batch is byte for byte what the producer sent, but for its base offset.
    assert_eq!(&records[8..first.len()], &first[8..]);

    let (r, _) = broker.fetch(&common::fetch("orders", 0, 4, 0, 1));
    assert_eq!(r.responses[0].partitions[0].records.len(), second.len());
    let (r, bytes) = broker.fetch(&common::fetch("orders", 0, 5, 0, 1));
    assert_eq!(
        (bytes, r.responses[0].partitions[0].records.clone()),
        (0, vec![]),
        "caught up: nothing yet"
    );
}

#[test]
fn step4_fetch_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    broker.produce(&mut common::produce("orders", 0, common::batch(2, "a")), 0);
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

/// The bytes of our Fetch v11 answer for a partition with an error, against Kafka's: the
/// fields of FetchResponse.json in order, and an *empty* record set (Kafka's broker puts
/// `MemoryRecords.EMPTY` there), never a null one — librdkafka reads a length of −1 as "invalid
/// MessageSetSize", drops the response and never resets its offset.
#[test]
fn step4_a_partition_with_an_error_answers_an_empty_record_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    broker.produce(&mut common::produce("orders", 0, common::batch(2, "a")), 0);
    let encode = |topic: &str, offset: i64| {
        let (response, bytes) = broker.fetch(&common::fetch(topic, 0, offset, 0, 1));
        assert_eq!(bytes, 0);
        let mut e = Encoder::new();
        response.encode(&mut e, 11);
        e.into_bytes()
    };
    #[rustfmt::skip]
    let kafka = |name: &[u8], error: i16, hw: i64, log_start: i64| -> Vec<u8> {
        [
            &[0, 0, 0, 0][..], &[0, 0], &[0, 0, 0, 0],       // throttle, error, session id
            &[0, 0, 0, 1], &(name.len() as i16).to_be_bytes(), name,
            &[0, 0, 0, 1], &[0, 0, 0, 0],                    // one partition: 0
            &error.to_be_bytes(),
            &hw.to_be_bytes(), &hw.to_be_bytes(), &log_start.to_be_bytes(), // hw, lso, log start
            &[0xff, 0xff, 0xff, 0xff],                       // aborted transactions: null
            &[0xff, 0xff, 0xff, 0xff],                       // preferred read replica: −1
            &[0, 0, 0, 0],                                   // records: empty, not null
        ]
        .concat()
    };
    assert_eq!(
        encode("orders", 9),
        kafka(b"orders", 1, 2, 0),
        "OFFSET_OUT_OF_RANGE"
    );
    assert_eq!(
        encode("nope", 0),
        kafka(b"nope", 3, -1, -1),
        "UNKNOWN_TOPIC_OR_PARTITION"
    );
}

/// The seam lab 12 plugs into: with a follower, a consumer reads only what the high watermark
/// covers; the follower reads to the log end, and its fetch moves the high watermark.
#[test]
fn step4_consumers_read_below_the_high_watermark_and_followers_move_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker_with_follower(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    let first = common::batch(3, "a");
    broker.produce(&mut common::produce("orders", 0, first), 0);
    let hw = |b: &lab05_broker::Broker| b.partition("orders", 0).unwrap().high_watermark();
    assert_eq!(hw(&broker), 0, "the follower has nothing yet");
    let (r, bytes) = broker.fetch(&common::fetch("orders", 0, 0, 0, 1));
    assert_eq!((bytes, r.responses[0].partitions[0].high_watermark), (0, 0));

    let mut follower = common::fetch("orders", 0, 0, 0, 1);
    follower.replica_id = 8;
    let (_, bytes) = broker.fetch(&follower);
    assert!(bytes > 0, "a follower reads past the high watermark");
    follower.topics[0].partitions[0].fetch_offset = 3;
    assert!(broker.record_follower_fetch(&follower, 5).is_empty());
    assert_eq!(hw(&broker), 3, "the follower has 0..3: committed");
    let (_, bytes) = broker.fetch(&common::fetch("orders", 0, 0, 0, 1));
    assert!(bytes > 0, "now the consumer sees them");

    follower.replica_id = 9;
    assert_eq!(
        broker.record_follower_fetch(&follower, 6),
        [("orders".to_string(), 0, ErrorCode::NotLeaderOrFollower)],
        "not a replica of this partition"
    );
}
