//! Step 8: a group's coordinator is the leader of its `__consumer_offsets` partition,
//! `abs(groupId.hashCode()) % 50` with Java's `String.hashCode` (Kafka's
//! `GroupMetadataManager.partitionFor`). Golden values, computed with Java's rule by hand:
//!
//! ```text
//! "my-group".hashCode()   = -1906497762 → partition 12
//! "orders-app".hashCode() =   772757305 → partition 5
//! ```
//!
//! With partition p led by broker p % 3 + 1, broker 1 coordinates `my-group` and broker 3
//! `orders-app`.

mod in_cluster;

use in_cluster::*;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::{
    FindCoordinatorRequest, FindCoordinatorResponse, GroupId, HeartbeatRequest,
    OffsetCommitRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

const OFFSETS: &str = "__consumer_offsets";

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

/// Every offsets partition p led by broker p % 3 + 1, its only replica.
fn offsets_layout() -> Vec<(i32, i32, Vec<i32>)> {
    (0..50).map(|p| (p, p % 3 + 1, vec![p % 3 + 1])).collect()
}

async fn find_coordinator(node: &Node, group: &str) -> FindCoordinatorResponse {
    let mut c = node.client().await;
    c.call(&FindCoordinatorRequest::default().with_key(s(group)))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step8_find_coordinator_answers_the_leader_of_the_groups_partition() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), FakeZk::default()).await;
    assert_eq!(update_metadata(&node.addr, node.port, &[]).await, 0);

    // No offsets topic yet: written through ZooKeeper (50 partitions, 3 replicas on the 3
    // live brokers, compacted), and COORDINATOR_NOT_AVAILABLE until it has leaders.
    assert_eq!(find_coordinator(&node, "my-group").await.error_code, 15);
    let (assignment, configs) = node.written(OFFSETS).expect("the offsets topic is written");
    assert_eq!(assignment.len(), 50);
    assert!(assignment.values().all(|r| r.len() == 3), "{assignment:?}");
    assert_eq!(
        configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );
    assert_eq!(
        node.shared.broker().partition_count(OFFSETS),
        None,
        "no local logs: those come with LeaderAndIsr"
    );

    let layout = offsets_layout();
    let layout: Vec<(i32, i32, &[i32])> = layout
        .iter()
        .map(|(p, l, r)| (*p, *l, r.as_slice()))
        .collect();
    assert_eq!(
        update_metadata(&node.addr, node.port, &[(OFFSETS, &layout)]).await,
        0
    );
    let answer = find_coordinator(&node, "my-group").await;
    assert_eq!(
        (answer.error_code, answer.node_id.0),
        (0, 1),
        "partition 12 → broker 1"
    );
    assert_eq!(
        (answer.host.as_str(), answer.port),
        ("127.0.0.1", node.port)
    );
    let answer = find_coordinator(&node, "orders-app").await;
    assert_eq!(
        (answer.error_code, answer.node_id.0),
        (0, 3),
        "partition 5 → broker 3"
    );
    assert_eq!(answer.port, 9003);

    // A partition without a leader has no coordinator.
    let mut layout = layout;
    layout[12].1 = -1;
    assert_eq!(
        update_metadata(&node.addr, node.port, &[(OFFSETS, &layout)]).await,
        0
    );
    assert_eq!(find_coordinator(&node, "my-group").await.error_code, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step8_group_apis_answer_not_coordinator_away_from_the_leader() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), FakeZk::default()).await;
    let layout = offsets_layout();
    let layout: Vec<(i32, i32, &[i32])> = layout
        .iter()
        .map(|(p, l, r)| (*p, *l, r.as_slice()))
        .collect();
    // `orders` lives on broker 2 only: the coordinator checks commits against the cache.
    let orders: &[(i32, i32, &[i32])] = &[(0, 2, &[2])];
    let topics = [(OFFSETS, layout.as_slice()), ("orders", orders)];
    assert_eq!(update_metadata(&node.addr, node.port, &topics).await, 0);
    // Broker 1 is told it leads its partitions: their logs are created here, and only theirs.
    let ours: Vec<(i32, i32, &[i32])> = layout.iter().filter(|p| p.1 == 1).cloned().collect();
    assert_eq!(
        leader_and_isr(&node.addr, OFFSETS, &ours).await.error_code,
        0
    );
    assert_eq!(node.shared.broker().partition_count(OFFSETS), Some(17));
    assert_eq!(find_coordinator(&node, "my-group").await.node_id.0, 1);

    let commit = |group: &str| {
        OffsetCommitRequest::default()
            .with_group_id(GroupId(s(group)))
            .with_generation_id_or_member_epoch(-1)
            .with_topics(vec![OffsetCommitRequestTopic::default()
                .with_name(TopicName(s("orders")))
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(42)])])
    };
    let fetch = |group: &str| {
        OffsetFetchRequest::default()
            .with_group_id(GroupId(s(group)))
            .with_topics(Some(vec![OffsetFetchRequestTopic::default()
                .with_name(TopicName(s("orders")))
                .with_partition_indexes(vec![0])]))
    };
    let mut c = node.client().await;

    // Broker 3 coordinates orders-app: this broker refuses it.
    let answer = c.call(&commit("orders-app")).await.unwrap();
    assert_eq!(
        answer.topics[0].partitions[0].error_code, 16,
        "NOT_COORDINATOR"
    );
    let answer = c.call(&fetch("orders-app")).await.unwrap();
    assert_eq!(answer.error_code, 16);
    let heartbeat = HeartbeatRequest::default()
        .with_group_id(GroupId(s("orders-app")))
        .with_generation_id(1)
        .with_member_id(s("m"));
    assert_eq!(c.call(&heartbeat).await.unwrap().error_code, 16);

    // my-group is ours: lab 07 stores the commit in partition 12's log and reads it back.
    let answer = c.call(&commit("my-group")).await.unwrap();
    assert_eq!(answer.topics[0].partitions[0].error_code, 0);
    let answer = c.call(&fetch("my-group")).await.unwrap();
    assert_eq!(answer.error_code, 0);
    assert_eq!(answer.topics[0].partitions[0].committed_offset, 42);
    let broker = node.shared.broker();
    let end = broker
        .partition(OFFSETS, 12)
        .unwrap()
        .log()
        .log_end_offset();
    assert_eq!(end, 1, "one offset record in partition 12");
    assert!(broker.partition("orders", 0).is_none());
    assert_eq!(
        broker.partition_count(OFFSETS),
        Some(17),
        "no offsets partition created here"
    );
}
