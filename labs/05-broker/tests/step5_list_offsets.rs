//! Step 5: ListOffsets answers earliest, latest and by timestamp.

mod common;

use lab04_protocol_codec::{ErrorCode, ListOffsetsPartition, ListOffsetsRequest, ListOffsetsTopic};

fn ask(broker: &lab05_broker::Broker, topic: &str, timestamp: i64) -> (ErrorCode, i64) {
    let r = broker.list_offsets(&ListOffsetsRequest {
        replica_id: -1,
        isolation_level: 0,
        topics: vec![ListOffsetsTopic {
            name: topic.into(),
            partitions: vec![ListOffsetsPartition {
                partition: 0,
                current_leader_epoch: -1,
                timestamp,
            }],
        }],
    });
    let p = &r.topics[0].partitions[0];
    (p.error_code, p.offset)
}

#[test]
fn step5_earliest_latest_and_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 1, 0).unwrap();
    assert_eq!(ask(&broker, "orders", -2), (ErrorCode::None, 0));
    assert_eq!(ask(&broker, "orders", -1), (ErrorCode::None, 0));
    broker.produce(&mut common::produce("orders", 0, common::batch(5, "a")), 0); // timestamps 1000..1004
    assert_eq!(ask(&broker, "orders", -2), (ErrorCode::None, 0));
    assert_eq!(ask(&broker, "orders", -1), (ErrorCode::None, 5));
    assert_eq!(ask(&broker, "orders", 1_003), (ErrorCode::None, 3));
    assert_eq!(
        ask(&broker, "orders", 5_000),
        (ErrorCode::None, -1),
        "no record that late"
    );
    assert_eq!(
        ask(&broker, "nope", -1).0,
        ErrorCode::UnknownTopicOrPartition
    );
}
