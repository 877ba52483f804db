//! What every step's tests share: one partition `orders-0`, led by broker 1.

#![allow(dead_code)]

use lab12_replication::{
    AppendResult, FetchPartition, FetchResult, LeaderAndIsrPartitionState, ReplicaConfig,
    ReplicaManager, TopicPartition,
};

/// Kafka's clocks are milliseconds since 1970, and "never caught up" is 0: tests start in
/// 2020, not at 0, or a never-seen follower would look caught up a moment ago.
pub const T0: i64 = 1_600_000_000_000;

pub fn tp() -> TopicPartition {
    TopicPartition::new("orders", 0)
}

/// A LeaderAndIsr partition state from controller epoch 1.
pub fn state(
    leader: i32,
    leader_epoch: i32,
    isr: &[i32],
    replicas: &[i32],
    zk_version: i32,
) -> LeaderAndIsrPartitionState {
    LeaderAndIsrPartitionState {
        partition_index: 0,
        controller_epoch: 1,
        leader,
        leader_epoch,
        isr: isr.to_vec(),
        zk_version,
        replicas: replicas.to_vec(),
        adding_replicas: vec![],
        removing_replicas: vec![],
        is_new: false,
    }
}

/// Broker 1 leading `orders-0` (leader epoch 0, zkVersion 0) from `T0`, its log ending at
/// `log_end_offset` with that high watermark checkpointed.
pub fn leader(
    config: ReplicaConfig,
    isr: &[i32],
    replicas: &[i32],
    log_end_offset: i64,
) -> ReplicaManager {
    leader_at(config, isr, replicas, log_end_offset, log_end_offset)
}

pub fn leader_at(
    config: ReplicaConfig,
    isr: &[i32],
    replicas: &[i32],
    log_end_offset: i64,
    high_watermark: i64,
) -> ReplicaManager {
    let mut rm = ReplicaManager::new(1, config, T0);
    let applied = rm
        .become_leader(
            &tp(),
            &state(1, 0, isr, replicas, 0),
            log_end_offset,
            high_watermark,
            T0,
        )
        .expect("a valid LeaderAndIsr state");
    assert!(applied);
    rm
}

/// Follower `id` fetches from `offset` with leader epoch 0.
pub fn fetch(rm: &mut ReplicaManager, id: i32, offset: i64, now_ms: i64) -> FetchResult {
    let request = FetchPartition {
        replica_id: id,
        fetch_offset: offset,
        current_leader_epoch: Some(0),
    };
    rm.fetch(&tp(), &request, now_ms)
}

/// `n` records with `acks`, a 30 s timeout.
pub fn produce(rm: &mut ReplicaManager, n: i64, acks: i16, now_ms: i64) -> AppendResult {
    rm.append_records(&tp(), n, acks, 30_000, now_ms)
        .expect("a positive record count")
}

pub fn hw(rm: &ReplicaManager) -> i64 {
    rm.partition(&tp()).unwrap().high_watermark()
}

pub fn isr(rm: &ReplicaManager) -> Vec<i32> {
    rm.partition(&tp()).unwrap().isr().to_vec()
}

pub fn config(min_insync_replicas: usize) -> ReplicaConfig {
    ReplicaConfig {
        min_insync_replicas,
        ..ReplicaConfig::default()
    }
}
