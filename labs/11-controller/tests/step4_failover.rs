//! Step 4: brokers die and return (`onBrokerFailure`, `onBrokerStartup`,
//! `offlinePartitionLeaderElection`, `removeReplicasFromIsr`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use lab11_controller::partition_leader_election::{
    next_leader_and_isr, offline_partition_leader_election,
};
use lab11_controller::zk_data::{paths, NO_LEADER};
use lab11_controller::{ControllerEvent, ZkOp};

fn live(ids: &[i32]) -> BTreeSet<i32> {
    ids.iter().copied().collect()
}

#[test]
fn step4_election_picks_the_first_live_in_sync_replica() {
    assert_eq!(
        offline_partition_leader_election(&[1, 2, 3], &[1, 2, 3], &live(&[2, 3])),
        Some(2)
    );
    // Assignment order decides, not ISR order.
    assert_eq!(
        offline_partition_leader_election(&[3, 2, 1], &[1, 2, 3], &live(&[1, 2])),
        Some(2)
    );
    // A live replica outside the ISR may not lead (no unclean election).
    assert_eq!(
        offline_partition_leader_election(&[1, 2], &[1], &live(&[2])),
        None
    );
}

#[test]
fn step4_next_leader_and_isr_follows_kafkas_rules() {
    // Leader dies: the next in-sync replica leads, the ISR keeps the live.
    assert_eq!(
        next_leader_and_isr(&state(1, 0, &[1, 2, 3], 1), &[1, 2, 3], &live(&[2, 3])),
        Some((2, vec![2, 3]))
    );
    // A follower dies: same leader, smaller ISR.
    assert_eq!(
        next_leader_and_isr(&state(1, 0, &[1, 2, 3], 1), &[1, 2, 3], &live(&[1, 2])),
        Some((1, vec![1, 2]))
    );
    // Nothing dead in it: no change.
    assert_eq!(
        next_leader_and_isr(&state(1, 0, &[1, 2], 1), &[1, 2, 3], &live(&[1, 2])),
        None
    );
    // The last in-sync replica dies: no leader, the ISR keeps it alone.
    assert_eq!(
        next_leader_and_isr(&state(2, 4, &[2], 1), &[2], &live(&[1, 3])),
        Some((NO_LEADER, vec![2]))
    );
    assert_eq!(
        next_leader_and_isr(&state(2, 4, &[2, 3], 1), &[2, 3], &live(&[1])),
        Some((NO_LEADER, vec![2]))
    );
    // Already leaderless, still no candidate: no change.
    assert_eq!(
        next_leader_and_isr(&state(NO_LEADER, 5, &[2], 1), &[1, 2], &live(&[1])),
        None
    );
    // The last leader comes back: it leads again.
    assert_eq!(
        next_leader_and_isr(&state(NO_LEADER, 5, &[2], 1), &[1, 2], &live(&[1, 2])),
        Some((2, vec![2]))
    );
}

#[test]
fn step4_a_dead_leader_is_replaced_and_everyone_hears_it() {
    let snap = snapshot(
        &[1, 2, 3],
        &[("t", assignment(&[(0, &[1, 2, 3])]))],
        &[(tp("t", 0), state(1, 0, &[1, 2, 3], 1))],
    );
    let (mut c, _) = elect(3, 2, snap);
    c.step(ControllerEvent::BrokersChanged(brokers(&[2, 3])));
    let r = c.ready();
    assert_eq!(
        r.zk_ops,
        vec![ZkOp::SetData {
            path: paths::partition_state("t", 0),
            data: br#"{"controller_epoch":2,"leader":2,"version":1,"leader_epoch":1,"isr":[2,3]}"#
                .to_vec(),
            version: 0,
            controller_epoch_zk_version: 2,
        }]
    );
    assert_eq!(c.partition_state(&tp("t", 0)).unwrap().zk_version, 1);
    let lai = leader_and_isr(&r);
    assert_eq!(lai.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(
        lai_states(&lai[&2][0]),
        vec![("t".to_string(), 0, 2, 1, vec![2, 3])]
    );
    assert_eq!(lai[&2][0].topic_states[0].partition_states[0].zk_version, 1);
    let um = update_metadata(&r);
    assert_eq!(um.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(
        um[&3][0]
            .live_brokers
            .iter()
            .map(|b| b.id)
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(
        um[&3][0].topic_states[0].partition_states[0].offline_replicas,
        vec![1]
    );
}

#[test]
fn step4_replication_factor_one_goes_leaderless_and_returns() {
    let snap = snapshot(
        &[1, 2],
        &[("t", assignment(&[(0, &[2]), (1, &[1])]))],
        &[
            (tp("t", 0), state(2, 0, &[2], 1)),
            (tp("t", 1), state(1, 0, &[1], 1)),
        ],
    );
    let (mut c, _) = elect(1, 1, snap);
    c.step(ControllerEvent::BrokersChanged(brokers(&[1])));
    let r = c.ready();
    assert_eq!(
        state_writes(&r),
        vec![(
            paths::partition_state("t", 0),
            state(NO_LEADER, 1, &[2], 1),
            Some(0)
        )]
    );
    // No live replica to tell; the live brokers learn the partition has no leader.
    assert!(leader_and_isr(&r).is_empty());
    let um = update_metadata(&r);
    assert_eq!(
        um[&1][0].topic_states[0].partition_states[0].leader,
        NO_LEADER
    );

    c.step(ControllerEvent::BrokersChanged(brokers(&[1, 2])));
    let r = c.ready();
    assert_eq!(
        state_writes(&r),
        vec![(
            paths::partition_state("t", 0),
            state(2, 2, &[2], 1),
            Some(1)
        )]
    );
    // Broker 2 first hears everything, then the election's news.
    let um = update_metadata(&r);
    assert_eq!(
        um[&1].len(),
        2,
        "the new broker list, then the elected partition"
    );
    assert!(um[&1][0].topic_states.is_empty());
    assert_eq!(um[&1][0].live_brokers.len(), 2);
    assert_eq!(um[&2][0].topic_states[0].partition_states.len(), 2);
    let lai = leader_and_isr(&r);
    assert_eq!(lai.keys().copied().collect::<Vec<_>>(), vec![2]);
    let seen: Vec<_> = lai[&2].iter().flat_map(lai_states).collect();
    assert_eq!(seen.last().unwrap(), &("t".to_string(), 0, 2, 2, vec![2]));
}

#[test]
fn step4_a_returning_broker_does_not_take_back_leadership() {
    let snap = snapshot(
        &[1, 2],
        &[("t", assignment(&[(0, &[1, 2])]))],
        &[(tp("t", 0), state(1, 0, &[1, 2], 1))],
    );
    let (mut c, _) = elect(2, 1, snap);
    c.step(ControllerEvent::BrokersChanged(brokers(&[2])));
    assert_eq!(
        state_writes(&c.ready()),
        vec![(
            paths::partition_state("t", 0),
            state(2, 1, &[2], 1),
            Some(0)
        )]
    );
    c.step(ControllerEvent::BrokersChanged(brokers(&[1, 2])));
    let r = c.ready();
    // No write: 2 leads, and 1 is not in sync (it rejoins the ISR by replication, lab 12).
    assert!(r.zk_ops.is_empty());
    let lai = leader_and_isr(&r);
    assert_eq!(
        lai_states(&lai[&1][0]),
        vec![("t".to_string(), 0, 2, 1, vec![2])]
    );
    assert_eq!(lai[&1][0].broker_epoch, 101);
}

#[test]
fn step4_a_bounced_broker_is_a_death_and_a_start() {
    let snap = snapshot(
        &[1, 2],
        &[("t", assignment(&[(0, &[1, 2])]))],
        &[(tp("t", 0), state(1, 0, &[1, 2], 1))],
    );
    let (mut c, _) = elect(2, 1, snap);
    let mut now = brokers(&[1, 2]);
    now.insert(1, broker(1, 500));
    c.step(ControllerEvent::BrokersChanged(now));
    let r = c.ready();
    assert_eq!(
        state_writes(&r),
        vec![(
            paths::partition_state("t", 0),
            state(2, 1, &[2], 1),
            Some(0)
        )]
    );
    // Its new life is told with its new epoch.
    let lai = leader_and_isr(&r);
    assert!(lai[&1].iter().all(|l| l.broker_epoch == 500));
    assert_eq!(
        lai_states(lai[&1].last().unwrap()),
        vec![("t".to_string(), 0, 2, 1, vec![2])]
    );
}

#[test]
fn step4_failover_elects_for_leaders_that_died_meanwhile() {
    // ZooKeeper still says 1 leads, but 1 is gone when the new controller loads.
    let snap = snapshot(
        &[2, 3],
        &[("t", assignment(&[(0, &[1, 2, 3])]))],
        &[(tp("t", 0), state(1, 7, &[1, 3], 1))],
    );
    let (c, r) = elect(2, 2, snap);
    assert_eq!(
        state_writes(&r),
        vec![(
            paths::partition_state("t", 0),
            state(3, 8, &[3], 2),
            Some(7)
        )]
    );
    assert_eq!(c.partition_state(&tp("t", 0)).unwrap().state.leader, 3);
    let um = update_metadata(&r);
    assert_eq!(um[&2][0].topic_states[0].partition_states[0].leader, 3);
}

#[test]
fn step4_a_partition_waiting_for_a_replica_starts_when_it_comes() {
    let (mut c, _) = elect(1, 1, snapshot(&[1], &[], &[]));
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "t".to_string(),
        assignment(&[(0, &[2])]),
    )])));
    assert!(c.ready().zk_ops.is_empty());
    c.step(ControllerEvent::BrokersChanged(brokers(&[1, 2])));
    let r = c.ready();
    assert_eq!(
        state_writes(&r),
        vec![(paths::partition_state("t", 0), state(2, 0, &[2], 1), None)]
    );
    let lai = leader_and_isr(&r);
    assert!(lai[&2]
        .iter()
        .any(|l| l.topic_states.iter().any(|t| t.partition_states[0].is_new)));
}
