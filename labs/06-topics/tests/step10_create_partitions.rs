//! Step 10: CreatePartitions — a topic only grows, and its new partitions get its settings.

mod common;

use common::{create, open, topic};
use lab04_protocol_codec::{ApiRequest, ApiResponse, Decoder, Encoder, ErrorCode};
use lab06_topics::create_partitions::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopic,
    CreatePartitionsTopicResult,
};

fn grow(name: &str, count: i32, assignments: Option<Vec<Vec<i32>>>) -> CreatePartitionsTopic {
    CreatePartitionsTopic {
        name: name.into(),
        count,
        assignments,
    }
}

fn request(topics: Vec<CreatePartitionsTopic>, validate_only: bool) -> CreatePartitionsRequest {
    CreatePartitionsRequest {
        topics,
        timeout_ms: 30_000,
        validate_only,
    }
}

#[test]
fn step10_adds_partitions_with_the_topics_settings_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("orders", 2, 1, &[("retention.ms", "60000")])]),
        2_000,
    );
    common::append(&mut broker, "orders", 0, 2_000, "kept");

    let r = admin.create_partitions(
        &mut broker,
        &request(vec![grow("orders", 5, None)], false),
        3_000,
    );
    assert_eq!(
        r.results[0].error_code,
        ErrorCode::None,
        "{:?}",
        r.results[0]
    );
    assert_eq!(r.results[0].error_message, None);
    assert_eq!(broker.partition_count("orders"), Some(5));
    for p in 2..5 {
        assert!(
            dir.path().join(format!("orders-{p}")).is_dir(),
            "orders-{p}"
        );
        let log = broker.partition("orders", p).unwrap().log();
        assert_eq!(
            log.config().retention_ms,
            60_000,
            "partition {p} has the topic's retention.ms"
        );
        assert_eq!(log.log_end_offset(), 0);
    }
    assert_eq!(
        broker.partition("orders", 0).unwrap().log_end_offset(),
        1,
        "old partitions keep their records"
    );

    drop((broker, admin));
    let (broker, _) = open(dir.path());
    assert_eq!(broker.partition_count("orders"), Some(5), "after a restart");
    assert_eq!(
        broker
            .partition("orders", 4)
            .unwrap()
            .log()
            .config()
            .retention_ms,
        60_000
    );
}

#[test]
fn step10_refuses_what_kafka_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("t", 3, 1, &[])]), 2_000);
    let one = |admin: &mut lab06_topics::TopicAdmin,
               broker: &mut lab05_broker::Broker,
               t: CreatePartitionsTopic| {
        admin
            .create_partitions(broker, &request(vec![t], false), 3_000)
            .results
            .remove(0)
    };

    let r = one(&mut admin, &mut broker, grow("t", 2, None));
    assert_eq!(r.error_code, ErrorCode::InvalidPartitions);
    assert_eq!(
        r.error_message.as_deref(),
        Some("Topic currently has 3 partitions, which is higher than the requested 2.")
    );
    let r = one(&mut admin, &mut broker, grow("t", 3, None));
    assert_eq!(r.error_code, ErrorCode::InvalidPartitions);
    assert_eq!(
        r.error_message.as_deref(),
        Some("Topic already has 3 partitions.")
    );
    let r = one(&mut admin, &mut broker, grow("missing", 3, None));
    assert_eq!(r.error_code, ErrorCode::UnknownTopicOrPartition);
    let r = one(&mut admin, &mut broker, grow("t", 3_000_000, None));
    assert_eq!(r.error_code, ErrorCode::InvalidPartitions);
    // Two new partitions need two assignments, each of them this broker (id 1).
    let r = one(&mut admin, &mut broker, grow("t", 5, Some(vec![vec![1]])));
    assert_eq!(r.error_code, ErrorCode::InvalidReplicaAssignment);
    assert!(r.error_message.unwrap().contains("by 2 but 1 assignments"));
    let r = one(&mut admin, &mut broker, grow("t", 4, Some(vec![vec![7]])));
    assert_eq!(r.error_code, ErrorCode::InvalidReplicaAssignment);
    assert!(r
        .error_message
        .unwrap()
        .contains("Unknown broker(s) in replica assignment: 7."));
    assert_eq!(broker.partition_count("t"), Some(3), "nothing was added");

    let r = one(&mut admin, &mut broker, grow("t", 4, Some(vec![vec![1]])));
    assert_eq!(r.error_code, ErrorCode::None, "{r:?}");
    assert_eq!(broker.partition_count("t"), Some(4));

    // validate_only answers as if, and changes nothing.
    let r = admin.create_partitions(&mut broker, &request(vec![grow("t", 6, None)], true), 3_000);
    assert_eq!(r.results[0].error_code, ErrorCode::None);
    assert_eq!(broker.partition_count("t"), Some(4));
    assert!(!dir.path().join("t-4").exists());

    // A topic twice in one request: both refused, neither grown.
    let r = admin.create_partitions(
        &mut broker,
        &request(vec![grow("t", 6, None), grow("t", 7, None)], false),
        3_000,
    );
    assert!(r
        .results
        .iter()
        .all(|t| t.error_code == ErrorCode::InvalidRequest
            && t.error_message.as_deref() == Some("Duplicate topic in request.")));
    assert_eq!(broker.partition_count("t"), Some(4));
}

#[test]
fn step10_wire_format_is_kafkas() {
    // CreatePartitions v2 (flexible), byte by byte as Kafka's CreatePartitionsRequest.json
    // lays it out: topics [name, count, assignments nullable], timeout_ms, validate_only.
    let mut bytes = vec![0x02]; // compact array: 1 topic
    bytes.extend([0x02, b't']); // compact string "t"
    bytes.extend(4i32.to_be_bytes()); // count
    bytes.push(0x00); // assignments: null
    bytes.push(0x00); // the topic's tag section
    bytes.extend(30_000i32.to_be_bytes()); // timeout_ms
    bytes.push(0x01); // validate_only
    bytes.push(0x00); // tag section
    let mut d = Decoder::new(&bytes);
    let r = CreatePartitionsRequest::decode(&mut d, 2).unwrap();
    d.finish().unwrap();
    assert_eq!(r, request(vec![grow("t", 4, None)], true));

    // And the same in v0: classic strings and arrays, assignments [[1]].
    let mut bytes = 1i32.to_be_bytes().to_vec();
    bytes.extend(1i16.to_be_bytes());
    bytes.push(b't');
    bytes.extend(2i32.to_be_bytes());
    bytes.extend(1i32.to_be_bytes()); // one assignment
    bytes.extend(1i32.to_be_bytes()); // of one broker
    bytes.extend(1i32.to_be_bytes()); // id 1
    bytes.extend(30_000i32.to_be_bytes());
    bytes.push(0x00);
    let mut d = Decoder::new(&bytes);
    let r = CreatePartitionsRequest::decode(&mut d, 0).unwrap();
    d.finish().unwrap();
    assert_eq!(r, request(vec![grow("t", 2, Some(vec![vec![1]]))], false));

    // The response in v0: throttle, results [name, error_code, error_message].
    let response = CreatePartitionsResponse {
        throttle_time_ms: 0,
        results: vec![CreatePartitionsTopicResult {
            name: "t".into(),
            error_code: ErrorCode::InvalidPartitions,
            error_message: None,
        }],
    };
    let mut e = Encoder::new();
    response.encode(&mut e, 0);
    let mut want = 0i32.to_be_bytes().to_vec();
    want.extend(1i32.to_be_bytes());
    want.extend(1i16.to_be_bytes());
    want.push(b't');
    want.extend(37i16.to_be_bytes());
    want.extend((-1i16).to_be_bytes()); // null message
    assert_eq!(e.into_bytes(), want);

    // With a real broker behind it: the handler's answer for that request.
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("t", 1, 1, &[])]), 2_000);
    let r = admin.create_partitions(&mut broker, &r, 3_000);
    assert_eq!(
        r.results[0].error_code,
        ErrorCode::None,
        "{:?}",
        r.results[0]
    );
    assert_eq!(broker.partition_count("t"), Some(2));
}
