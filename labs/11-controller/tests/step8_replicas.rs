//! Step 8: LeaderAndIsr creates the logs of the partitions that name this broker a replica —
//! with the topic's settings from ZooKeeper — and StopReplica with `delete_partition` removes
//! one with its files (Kafka's `ReplicaManager`). A topic of 6 partitions with one replica on
//! 3 brokers puts two partitions on each: broker 1 hosts 0 and 3 only.

mod in_cluster;

use std::collections::BTreeMap;

use bytes::Bytes;
use in_cluster::*;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

/// Partition p led by broker p % 3 + 1, its only replica; partition 6 has two replicas and
/// broker 2 leads it, so broker 1 follows.
const ORDERS: &[(i32, i32, &[i32])] = &[
    (0, 1, &[1]),
    (1, 2, &[2]),
    (2, 3, &[3]),
    (3, 1, &[1]),
    (4, 2, &[2]),
    (5, 3, &[3]),
    (6, 2, &[2, 1]),
];

fn orders_in_zookeeper() -> FakeZk {
    let assignment = ORDERS.iter().map(|(p, _, r)| (*p, r.to_vec())).collect();
    let configs = BTreeMap::from([("retention.ms".to_string(), "3600000".to_string())]);
    FakeZk {
        topics: BTreeMap::from([("orders".to_string(), (assignment, configs))]),
        deletions: Vec::new(),
    }
}

fn on_disk(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("orders-"))
        .collect();
    names.sort();
    names
}

async fn produce(node: &Node, partition: i32) -> i16 {
    let mut b = lab01_record_batch::RecordBatchBuilder::new(0);
    b.append(1_000, Some(b"k"), Some(b"v"), vec![]);
    let request = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(1000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("orders")))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(Bytes::from(b.build().encode())))])]);
    let answer = node.client().await.call(&request).await.unwrap();
    answer.responses[0].partition_responses[0].error_code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step8_leader_and_isr_creates_the_logs_of_this_brokers_replicas() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), orders_in_zookeeper()).await;
    assert!(on_disk(dir.path()).is_empty());

    let answer = leader_and_isr(&node.addr, "orders", ORDERS).await;
    assert_eq!(answer.error_code, 0);
    assert!(
        answer.partition_errors.iter().all(|e| e.error_code == 0),
        "{answer:?}"
    );
    // Leader of 0 and 3, follower of 6; nothing for the partitions of brokers 2 and 3.
    assert_eq!(on_disk(dir.path()), ["orders-0", "orders-3", "orders-6"]);
    {
        let broker = node.shared.broker();
        assert_eq!(broker.partition_count("orders"), Some(3));
        let log = broker.partition("orders", 3).unwrap().log();
        assert_eq!(
            log.config().retention_ms,
            3_600_000,
            "the topic's config from ZooKeeper"
        );
    }

    // Clients follow UpdateMetadata: the leader takes produce, the others refuse it.
    assert_eq!(
        update_metadata(&node.addr, node.port, &[("orders", ORDERS)]).await,
        0
    );
    assert_eq!(produce(&node, 0).await, 0);
    assert_eq!(produce(&node, 3).await, 0);
    assert_eq!(produce(&node, 1).await, 6, "broker 2 leads partition 1");
    assert_eq!(
        produce(&node, 6).await,
        6,
        "a follower does not take produce"
    );

    // A second LeaderAndIsr with the same epochs changes nothing and keeps the records.
    leader_and_isr(&node.addr, "orders", ORDERS).await;
    let end = node
        .shared
        .broker()
        .partition("orders", 0)
        .unwrap()
        .log()
        .log_end_offset();
    assert_eq!(end, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step8_stop_replica_deletes_only_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), orders_in_zookeeper()).await;
    leader_and_isr(&node.addr, "orders", ORDERS).await;
    assert_eq!(on_disk(dir.path()), ["orders-0", "orders-3", "orders-6"]);

    // Without delete_partition the log stays (a replica stopped, not removed).
    assert_eq!(stop_replica(&node.addr, "orders", 6, false).await, 0);
    assert_eq!(on_disk(dir.path()), ["orders-0", "orders-3", "orders-6"]);
    assert_eq!(stop_replica(&node.addr, "orders", 3, true).await, 0);
    assert_eq!(on_disk(dir.path()), ["orders-0", "orders-6"]);
    assert!(node.shared.broker().partition("orders", 3).is_none());
    assert!(node.shared.broker().partition("orders", 0).is_some());

    // After a restart the broker finds exactly the partitions it hosts (lab 05's sparse open).
    drop(node);
    let broker = lab05_broker::Broker::open(
        lab05_broker::BrokerConfig {
            broker_id: 1,
            log_dir: dir.path().to_path_buf(),
            ..lab05_broker::BrokerConfig::default()
        },
        2_000,
    )
    .unwrap();
    assert_eq!(broker.partition_count("orders"), Some(2));
    assert!(broker.partition("orders", 6).is_some());
}
