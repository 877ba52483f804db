//! Given: who is told when this broker starts or stops leading a partition — Kafka's
//! `onLeadershipChange` callback of `ReplicaManager.becomeLeaderOrFollower`, through which
//! `KafkaApis` tells the group coordinator (`__consumer_offsets`) and the transaction
//! coordinator (`__transaction_state`) to load or drop a partition.
//!
//! ```text
//! LeaderAndIsr ──▶ cache + logs (lab 11) ──▶ leader/follower (lab 12) ──▶ notify:
//!                    each accepted partition naming this broker:
//!                    leader at epoch E  ──▶ on_election(tp, E)   (load it from the local log)
//!                    follower           ──▶ on_resignation(tp)   (forget what was loaded)
//! ```
//!
//! The handler that answers LeaderAndIsr last calls [`LeadershipListeners::notify`], once
//! everything else took the request: lab 11's own route, or lab 12's that replaces it. A
//! listener runs with no lock held, so it may take the broker's.

use std::sync::{Mutex, Weak};

use crate::replica_manager::{local_changes, ReplicaRole};
use crate::requests::{LeaderAndIsrRequest, LeaderAndIsrResponse, TopicPartition};

/// A coordinator that lives on the leaders of an internal topic's partitions.
pub trait LeadershipListener: Send + Sync {
    /// This broker leads `partition` now, at `leader_epoch` (Kafka's `onElection`). Called
    /// again when the controller names it leader at a newer epoch.
    fn on_election(&self, partition: &TopicPartition, leader_epoch: i32);
    /// This broker follows `partition` now (Kafka's `onResignation`).
    fn on_resignation(&self, partition: &TopicPartition);
}

/// The listeners of one broker. Weak: a listener that is gone is skipped.
#[derive(Default)]
pub struct LeadershipListeners {
    listeners: Mutex<Vec<Weak<dyn LeadershipListener>>>,
}

impl LeadershipListeners {
    pub fn add(&self, listener: Weak<dyn LeadershipListener>) {
        self.listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    /// Tells every listener the partitions the accepted `request` made this broker lead or
    /// follow (`response` says which were accepted). Nothing when no listener is registered.
    pub fn notify(
        &self,
        broker_id: i32,
        request: &LeaderAndIsrRequest,
        response: &LeaderAndIsrResponse,
    ) {
        let listeners: Vec<_> = {
            let mut all = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
            all.retain(|l| l.strong_count() > 0);
            all.iter().filter_map(Weak::upgrade).collect()
        };
        if listeners.is_empty() {
            return;
        }
        for change in local_changes(broker_id, request, response, |_| true) {
            let tp = &change.partition;
            let epoch = request
                .topic_states
                .iter()
                .filter(|t| t.topic_name == tp.topic)
                .flat_map(|t| t.partition_states.iter())
                .find(|s| s.partition_index == tp.partition)
                .map(|s| s.leader_epoch);
            for l in &listeners {
                match (change.role, epoch) {
                    (ReplicaRole::Leader, Some(epoch)) => l.on_election(tp, epoch),
                    (ReplicaRole::Leader, None) => {}
                    (ReplicaRole::Follower, _) => l.on_resignation(tp),
                }
            }
        }
    }
}
