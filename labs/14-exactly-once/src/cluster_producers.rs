//! Given: the idempotent producer in a cluster (`kafka-server-start` with `zookeeper.connect`).
//!
//! ```text
//! every partition        producer state (partition_producers), on leaders and followers alike
//!   leader  Produce  ──▶ analyze: Append / Duplicate(original offset) / refused
//!   follower fetch   ──▶ on_append of each replicated batch: the same state as the leader's
//!   follower truncate──▶ reload up to the new end (lab 13)
//! InitProducerId     ──▶ any broker: broker.id << 40 | n (producer_id_manager), answered by
//!                        cluster_transactions (one block of ids per broker, shared with the
//!                        transaction coordinator there)
//! ```
//!
//! Why followers keep the state too: after a failover the client retries the batch it had no
//! answer for at the *new* leader. If that batch had reached the new leader by replication,
//! only the producer state the new leader built from it can tell it is a retry, and answer its
//! original offset instead of storing it twice (Kafka: `Log.appendAsFollower` →
//! `ProducerStateManager.update`).
//!
//! An InitProducerId with no `transactional.id` needs no coordinator: the id only has to be
//! unique in the cluster, and the broker id in its high bits makes it so. With one, it goes to
//! the transactional id's coordinator (`cluster_transactions`).

use std::sync::Arc;

use lab05_broker::Shared;

use crate::partition_producers::Idempotence;

/// Gives every partition of this broker, hosted now or later, leader or follower, its producer
/// state (loaded from its snapshots and log).
pub fn open(shared: &Arc<Shared>) {
    shared.broker().set_producer_states(Idempotence::new());
}
