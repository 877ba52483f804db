//! Choosing a partition's leader and ISR when brokers die or return
//! (`PartitionLeaderElectionAlgorithms`, `ReplicaStateMachine.removeReplicasFromIsr`).
//!
//! With `unclean.leader.election.enable=false` (Kafka's default) only an in-sync replica may
//! lead: any other could lack acknowledged records. When no ISR member is alive the partition
//! has no leader (-1) and its ISR keeps the last leader alone, so that broker — and only it —
//! can lead again when it comes back: it holds every acknowledged record.
//!
//! Only the controller shrinks the ISR here (a dead broker leaves it); followers rejoin it
//! once they have caught up, which is replication's business (lab 12).

use std::collections::BTreeSet;

use crate::zk_data::{LeaderIsrAndControllerEpoch, NO_LEADER};

/// `offlinePartitionLeaderElection` without unclean election: the first replica, in
/// assignment order, that is alive and in the ISR.
pub fn offline_partition_leader_election(
    assignment: &[i32],
    isr: &[i32],
    live: &BTreeSet<i32>,
) -> Option<i32> {
    // BEGIN SOLUTION step 4: the first assigned replica that is both alive and in the ISR
    // ko: 할당 순서에서 살아 있으면서 ISR에 있는 첫 레플리카를 고르세요
    assignment
        .iter()
        .copied()
        .find(|b| live.contains(b) && isr.contains(b))
    // END SOLUTION
}

/// The leader and ISR a partition should have now that `live` are the live brokers, or `None`
/// when its state can stay as it is:
/// - a live leader keeps leading; dead brokers leave the ISR;
/// - a dead (or no) leader is replaced by `offline_partition_leader_election`, and the ISR
///   keeps its live members;
/// - with no candidate, the leader is `NO_LEADER` and the ISR keeps only the last leader (or
///   stays as it is if there was already no leader).
pub fn next_leader_and_isr(
    current: &LeaderIsrAndControllerEpoch,
    assignment: &[i32],
    live: &BTreeSet<i32>,
) -> Option<(i32, Vec<i32>)> {
    // BEGIN SOLUTION step 4: keep a live leader and drop dead ISR members; else elect; else no leader with the last leader as ISR; None when nothing changes
    // ko: 살아 있는 리더는 유지하고 죽은 ISR 멤버를 빼세요. 아니면 선출하고, 후보가 없으면 리더 없음에 마지막 리더만 ISR로. 바뀌는 게 없으면 None
    let live_isr: Vec<i32> = current
        .isr
        .iter()
        .copied()
        .filter(|b| live.contains(b))
        .collect();
    if current.leader != NO_LEADER && live.contains(&current.leader) {
        if live_isr.len() == current.isr.len() {
            return None;
        }
        return Some((current.leader, live_isr));
    }
    if let Some(leader) = offline_partition_leader_election(assignment, &current.isr, live) {
        return Some((leader, live_isr));
    }
    let isr = if !live_isr.is_empty() {
        live_isr
    } else if current.leader != NO_LEADER && current.isr.contains(&current.leader) {
        vec![current.leader]
    } else {
        current.isr.clone()
    };
    if current.leader == NO_LEADER && isr == current.isr {
        None
    } else {
        Some((NO_LEADER, isr))
    }
    // END SOLUTION
}
