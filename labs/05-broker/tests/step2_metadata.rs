//! Step 2: Metadata describes this broker and its topics, creating requested ones if allowed.

mod common;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, BrokerConfig};

#[test]
fn step2_a_requested_topic_is_created_with_num_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    let m = broker
        .metadata(&common::metadata(&["orders"]), 1_000)
        .unwrap();
    assert_eq!(m.brokers.len(), 1);
    assert_eq!(
        (
            m.brokers[0].node_id,
            m.brokers[0].host.as_str(),
            m.brokers[0].port
        ),
        (7, "kafka07", 19092)
    );
    assert_eq!(m.controller_id, 7);
    assert_eq!(m.topics.len(), 1);
    let t = &m.topics[0];
    assert_eq!(
        (t.error_code, t.name.as_str(), t.partitions.len()),
        (ErrorCode::None, "orders", 3)
    );
    for (i, p) in t.partitions.iter().enumerate() {
        assert_eq!((p.partition_index, p.leader_id), (i as i32, 7));
        assert_eq!(
            (p.replica_nodes.clone(), p.isr_nodes.clone()),
            (vec![7], vec![7])
        );
    }
    // All topics: a null list.
    let mut all = common::metadata(&[]);
    all.topics = None;
    assert_eq!(broker.metadata(&all, 1_000).unwrap().topics.len(), 1);
}

#[test]
fn step2_unknown_topics_are_reported_when_creation_is_not_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::open(
        BrokerConfig {
            auto_create_topics: false,
            ..common::config(dir.path())
        },
        0,
    )
    .unwrap();
    let m = broker
        .metadata(&common::metadata(&["orders", "bad name"]), 0)
        .unwrap();
    assert_eq!(m.topics[0].error_code, ErrorCode::UnknownTopicOrPartition);
    assert_eq!(m.topics[1].error_code, ErrorCode::InvalidTopicException);
    assert!(broker.topic_names().is_empty());
    let mut request = common::metadata(&["orders"]);
    request.allow_auto_topic_creation = false;
    let dir2 = tempfile::tempdir().unwrap();
    let mut other = common::broker(dir2.path());
    assert_eq!(
        other.metadata(&request, 0).unwrap().topics[0].error_code,
        ErrorCode::UnknownTopicOrPartition
    );
}
