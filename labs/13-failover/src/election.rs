//! Step 4: the controller's leader elections of Kafka 2.6 (`PartitionLeaderElectionAlgorithms`
//! and `PartitionStateMachine`'s `leaderFor…`), as functions of the controller's state so that
//! lab 11's core (or a simulation) can call them.
//!
//! | election            | who may lead                                             | new ISR                     |
//! |---------------------|----------------------------------------------------------|-----------------------------|
//! | offline, clean      | first assigned replica alive *and* in the ISR            | the live ISR                |
//! | offline, unclean    | if none: first assigned replica alive, in sync or not    | that replica alone          |
//! | controlled shutdown | first assigned replica alive, in the ISR, not stopping   | the ISR minus the stopping  |
//! | preferred           | the first assigned replica, if alive and in the ISR      | unchanged                   |
//!
//! Unclean election (`unclean.leader.election.enable`, false by default since Kafka 0.11)
//! trades durability for availability: an out-of-sync replica may lack acknowledged records,
//! and once it leads, the followers truncate to *its* log — those records are gone. That is
//! why the outcome says so ([`Election::unclean`]); the simulation of step 5 shows the loss.
//!
//! Every change the controller writes bumps the leader epoch (`LeaderAndIsr.newLeaderAndIsr`).

use std::collections::BTreeSet;

use lab11_controller::partition_leader_election::next_leader_and_isr;
use lab11_controller::zk_data::NO_LEADER;
use lab11_controller::LeaderIsrAndControllerEpoch;

/// `unclean.leader.election.enable`'s default.
pub const DEFAULT_UNCLEAN_LEADER_ELECTION_ENABLE: bool = false;

/// A new leader and ISR for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    /// The new leader, or `NO_LEADER` (the partition is offline).
    pub leader: i32,
    pub isr: Vec<i32>,
    /// The leader was not in the ISR: acknowledged records may be lost (Kafka counts these in
    /// `UncleanLeaderElectionsPerSec` and logs a warning).
    pub unclean: bool,
}

impl Election {
    /// The state to write: the next leader epoch, by the controller of `controller_epoch`.
    pub fn next_state(
        &self,
        current: &LeaderIsrAndControllerEpoch,
        controller_epoch: i32,
    ) -> LeaderIsrAndControllerEpoch {
        LeaderIsrAndControllerEpoch {
            leader: self.leader,
            leader_epoch: current.leader_epoch + 1,
            isr: self.isr.clone(),
            controller_epoch,
        }
    }
}

/// The next leader and ISR now that `live` are the live brokers (a broker died or came back),
/// or `None` when the state can stay. Lab 11's `next_leader_and_isr` decides first; only when
/// it leaves the partition without a leader and `unclean_enabled` is set, the first live
/// assigned replica leads alone, and the outcome is marked unclean.
pub fn offline_partition_leader_election(
    current: &LeaderIsrAndControllerEpoch,
    assignment: &[i32],
    live: &BTreeSet<i32>,
    unclean_enabled: bool,
) -> Option<Election> {
    // BEGIN SOLUTION step 4: take lab 11's clean answer; if it leaves no leader and unclean election is on, pick the first live assigned replica as sole ISR member and say it was unclean
    // ko: 랩 11의 깨끗한 답을 받고, 그 답이 리더 없음인데 언클린 선출이 켜져 있으면 살아 있는 첫 할당 레플리카를 유일한 ISR로 뽑고 언클린이었다고 표시하세요
    let clean = next_leader_and_isr(current, assignment, live);
    let leaderless = match &clean {
        Some((leader, _)) => *leader == NO_LEADER,
        None => current.leader == NO_LEADER,
    };
    if leaderless && unclean_enabled {
        if let Some(&leader) = assignment.iter().find(|b| live.contains(b)) {
            return Some(Election {
                leader,
                isr: vec![leader],
                unclean: true,
            });
        }
    }
    clean.map(|(leader, isr)| Election {
        leader,
        isr,
        unclean: false,
    })
    // END SOLUTION
}

/// `controlledShutdownPartitionLeaderElection`: the first assigned replica that is alive, in
/// the ISR and not shutting down; the ISR loses the brokers shutting down. `None` when no
/// replica qualifies (the partition stays with its leader).
pub fn controlled_shutdown_leader_election(
    current: &LeaderIsrAndControllerEpoch,
    assignment: &[i32],
    live: &BTreeSet<i32>,
    shutting_down: &BTreeSet<i32>,
) -> Option<Election> {
    // BEGIN SOLUTION step 4: the first assigned replica alive, in the ISR and not shutting down; the ISR without the brokers shutting down
    // ko: 살아 있고 ISR에 있으며 종료 중이 아닌 첫 할당 레플리카, ISR에서는 종료 중인 브로커를 빼세요
    let leader = assignment
        .iter()
        .copied()
        .find(|b| live.contains(b) && current.isr.contains(b) && !shutting_down.contains(b))?;
    let isr = current
        .isr
        .iter()
        .copied()
        .filter(|b| !shutting_down.contains(b))
        .collect();
    Some(Election {
        leader,
        isr,
        unclean: false,
    })
    // END SOLUTION
}

/// `preferredReplicaPartitionLeaderElection`: the first assigned replica, if it is alive and in
/// the ISR; the ISR stays. `None` when it cannot lead.
pub fn preferred_replica_leader_election(
    current: &LeaderIsrAndControllerEpoch,
    assignment: &[i32],
    live: &BTreeSet<i32>,
) -> Option<Election> {
    // BEGIN SOLUTION step 4: the head of the assignment when it is alive and in the ISR, with the ISR unchanged
    // ko: 할당의 첫 레플리카가 살아 있고 ISR에 있으면 그것, ISR은 그대로
    let preferred = *assignment.first()?;
    (live.contains(&preferred) && current.isr.contains(&preferred)).then(|| Election {
        leader: preferred,
        isr: current.isr.clone(),
        unclean: false,
    })
    // END SOLUTION
}
