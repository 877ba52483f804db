//! # Lab 13 — failover: a broker dies and nothing acknowledged is lost
//!
//! Lab 11's controller already elects a new leader from the ISR when a broker dies, and lab 12
//! commits a record only once the whole ISR has it. What is still missing is the follower's
//! side of a leader change: a replica may hold records the new leader never got, and must cut
//! them off — at exactly the right place. Kafka 2.6 finds that place with *leader epochs*
//! (KIP-101, KIP-279): every batch carries the epoch of the leader that wrote it, every
//! replica remembers where each epoch started (`leader-epoch-checkpoint`), and a follower asks
//! the leader where its own latest epoch ends (OffsetsForLeaderEpoch, API 23). Then come the
//! controller's failover rules — unclean election, controlled shutdown, preferred leaders —
//! and a seeded simulation that checks the slides' promise.
//!
//! # Layout
//! - `leader_epoch_file_cache` — step 1: epoch → start offset, `assign`, `end_offset_for`,
//!   truncation. Start here.
//! - `leader_epoch_checkpoint_file` — step 1: the `leader-epoch-checkpoint` file, written
//!   atomically and read back with clear errors.
//! - `messages` — steps 2 and 4: OffsetsForLeaderEpoch (23), ControlledShutdown (7),
//!   ElectLeaders (43) on the wire, every version Kafka 2.6 has (lab 04's shape).
//! - `last_offset_for_leader_epoch` — step 2: the leader's answer to OffsetsForLeaderEpoch.
//! - `fetcher_truncation` — step 3: where a follower cuts its log after a leader change.
//! - `election` — step 4: offline (clean or unclean), controlled-shutdown and preferred
//!   leader election (`PartitionLeaderElectionAlgorithms`).
//! - `controlled_shutdown` — step 4: the controller's answer to a broker that wants to stop.
//! - `preferred_replica_imbalance` — step 4: `auto.leader.rebalance.enable`'s check.
//! - `failover_checker` — step 5: the checker of the seeded simulation in `tests/sim`: lost,
//!   duplicated and non-monotonic records.
//! - `leader_epoch_caches` — given: every partition's cache and checkpoint in a running broker,
//!   behind lab 12's `LeaderEpochs` hooks (the follower's truncation, the leader's new epoch).
//! - `leader_epoch_service` — given: OffsetsForLeaderEpoch (23) answered by a broker.
//! - `failover_config` — given: the failover keys of `server.properties`.
//! - `failover_rules` — given: steps 4's rules handed to lab 11's controller in the running
//!   cluster (lab 11's `FailoverRules` trait).
//! - `failover_service` — given: ControlledShutdown and ElectLeaders on a broker, carried to
//!   its controller.
//! - `controller_client` — given: the asking side of both, and a broker's controlled
//!   shutdown on SIGTERM.
//! - `error` — the one error type.

pub mod controlled_shutdown;
pub mod controller_client;
pub mod election;
pub mod error;
pub mod failover_checker;
pub mod failover_config;
pub mod failover_rules;
pub mod failover_service;
pub mod fetcher_truncation;
pub mod last_offset_for_leader_epoch;
pub mod leader_epoch_caches;
pub mod leader_epoch_checkpoint_file;
pub mod leader_epoch_file_cache;
pub mod leader_epoch_service;
pub mod messages;
pub mod preferred_replica_imbalance;

pub use error::{Error, Result};
pub use lab04_protocol_codec::ErrorCode;
pub use lab11_controller::TopicPartition;
pub use leader_epoch_checkpoint_file::{
    decode_checkpoint, encode_checkpoint, LeaderEpochCheckpointFile,
    LEADER_EPOCH_CHECKPOINT_FILENAME,
};
pub use leader_epoch_file_cache::{
    EpochEntry, LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET,
};
