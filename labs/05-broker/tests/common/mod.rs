//! Helpers for the lab 05 tests: a broker in a temporary folder and requests built with lab 04.

#![allow(dead_code)]

use lab01_record_batch::RecordBatchBuilder;
use lab04_protocol_codec::{
    ErrorCode, FetchPartition, FetchRequest, FetchTopic, MetadataRequest, ProducePartition,
    ProduceRequest, ProduceTopic,
};
use lab05_broker::{Broker, BrokerConfig};

pub fn config(dir: &std::path::Path) -> BrokerConfig {
    BrokerConfig {
        broker_id: 7,
        log_dir: dir.to_path_buf(),
        num_partitions: 3,
        advertised_host: "kafka07".into(),
        advertised_port: 19092,
        ..BrokerConfig::default()
    }
}

pub fn broker(dir: &std::path::Path) -> Broker {
    Broker::open(config(dir), 1_000).unwrap()
}

pub fn metadata(topics: &[&str]) -> MetadataRequest {
    MetadataRequest {
        topics: Some(topics.iter().map(|t| t.to_string()).collect()),
        allow_auto_topic_creation: true,
        include_cluster_authorized_operations: false,
        include_topic_authorized_operations: false,
    }
}

/// A batch of `n` records as a producer sends it (base offset 0).
pub fn batch(n: usize, tag: &str) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(0);
    for i in 0..n {
        b.append(
            1_000 + i as i64,
            Some(format!("k{i}").as_bytes()),
            Some(format!("{tag}-{i}").as_bytes()),
            vec![],
        );
    }
    b.build().encode()
}

pub fn produce(topic: &str, partition: i32, records: Vec<u8>) -> ProduceRequest {
    ProduceRequest {
        transactional_id: None,
        acks: 1,
        timeout_ms: 1000,
        topics: vec![ProduceTopic {
            name: topic.into(),
            partitions: vec![ProducePartition {
                index: partition,
                records: Some(records),
            }],
        }],
    }
}

pub fn fetch(
    topic: &str,
    partition: i32,
    offset: i64,
    max_wait_ms: i32,
    min_bytes: i32,
) -> FetchRequest {
    FetchRequest {
        replica_id: -1,
        max_wait_ms,
        min_bytes,
        max_bytes: 50 << 20,
        isolation_level: 0,
        session_id: 0,
        session_epoch: -1,
        topics: vec![FetchTopic {
            name: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                current_leader_epoch: -1,
                fetch_offset: offset,
                log_start_offset: -1,
                partition_max_bytes: 1 << 20,
            }],
        }],
        rack_id: String::new(),
    }
}

/// Replica rules with one follower (broker 8), as lab 12 will write them: the high watermark is
/// the smallest log end offset in the ISR, and the follower's comes from its fetches.
pub struct OneFollower;

impl lab05_broker::Replication for OneFollower {
    fn open(&self, _: &str, _: i32, log_end_offset: i64) -> lab05_broker::partition::ReplicaState {
        lab05_broker::partition::ReplicaState {
            leader_id: 7,
            leader_epoch: 3,
            replicas: vec![7, 8],
            isr: vec![7, 8],
            high_watermark: log_end_offset,
            followers: [(
                8,
                lab05_broker::partition::FollowerState {
                    log_end_offset,
                    last_caught_up_ms: 0,
                },
            )]
            .into(),
        }
    }

    fn on_leader_append(
        &self,
        _: &str,
        _: i32,
        state: &mut lab05_broker::partition::ReplicaState,
        leo: i64,
    ) {
        let follower = state.followers.values().map(|f| f.log_end_offset).min();
        state.high_watermark = follower.unwrap_or(leo).min(leo);
    }

    fn on_follower_fetch(
        &self,
        topic: &str,
        partition: i32,
        state: &mut lab05_broker::partition::ReplicaState,
        replica_id: i32,
        fetch_offset: i64,
        leo: i64,
        now_ms: i64,
    ) -> ErrorCode {
        let Some(follower) = state.followers.get_mut(&replica_id) else {
            return ErrorCode::NotLeaderOrFollower;
        };
        follower.log_end_offset = fetch_offset;
        follower.last_caught_up_ms = now_ms;
        self.on_leader_append(topic, partition, state, leo);
        ErrorCode::None
    }
}

/// A broker whose partitions have [`OneFollower`]'s rules.
pub fn broker_with_follower(dir: &std::path::Path) -> Broker {
    Broker::open_with(config(dir), std::sync::Arc::new(OneFollower), 1_000).unwrap()
}
