//! Given: the failover rules lab 13 teaches, as lab 11's controller asks for them.
//!
//! Lab 13 depends on lab 11, so lab 11 cannot call lab 13's functions. Instead lab 11 says
//! *what it needs* — this trait, in lab 11's own types — and lab 13 supplies it
//! (`lab13_failover::failover_rules::Kafka26FailoverRules`): the broker binary hands the rules
//! to the controller (`Controller::with_failover_rules`). A controller without rules is lab 11's
//! alone: clean offline election, and no controlled shutdown or preferred election.
//!
//! ```text
//! lab 11 controller core ──asks──> dyn FailoverRules <──implements── lab 13 (election.rs, …)
//! ```

use std::collections::BTreeSet;
use std::fmt::Debug;

use crate::requests::TopicPartition;
use crate::zk_data::LeaderIsrAndControllerEpoch;

/// Kafka's NOT_CONTROLLER (41): the request reached a broker that is not the controller.
pub const NOT_CONTROLLER: i16 = 41;
/// Kafka's UNKNOWN_TOPIC_OR_PARTITION (3).
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
/// Kafka's PREFERRED_LEADER_NOT_AVAILABLE (80): the preferred replica is dead or out of sync.
pub const PREFERRED_LEADER_NOT_AVAILABLE: i16 = 80;
/// Kafka's ELECTION_NOT_NEEDED (84): the preferred replica leads already.
pub const ELECTION_NOT_NEEDED: i16 = 84;

/// One partition as the controller knows it (lab 13's `PartitionView`, field for field).
#[derive(Debug, Clone, Copy)]
pub struct PartitionInfo<'a> {
    pub tp: &'a TopicPartition,
    pub assignment: &'a [i32],
    pub state: &'a LeaderIsrAndControllerEpoch,
    pub being_deleted: bool,
}

/// The controller's decision on one ControlledShutdown (lab 13's `ControlledShutdownOutcome`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShutdownDecision {
    pub error_code: i16,
    /// New states to write, with the next leader epoch.
    pub changes: Vec<(TopicPartition, LeaderIsrAndControllerEpoch)>,
    /// Replicated partitions the broker still leads.
    pub remaining: Vec<TopicPartition>,
}

/// Lab 13's rules, for lab 11's controller core. Every method is pure.
pub trait FailoverRules: Send + Sync + Debug {
    /// Called for a partition lab 11's clean election left without a live leader: the
    /// out-of-sync replica that leads now (and the new ISR), when unclean election is enabled
    /// for `tp`'s topic; `None` to leave it offline.
    fn unclean_leader_election(
        &self,
        tp: &TopicPartition,
        current: &LeaderIsrAndControllerEpoch,
        assignment: &[i32],
        live: &BTreeSet<i32>,
    ) -> Option<(i32, Vec<i32>)>;

    /// `doControlledShutdown`: what to write for `broker_id`, and what it still leads.
    #[allow(clippy::too_many_arguments)]
    fn controlled_shutdown(
        &self,
        broker_id: i32,
        broker_epoch: i64,
        registered_epoch: Option<i64>,
        partitions: &[PartitionInfo<'_>],
        live: &BTreeSet<i32>,
        shutting_down: &BTreeSet<i32>,
        controller_epoch: i32,
    ) -> ShutdownDecision;

    /// Preferred election: the preferred replica and the ISR, or `None` when it cannot lead.
    fn preferred_leader(
        &self,
        current: &LeaderIsrAndControllerEpoch,
        assignment: &[i32],
        live: &BTreeSet<i32>,
    ) -> Option<(i32, Vec<i32>)>;

    /// `auto.leader.rebalance.enable`'s check: the partitions to hand back to their preferred
    /// leader now (none when disabled).
    fn partitions_to_rebalance(
        &self,
        partitions: &[PartitionInfo<'_>],
        live: &BTreeSet<i32>,
    ) -> Vec<TopicPartition>;
}
