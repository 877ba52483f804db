//! Given: this lab's rules handed to lab 11's controller in the running cluster.
//!
//! Lab 11 cannot call lab 13 (lab 13 depends on it), so lab 11 declares what its controller
//! needs — the trait `lab11_controller::failover_rules::FailoverRules` — and this file
//! implements it with the functions of steps 4 (`election`, `controlled_shutdown`,
//! `preferred_replica_imbalance`). The broker binary builds one from `server.properties` and
//! gives it to the controller (`BrokerSession::spawn_with_failover`).

use std::collections::BTreeSet;

use lab11_controller::failover_rules::{FailoverRules, PartitionInfo, ShutdownDecision};
use lab11_controller::{LeaderIsrAndControllerEpoch, TopicPartition};

use crate::controlled_shutdown::{do_controlled_shutdown, PartitionView};
use crate::election::{offline_partition_leader_election, preferred_replica_leader_election};
use crate::preferred_replica_imbalance::partitions_to_rebalance;

/// The controller's failover keys of `server.properties`, Kafka 2.6's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kafka26FailoverRules {
    /// `unclean.leader.election.enable` (false).
    pub unclean_leader_election_enable: bool,
    /// `auto.leader.rebalance.enable` (true).
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.per.broker.percentage` (10).
    pub leader_imbalance_per_broker_percentage: u32,
}

impl Default for Kafka26FailoverRules {
    fn default() -> Self {
        Kafka26FailoverRules {
            unclean_leader_election_enable: crate::election::DEFAULT_UNCLEAN_LEADER_ELECTION_ENABLE,
            auto_leader_rebalance_enable:
                crate::preferred_replica_imbalance::DEFAULT_AUTO_LEADER_REBALANCE_ENABLE,
            leader_imbalance_per_broker_percentage:
                crate::preferred_replica_imbalance::DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
        }
    }
}

fn views<'a>(partitions: &'a [PartitionInfo<'a>]) -> Vec<PartitionView<'a>> {
    partitions
        .iter()
        .map(|p| PartitionView {
            tp: p.tp,
            assignment: p.assignment,
            state: p.state,
            being_deleted: p.being_deleted,
        })
        .collect()
}

impl FailoverRules for Kafka26FailoverRules {
    fn unclean_leader_election(
        &self,
        _tp: &TopicPartition,
        current: &LeaderIsrAndControllerEpoch,
        assignment: &[i32],
        live: &BTreeSet<i32>,
    ) -> Option<(i32, Vec<i32>)> {
        // A shortcut: Kafka lets a topic's own `unclean.leader.election.enable` win; here the
        // controller broker's setting holds for every topic.
        let enabled = self.unclean_leader_election_enable;
        let election = offline_partition_leader_election(current, assignment, live, enabled)?;
        election.unclean.then_some((election.leader, election.isr))
    }

    fn controlled_shutdown(
        &self,
        broker_id: i32,
        broker_epoch: i64,
        registered_epoch: Option<i64>,
        partitions: &[PartitionInfo<'_>],
        live: &BTreeSet<i32>,
        shutting_down: &BTreeSet<i32>,
        controller_epoch: i32,
    ) -> ShutdownDecision {
        let outcome = do_controlled_shutdown(
            broker_id,
            broker_epoch,
            registered_epoch,
            &views(partitions),
            live,
            shutting_down,
            controller_epoch,
        );
        ShutdownDecision {
            error_code: outcome.error_code,
            changes: outcome.changes,
            remaining: outcome.remaining,
        }
    }

    fn preferred_leader(
        &self,
        current: &LeaderIsrAndControllerEpoch,
        assignment: &[i32],
        live: &BTreeSet<i32>,
    ) -> Option<(i32, Vec<i32>)> {
        preferred_replica_leader_election(current, assignment, live).map(|e| (e.leader, e.isr))
    }

    fn partitions_to_rebalance(
        &self,
        partitions: &[PartitionInfo<'_>],
        live: &BTreeSet<i32>,
    ) -> Vec<TopicPartition> {
        partitions_to_rebalance(
            &views(partitions),
            live,
            self.auto_leader_rebalance_enable,
            self.leader_imbalance_per_broker_percentage,
        )
    }
}
