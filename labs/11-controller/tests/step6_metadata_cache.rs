//! Step 6: what a broker answers clients from once a controller has spoken (Kafka's
//! `MetadataCache`), without sockets: Metadata for the whole cluster, and who may serve a
//! partition.

use lab04_protocol_codec::{ErrorCode, MetadataRequest};
use lab11_controller::requests::*;
use lab11_controller::MetadataCache;

fn broker(id: i32, endpoints: &[(&str, i32)], rack: Option<&str>) -> UpdateMetadataBroker {
    UpdateMetadataBroker {
        id,
        endpoints: endpoints
            .iter()
            .map(|(listener, port)| UpdateMetadataEndpoint {
                port: *port,
                host: format!("kafka0{id}"),
                listener: listener.to_string(),
                security_protocol: 0,
            })
            .collect(),
        rack: rack.map(str::to_string),
    }
}

fn state(partition_index: i32, leader: i32, offline: &[i32]) -> UpdateMetadataPartitionState {
    UpdateMetadataPartitionState {
        partition_index,
        controller_epoch: 2,
        leader,
        leader_epoch: 1,
        isr: if leader >= 0 { vec![leader] } else { vec![3] },
        zk_version: 1,
        replicas: vec![2, 3],
        offline_replicas: offline.to_vec(),
    }
}

/// Broker 1's cache after controller 3 (epoch 2) told it about brokers 1-3 and `orders`:
/// partition 0 led by broker 1, partition 1 by broker 2, partition 2 by nobody.
fn cache() -> MetadataCache {
    let mut cache = MetadataCache::new(1, 10, "PLAINTEXT");
    let request = UpdateMetadataRequest {
        controller_id: 3,
        controller_epoch: 2,
        broker_epoch: 10,
        topic_states: vec![UpdateMetadataTopicState {
            topic_name: "orders".into(),
            partition_states: vec![state(1, 2, &[]), state(0, 1, &[]), state(2, -1, &[2, 3])],
        }],
        live_brokers: vec![
            broker(1, &[("PLAINTEXT", 9092)], Some("r1")),
            broker(2, &[("REPLICATION", 9093), ("PLAINTEXT", 9092)], None),
            // Broker 3 has no PLAINTEXT listener: clients on it cannot reach broker 3.
            broker(3, &[("REPLICATION", 9093)], None),
        ],
    };
    assert!(!cache.controller_spoke());
    assert_eq!(cache.view.handle_update_metadata(&request).error_code, 0);
    cache.controller_id = 3;
    assert!(cache.controller_spoke());
    cache
}

fn all_topics() -> MetadataRequest {
    MetadataRequest {
        topics: None,
        allow_auto_topic_creation: true,
        include_cluster_authorized_operations: false,
        include_topic_authorized_operations: false,
    }
}

#[test]
fn step6_metadata_lists_live_brokers_on_the_listener_and_every_partition() {
    let m = cache().metadata(&all_topics());
    let brokers: Vec<(i32, &str, i32, Option<&str>)> = m
        .brokers
        .iter()
        .map(|b| (b.node_id, b.host.as_str(), b.port, b.rack.as_deref()))
        .collect();
    assert_eq!(
        brokers,
        vec![(1, "kafka01", 9092, Some("r1")), (2, "kafka02", 9092, None)]
    );
    assert_eq!(m.controller_id, 3);
    assert_eq!(m.topics.len(), 1);
    let topic = &m.topics[0];
    assert_eq!(
        (topic.name.as_str(), topic.error_code),
        ("orders", ErrorCode::None)
    );
    let partitions: Vec<_> = topic
        .partitions
        .iter()
        .map(|p| {
            (
                p.partition_index,
                p.error_code,
                p.leader_id,
                p.isr_nodes.clone(),
                p.offline_replicas.clone(),
            )
        })
        .collect();
    assert_eq!(
        partitions,
        vec![
            (0, ErrorCode::None, 1, vec![1], vec![]),
            (1, ErrorCode::None, 2, vec![2], vec![]),
            // No leader: clients are told to wait (LEADER_NOT_AVAILABLE is retriable).
            (2, ErrorCode::LeaderNotAvailable, -1, vec![3], vec![2, 3]),
        ]
    );
}

#[test]
fn step6_metadata_for_unknown_and_invalid_topics() {
    let m = cache().metadata(&MetadataRequest {
        topics: Some(vec![
            "payments".into(),
            "bad topic!".into(),
            "orders".into(),
        ]),
        ..all_topics()
    });
    let codes: Vec<(&str, ErrorCode, usize)> = m
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.error_code, t.partitions.len()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("payments", ErrorCode::UnknownTopicOrPartition, 0),
            ("bad topic!", ErrorCode::InvalidTopicException, 0),
            ("orders", ErrorCode::None, 3),
        ]
    );
}

#[test]
fn step6_only_the_leader_serves_a_partition() {
    let cache = cache();
    assert!(!cache.not_leader("orders", 0), "broker 1 leads orders-0");
    assert!(cache.not_leader("orders", 1), "broker 2 leads orders-1");
    assert!(cache.not_leader("orders", 2), "nobody leads orders-2");
    // A partition the controller never named is left to the local logs.
    assert!(!cache.not_leader("orders", 3));
    assert!(!cache.not_leader("local-only", 0));
}
