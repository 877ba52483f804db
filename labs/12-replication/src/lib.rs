//! # Lab 12 — replication: followers, the ISR and the high watermark
//!
//! The slides promise that *a broker can die and no message is lost*. That promise is kept
//! here: every partition has copies (replicas) on several brokers, one of them leads, the
//! others fetch from it, and a record counts as written (*committed*) only once every in-sync
//! replica has it. This lab builds the leader's rules of Kafka 2.6 (`kafka.cluster.Partition`,
//! `kafka.cluster.Replica`, `kafka.server.ReplicaManager`, `DelayedProduce`) and the follower's
//! (`ReplicaFetcherThread`) as a pure core: no sockets, no clocks, no threads — time is an
//! argument, and what must be written to ZooKeeper or answered to a producer comes back from
//! `ReplicaManager::ready`.
//!
//! # Layout
//! - `replica` — step 1: a follower as the leader sees it: its log end offset and when it was
//!   last caught up (`Replica.updateFetchState`). Start here.
//! - `high_watermark` — step 2: the high watermark, how far a consumer and a follower may read,
//!   and the follower's own high watermark.
//! - `isr` — step 3: the ISR shrinks and grows; the partition state znode and
//!   `/isr_change_notification`.
//! - `delayed_produce` — step 4: `acks=all` waits for the ISR; `min.insync.replicas`.
//! - `replica_fetcher` — step 5: a follower: what it fetches next and what it does with the
//!   answer.
//! - `partition` — given: one partition led by this broker (`makeLeader`, a follower's fetch,
//!   an append), calling the steps above.
//! - `replica_manager` — given: every partition this broker leads, its timers (`isr-expiration`,
//!   `isr-change-propagation`) and its purgatory of waiting produces.
//! - `cluster_replication` — given: the core behind lab 05's `Replication` hook in a running
//!   broker; its timers and its ZooKeeper writes on the broker's session.
//! - `replica_fetcher_thread` — given: one fetcher task per leader broker (Fetch on the wire).
//! - `replication_service` — given: LeaderAndIsr starts leading or following, acks=all waits.
//! - `leader_epochs` — given: where lab 13's leader epoch cache plugs in (a trait the fetcher
//!   and LeaderAndIsr call).
//! - `replication_offset_checkpoint` — given: the `replication-offset-checkpoint` file, so
//!   high watermarks survive a restart.
//! - `events` — given: the core's inputs and outputs, and the shell's rules.
//! - `config` — given: `replica.lag.time.max.ms`, `min.insync.replicas` and Kafka's constants.
//! - `error` — the one error type.

pub mod cluster_replication;
pub mod config;
pub mod delayed_produce;
pub mod error;
pub mod events;
pub mod high_watermark;
pub mod isr;
pub mod leader_epochs;
pub mod partition;
pub mod replica;
pub mod replica_fetcher;
pub mod replica_fetcher_thread;
pub mod replica_manager;
pub mod replication_offset_checkpoint;
pub mod replication_service;

pub use cluster_replication::ClusterReplication;
pub use config::ReplicaConfig;
pub use delayed_produce::DelayedProduce;
pub use error::{Error, Result};
pub use events::{
    AppendResult, FetchIsolation, FetchPartition, FetchResult, ProduceResponse, Ready, ZkOp,
};
pub use high_watermark::follower_high_watermark;
pub use isr::{decode_isr_change_notification, encode_isr_change_notification};
pub use lab04_protocol_codec::ErrorCode;
pub use lab11_controller::requests::LeaderAndIsrPartitionState;
pub use lab11_controller::TopicPartition;
pub use leader_epochs::{EpochEndOffset, LeaderEpochs, Truncation};
pub use partition::Partition;
pub use replica::{Replica, UNKNOWN_OFFSET};
pub use replica_fetcher::{FetchedPartition, FollowerPartition};
pub use replica_manager::ReplicaManager;
pub use replication_service::ReplicationService;
