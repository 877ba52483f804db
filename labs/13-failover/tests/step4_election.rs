//! Step 4: the controller's elections (`PartitionLeaderElectionAlgorithms`), controlled
//! shutdown (`KafkaController.doControlledShutdown`) and preferred-leader balancing
//! (`checkAndTriggerAutoLeaderRebalance`), as functions of the controller's state.

use std::collections::BTreeSet;

use lab11_controller::zk_data::NO_LEADER;
use lab11_controller::{LeaderIsrAndControllerEpoch, TopicPartition};
use lab13_failover::controlled_shutdown::{
    do_controlled_shutdown, PartitionView, BROKER_NOT_AVAILABLE, STALE_BROKER_EPOCH,
};
use lab13_failover::election::{
    controlled_shutdown_leader_election, offline_partition_leader_election,
    preferred_replica_leader_election, Election,
};
use lab13_failover::preferred_replica_imbalance::{imbalance_per_broker, partitions_to_rebalance};

fn state(leader: i32, leader_epoch: i32, isr: &[i32]) -> LeaderIsrAndControllerEpoch {
    LeaderIsrAndControllerEpoch {
        leader,
        leader_epoch,
        isr: isr.to_vec(),
        controller_epoch: 1,
    }
}

fn set(ids: &[i32]) -> BTreeSet<i32> {
    ids.iter().copied().collect()
}

#[test]
fn step4_a_clean_election_takes_an_isr_member() {
    let s = state(1, 4, &[1, 2]);
    let e = offline_partition_leader_election(&s, &[1, 2, 3], &set(&[2, 3]), false).unwrap();
    assert_eq!(
        e,
        Election {
            leader: 2,
            isr: vec![2],
            unclean: false
        }
    );
    let next = e.next_state(&s, 7);
    assert_eq!(next, state_with(2, 5, &[2], 7), "the epoch goes up by one");
    // No live ISR member: no leader, the last leader alone in the ISR.
    let e = offline_partition_leader_election(&s, &[1, 2, 3], &set(&[3]), false).unwrap();
    assert_eq!(
        e,
        Election {
            leader: NO_LEADER,
            isr: vec![1],
            unclean: false
        }
    );
}

fn state_with(
    leader: i32,
    epoch: i32,
    isr: &[i32],
    controller_epoch: i32,
) -> LeaderIsrAndControllerEpoch {
    LeaderIsrAndControllerEpoch {
        controller_epoch,
        ..state(leader, epoch, isr)
    }
}

#[test]
fn step4_unclean_election_takes_a_live_out_of_sync_replica_and_says_so() {
    let s = state(1, 4, &[1]);
    let e = offline_partition_leader_election(&s, &[1, 2, 3], &set(&[3]), true).unwrap();
    assert_eq!(
        e,
        Election {
            leader: 3,
            isr: vec![3],
            unclean: true
        }
    );
    // Already offline: a replica coming back is taken uncleanly.
    let offline = state(NO_LEADER, 5, &[1]);
    let e = offline_partition_leader_election(&offline, &[1, 2, 3], &set(&[2]), true).unwrap();
    assert!(e.unclean && e.leader == 2);
    assert_eq!(
        offline_partition_leader_election(&offline, &[1, 2, 3], &set(&[2]), false),
        None
    );
    // Nobody alive at all: still no leader.
    let e = offline_partition_leader_election(&s, &[1, 2, 3], &set(&[]), true).unwrap();
    assert_eq!(e.leader, NO_LEADER);
    // An ISR member alive: clean, whatever the setting.
    let s = state(1, 4, &[1, 2]);
    let e = offline_partition_leader_election(&s, &[1, 2, 3], &set(&[2, 3]), true).unwrap();
    assert!(!e.unclean && e.leader == 2);
}

#[test]
fn step4_controlled_shutdown_and_preferred_elections() {
    let s = state(2, 4, &[2, 1, 3]);
    let e =
        controlled_shutdown_leader_election(&s, &[2, 1, 3], &set(&[1, 2, 3]), &set(&[2])).unwrap();
    assert_eq!(
        e,
        Election {
            leader: 1,
            isr: vec![1, 3],
            unclean: false
        }
    );
    let alone = state(2, 4, &[2]);
    assert_eq!(
        controlled_shutdown_leader_election(&alone, &[2, 1], &set(&[1, 2]), &set(&[2])),
        None
    );

    let s = state(2, 4, &[2, 1]);
    let e = preferred_replica_leader_election(&s, &[1, 2], &set(&[1, 2])).unwrap();
    assert_eq!(
        e,
        Election {
            leader: 1,
            isr: vec![2, 1],
            unclean: false
        }
    );
    assert_eq!(
        preferred_replica_leader_election(&state(2, 4, &[2]), &[1, 2], &set(&[1, 2])),
        None
    );
    assert_eq!(
        preferred_replica_leader_election(&s, &[1, 2], &set(&[2])),
        None
    );
}

#[test]
fn step4_controlled_shutdown_moves_leadership_and_answers_what_remains() {
    let tps: Vec<TopicPartition> = (0..4).map(|p| TopicPartition::new("orders", p)).collect();
    let states = [
        state(2, 3, &[2, 1, 3]), // led by 2, others in sync: moves to 1
        state(1, 3, &[1, 2]),    // followed by 2: 2 leaves the ISR
        state(2, 3, &[2]),       // led by 2 alone: remains
        state(2, 3, &[2]),       // a single replica: left alone
    ];
    let assignments: [&[i32]; 4] = [&[2, 1, 3], &[1, 2], &[2, 1], &[2]];
    let views: Vec<PartitionView<'_>> = (0..4)
        .map(|i| PartitionView {
            tp: &tps[i],
            assignment: assignments[i],
            state: &states[i],
            being_deleted: false,
        })
        .collect();
    let live = set(&[1, 2, 3]);
    let out = do_controlled_shutdown(2, 0x20, Some(0x20), &views, &live, &set(&[]), 9);
    assert_eq!(out.error_code, 0);
    assert_eq!(
        out.changes,
        vec![
            (tps[0].clone(), state_with(1, 4, &[1, 3], 9)),
            (tps[1].clone(), state_with(1, 4, &[1], 9)),
        ]
    );
    assert_eq!(out.remaining, vec![tps[2].clone()]);
    let stale = do_controlled_shutdown(2, 0x10, Some(0x20), &views, &live, &set(&[]), 9);
    assert_eq!(
        (stale.error_code, stale.changes.len()),
        (STALE_BROKER_EPOCH, 0)
    );
    let gone = do_controlled_shutdown(2, 0x20, None, &views, &live, &set(&[]), 9);
    assert_eq!(gone.error_code, BROKER_NOT_AVAILABLE);
}

#[test]
fn step4_auto_rebalance_hands_partitions_back_above_the_imbalance_threshold() {
    // Broker 1 prefers p0..p3 but leads only p0 (it was down); broker 2 prefers p4, leads it.
    let tps: Vec<TopicPartition> = (0..5).map(|p| TopicPartition::new("t", p)).collect();
    let states = [
        state(1, 1, &[1, 2]),
        state(2, 1, &[2, 1]),
        state(2, 1, &[2, 1]),
        state(2, 1, &[2]), // broker 1 not back in sync yet
        state(2, 1, &[2, 1]),
    ];
    let assignments: [&[i32]; 5] = [&[1, 2], &[1, 2], &[1, 2], &[1, 2], &[2, 1]];
    let views: Vec<PartitionView<'_>> = (0..5)
        .map(|i| PartitionView {
            tp: &tps[i],
            assignment: assignments[i],
            state: &states[i],
            being_deleted: false,
        })
        .collect();
    let imbalance = imbalance_per_broker(&views);
    assert_eq!(imbalance[&1], (4, 3));
    assert_eq!(imbalance[&2], (1, 0));
    let live = set(&[1, 2]);
    assert_eq!(
        partitions_to_rebalance(&views, &live, true, 10),
        vec![tps[1].clone(), tps[2].clone()]
    );
    assert_eq!(partitions_to_rebalance(&views, &live, false, 10), vec![]);
    // 3 of 4 is 75 %: a threshold of 75 % is not exceeded.
    assert_eq!(partitions_to_rebalance(&views, &live, true, 75), vec![]);
}
