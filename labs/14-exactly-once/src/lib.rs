//! # Lab 14 — exactly once: the idempotent producer and transactions
//!
//! A producer that retries after a timeout may store a batch twice; a consume-transform-produce
//! loop that crashes between writing its output and committing its input offsets reprocesses
//! records. Kafka 0.11 (KIP-98) closed both gaps: **sequence numbers** let a partition leader
//! drop a retried batch, and **transactions** make writes to several partitions, plus the
//! consumer's offsets, visible all together or not at all. This lab builds Kafka 2.6's rules as
//! pure cores and codecs: no sockets, clocks or threads — time is an argument, and what must be
//! persisted or sent comes back as values.
//!
//! # Layout
//! - `producer_state_manager` — step 1: per producer, its epoch and last five batches; a
//!   duplicate, a gap, a zombie. Start here.
//! - `producer_snapshot` — step 1: the `<offset>.snapshot` file, and the state rebuilt from
//!   the log when it is missing.
//! - `messages` — step 2: the codecs of InitProducerId (v0–v3), AddPartitionsToTxn,
//!   AddOffsetsToTxn, EndTxn, WriteTxnMarkers and TxnOffsetCommit.
//! - `control_batch` — step 2: commit and abort markers as record batches.
//! - `transaction_metadata` — step 3: one transactional id's state machine.
//! - `transaction_log` — step 3: the `__transaction_state` key and value, and which of its
//!   partitions a transactional id lives in.
//! - `transaction_state_manager` — step 3: every transactional id's metadata, loaded from
//!   `__transaction_state`, and the expired transactions.
//! - `transaction_coordinator` — step 4: the coordinator as a pure core: requests, ticks and
//!   marker answers in; records to persist, markers to send and responses out.
//! - `transaction_marker_channel_manager` — given: the markers waiting to be written, per
//!   partition.
//! - `last_stable_offset` — step 5: the LSO, and a marker that closes a transaction.
//! - `txn_index` — step 5: the `.txnindex` file of aborted transactions.
//! - `read_committed` — step 5: what a `read_committed` consumer keeps.
//! - `partition_producers` — given: step 1 in lab 05's running broker, behind its
//!   `PartitionProducers` seam: the checks on Produce, snapshots on roll and shutdown.
//! - `producer_id_manager` — given: unique producer ids (a simpler scheme than Kafka's
//!   ZooKeeper blocks, said there).
//! - `transaction_shell` — given: the coordinator in the running broker: appends to
//!   `__transaction_state`, markers into the partitions, transactional offsets.
//! - `cluster_producers` — given: idempotence on a broker of a cluster: producer state on
//!   leaders and followers.
//! - `cluster_transactions` — given: the coordinator on a broker of a cluster: placed on the
//!   leader of the id's `__transaction_state` partition, loaded when LeaderAndIsr makes this
//!   broker that leader.
//! - `cluster_txn_markers` — given: WriteTxnMarkers in a cluster, sent by the coordinator and
//!   answered by the partition leaders.
//! - `cluster_txn_offsets` — given: TxnOffsetCommit at a cluster's group coordinator,
//!   answered once replicated.
//! - `txn_apis` — given: the coordinator's four APIs as core requests and back, and their
//!   routes, for a broker alone and a cluster.
//! - `txn_offsets` — given: TxnOffsetCommit's offsets written to `__consumer_offsets`,
//!   pending until the transaction's marker.
//! - `service` — given: lab 14's APIs on lab 05's router, and `read_committed` fetches.
//! - `errors` — the wire error codes and the one error type.

pub mod cluster_producers;
pub mod cluster_transactions;
pub mod cluster_txn_markers;
pub mod cluster_txn_offsets;
pub mod control_batch;
pub mod errors;
pub mod last_stable_offset;
pub mod messages;
pub mod partition_producers;
pub mod producer_id_manager;
pub mod producer_snapshot;
pub mod producer_state_manager;
pub mod read_committed;
pub mod service;
pub mod transaction_coordinator;
pub mod transaction_log;
pub mod transaction_marker_channel_manager;
pub mod transaction_metadata;
pub mod transaction_shell;
pub mod transaction_state_manager;
pub mod txn_apis;
pub mod txn_index;
pub mod txn_offsets;
