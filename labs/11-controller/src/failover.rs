//! Given: the controller's side of lab 13's failover rules (`failover_rules`): unclean
//! election after the clean one, ControlledShutdown, and preferred-leader elections (asked by
//! ElectLeaders or by the periodic `auto.leader.rebalance.enable` check).
//!
//! Each follows the controller's one rule: write the state znodes first (epoch-guarded
//! `set_partition_state`), then LeaderAndIsr to the replicas and UpdateMetadata to everyone.
//!
//! Unclean election runs *after* lab 11's clean election, as a second pass over the
//! partitions left without a live leader: Kafka 2.6 decides both in one
//! `offlinePartitionLeaderElection`, here the clean pass has written `leader -1` already, so an
//! unclean leader costs one more leader epoch. Nothing reads the epoch in between: the two
//! writes leave the controller in the same step.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::controller::Controller;
use crate::controller_commands::{ElectionAnswer, ShutdownAnswer};
use crate::failover_rules::{
    FailoverRules, PartitionInfo, ELECTION_NOT_NEEDED, NOT_CONTROLLER,
    PREFERRED_LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION,
};
use crate::requests::TopicPartition;
use crate::zk_data::{LeaderIsrAndControllerEpoch, NO_LEADER};

/// What the core answers to a command event, taken with `Controller::take_answer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandAnswer {
    ControlledShutdown(ShutdownAnswer),
    ElectLeaders(ElectionAnswer),
}

impl Controller {
    /// This controller with lab 13's rules (kept across resignations).
    pub fn with_failover_rules(mut self, rules: Arc<dyn FailoverRules>) -> Controller {
        self.rules = Some(rules);
        self
    }

    /// The answer to the last command event, if it made one.
    pub fn take_answer(&mut self) -> Option<CommandAnswer> {
        self.answer.take()
    }

    /// Brokers that asked for a controlled shutdown and are still registered.
    pub fn shutting_down_broker_ids(&self) -> &BTreeSet<i32> {
        &self.shutting_down
    }

    fn partition_infos(&self) -> Vec<PartitionInfo<'_>> {
        self.partition_states
            .iter()
            .filter_map(|(tp, znode)| {
                Some(PartitionInfo {
                    tp,
                    assignment: self.assignments.get(tp)?,
                    state: &znode.state,
                    being_deleted: self.topics_to_delete.contains(&tp.topic),
                })
            })
            .collect()
    }

    /// Writes `state` for each partition, then tells the replicas and every live broker.
    fn write_and_tell(&mut self, changes: Vec<(TopicPartition, LeaderIsrAndControllerEpoch)>) {
        if changes.is_empty() {
            return;
        }
        let mut changed = Vec::new();
        for (tp, state) in changes {
            self.set_partition_state(&tp, state);
            changed.push(tp);
        }
        let live = self.live_broker_ids();
        self.send_leader_and_isr(&live, &changed, false);
        self.send_update_metadata(&live, &changed);
    }

    /// After the clean election: the partitions still without a live leader, when the rules
    /// allow an out-of-sync replica to lead. Logged loudly: records may be lost.
    pub(crate) fn elect_unclean_leaders(&mut self) {
        let Some(rules) = self.rules.clone() else {
            return;
        };
        // Shutting-down brokers left: forget them (Kafka's `shuttingDownBrokerIds`).
        let live = self.live_broker_ids();
        self.shutting_down.retain(|b| live.contains(b));
        let mut changes = Vec::new();
        for tp in self.online_partitions() {
            let (Some(znode), Some(assignment)) =
                (self.partition_states.get(&tp), self.assignments.get(&tp))
            else {
                continue;
            };
            let state = &znode.state;
            if state.leader != NO_LEADER && live.contains(&state.leader) {
                continue;
            }
            if let Some((leader, isr)) =
                rules.unclean_leader_election(&tp, state, assignment, &live)
            {
                tracing::warn!(
                    "unclean leader election for {}-{}: broker {leader} was not in the ISR \
                     {:?}; records may be lost",
                    tp.topic,
                    tp.partition,
                    state.isr
                );
                let next = LeaderIsrAndControllerEpoch {
                    leader,
                    leader_epoch: state.leader_epoch + 1,
                    isr,
                    controller_epoch: self.epoch,
                };
                changes.push((tp, next));
            }
        }
        self.write_and_tell(changes);
    }

    /// ControlledShutdown from `broker_id`.
    pub(crate) fn on_controlled_shutdown(&mut self, broker_id: i32, broker_epoch: i64) {
        let answer = match (self.is_active(), self.rules.clone()) {
            (true, Some(rules)) => {
                let live = self.live_broker_ids();
                let registered = self.live_brokers.get(&broker_id).map(|b| b.epoch);
                let decision = rules.controlled_shutdown(
                    broker_id,
                    broker_epoch,
                    registered,
                    &self.partition_infos(),
                    &live,
                    &self.shutting_down,
                    self.epoch,
                );
                if decision.error_code == 0 {
                    self.shutting_down.insert(broker_id);
                    tracing::info!(
                        "controlled shutdown of broker {broker_id}: {} partitions changed, {} \
                         still led by it",
                        decision.changes.len(),
                        decision.remaining.len()
                    );
                    self.write_and_tell(decision.changes);
                }
                (decision.error_code, decision.remaining)
            }
            _ => (NOT_CONTROLLER, Vec::new()),
        };
        self.answer = Some(CommandAnswer::ControlledShutdown(answer));
    }

    /// ElectLeaders (preferred) for `partitions`, or every partition.
    pub(crate) fn on_elect_preferred_leaders(&mut self, partitions: Option<Vec<TopicPartition>>) {
        let answer = match self.is_active() && self.rules.is_some() {
            true => {
                let partitions = partitions.unwrap_or_else(|| self.online_partitions());
                (0, self.elect_preferred(&partitions))
            }
            false => (NOT_CONTROLLER, Vec::new()),
        };
        self.answer = Some(CommandAnswer::ElectLeaders(answer));
    }

    /// `checkAndTriggerAutoLeaderRebalance`.
    pub(crate) fn on_auto_leader_rebalance(&mut self) {
        let Some(rules) = self.rules.clone() else {
            return;
        };
        let live = self.live_broker_ids();
        let partitions = rules.partitions_to_rebalance(&self.partition_infos(), &live);
        if !partitions.is_empty() {
            tracing::info!("auto leader rebalance: preferred election for {partitions:?}");
            self.elect_preferred(&partitions);
        }
    }

    /// Preferred election for each partition; per partition the error code.
    fn elect_preferred(&mut self, partitions: &[TopicPartition]) -> Vec<(TopicPartition, i16)> {
        let Some(rules) = self.rules.clone() else {
            return Vec::new();
        };
        let live = self.live_broker_ids();
        let mut results = Vec::new();
        let mut changes = Vec::new();
        for tp in partitions {
            let (Some(znode), Some(assignment)) =
                (self.partition_states.get(tp), self.assignments.get(tp))
            else {
                results.push((tp.clone(), UNKNOWN_TOPIC_OR_PARTITION));
                continue;
            };
            if self.topics_to_delete.contains(&tp.topic) {
                results.push((tp.clone(), UNKNOWN_TOPIC_OR_PARTITION));
                continue;
            }
            let state = &znode.state;
            if assignment.first() == Some(&state.leader) {
                results.push((tp.clone(), ELECTION_NOT_NEEDED));
                continue;
            }
            match rules.preferred_leader(state, assignment, &live) {
                Some((leader, isr)) => {
                    let next = LeaderIsrAndControllerEpoch {
                        leader,
                        leader_epoch: state.leader_epoch + 1,
                        isr,
                        controller_epoch: self.epoch,
                    };
                    changes.push((tp.clone(), next));
                    results.push((tp.clone(), 0));
                }
                None => results.push((tp.clone(), PREFERRED_LEADER_NOT_AVAILABLE)),
            }
        }
        self.write_and_tell(changes);
        results
    }
}
