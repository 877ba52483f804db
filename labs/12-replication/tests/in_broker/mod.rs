//! What steps 6 and 7 share: lab 05 brokers in temporary folders whose partitions follow
//! [`ClusterReplication`] (lab 12's core behind lab 05's hook), and producer batches.

#![allow(dead_code)]

use std::sync::Arc;

use lab01_record_batch::RecordBatchBuilder;
use lab05_broker::{Broker, BrokerConfig, Shared};
use lab12_replication::{ClusterReplication, LeaderAndIsrPartitionState, ReplicaConfig};

pub const TOPIC: &str = "orders";

/// A broker `broker_id` with lab 12's rules and an empty `orders-0`.
pub fn broker(
    dir: &std::path::Path,
    broker_id: i32,
    config: ReplicaConfig,
) -> (Arc<Shared>, Arc<ClusterReplication>) {
    let (replication, _zk_ops) = ClusterReplication::new(broker_id, config, 1_000);
    let config = BrokerConfig {
        broker_id,
        log_dir: dir.to_path_buf(),
        ..BrokerConfig::default()
    };
    let mut broker = Broker::open_with(config, replication.clone(), 1_000).unwrap();
    let log_config = broker.log_config();
    broker
        .logs_mut()
        .create_partition(TOPIC, 0, log_config, 1_000)
        .unwrap();
    (Shared::new(broker), replication)
}

/// LeaderAndIsr's state for `orders-0`: leader epoch 0, zkVersion 0.
pub fn state(leader: i32, isr: &[i32], replicas: &[i32]) -> LeaderAndIsrPartitionState {
    LeaderAndIsrPartitionState {
        partition_index: 0,
        controller_epoch: 1,
        leader,
        leader_epoch: 0,
        isr: isr.to_vec(),
        zk_version: 0,
        replicas: replicas.to_vec(),
        adding_replicas: vec![],
        removing_replicas: vec![],
        is_new: true,
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
