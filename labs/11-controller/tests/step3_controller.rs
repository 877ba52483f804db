//! Step 3: the controller core — election through `/controller` and `/controller_epoch`,
//! failover from the znodes, and new topics (`KafkaController.elect`,
//! `onControllerFailover`, `onNewPartitionCreation`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use lab11_controller::events::PartitionStateZNode;
use lab11_controller::zk_data::paths;
use lab11_controller::{Controller, ControllerEvent, LeaderIsrAndControllerEpoch, Role, ZkOp};

#[test]
fn step3_with_no_controller_a_broker_registers_with_the_next_epoch() {
    let mut c = Controller::new(1);
    // A fresh cluster: no /controller_epoch yet, so it is created with epoch 1.
    c.step(ControllerEvent::ControllerChanged {
        controller_id: None,
        controller_epoch: None,
    });
    assert_eq!(c.role(), Role::Electing);
    assert_eq!(
        c.ready().zk_ops,
        vec![ZkOp::RegisterController {
            broker_id: 1,
            epoch: 1,
            epoch_zk_version: None
        }]
    );
    c.step(ControllerEvent::ControllerRegistered {
        epoch: 1,
        epoch_zk_version: 0,
    });
    assert_eq!(c.role(), Role::Loading);
    assert_eq!(c.epoch(), 1);
    assert_eq!(c.ready().zk_ops, vec![ZkOp::LoadCluster]);

    // Later elections set /controller_epoch conditionally on the version read.
    let mut d = Controller::new(2);
    d.step(ControllerEvent::ControllerChanged {
        controller_id: None,
        controller_epoch: Some((3, 7)),
    });
    assert_eq!(
        d.ready().zk_ops,
        vec![ZkOp::RegisterController {
            broker_id: 2,
            epoch: 4,
            epoch_zk_version: Some(7)
        }]
    );
}

#[test]
fn step3_a_broker_that_loses_the_election_waits() {
    let mut c = Controller::new(2);
    c.step(ControllerEvent::ControllerChanged {
        controller_id: None,
        controller_epoch: Some((1, 1)),
    });
    c.ready();
    c.step(ControllerEvent::ControllerRegistrationFailed {
        controller_id: Some(1),
    });
    assert_eq!(c.role(), Role::NotController);
    assert_eq!(c.active_controller_id(), Some(1));
    // Someone else is controller: nothing to do, and topic events are not ours to handle.
    c.step(ControllerEvent::ControllerChanged {
        controller_id: Some(1),
        controller_epoch: Some((2, 2)),
    });
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "t".to_string(),
        assignment(&[(0, &[1, 2])]),
    )])));
    assert!(c.ready().is_empty());
    // A registration answer that comes when we are not electing changes nothing.
    c.step(ControllerEvent::ControllerRegistered {
        epoch: 9,
        epoch_zk_version: 9,
    });
    assert_eq!(c.role(), Role::NotController);
    assert!(c.ready().is_empty());
}

#[test]
fn step3_failover_creates_missing_states_and_tells_every_broker_everything() {
    let snap = snapshot(
        &[1, 2, 3],
        &[("orders", assignment(&[(0, &[1, 2]), (1, &[2, 3])]))],
        &[(tp("orders", 0), state(1, 3, &[1, 2], 1))],
    );
    let (c, r) = elect(2, 2, snap);
    assert!(c.is_active());
    assert_eq!(c.live_broker_ids(), BTreeSet::from([1, 2, 3]));
    // Partition 1 had no state (created while no controller ran): first live replica leads.
    assert_eq!(
        r.zk_ops,
        vec![ZkOp::Create {
            path: "/brokers/topics/orders/partitions/1/state".into(),
            data: br#"{"controller_epoch":2,"leader":2,"version":1,"leader_epoch":0,"isr":[2,3]}"#
                .to_vec(),
            controller_epoch_zk_version: 2,
        }]
    );
    // UpdateMetadata with both partitions and all brokers to everyone.
    let um = update_metadata(&r);
    assert_eq!(um.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    for (broker, reqs) in &um {
        assert_eq!(reqs.len(), 1);
        let u = &reqs[0];
        assert_eq!((u.controller_id, u.controller_epoch), (2, 2));
        assert_eq!(u.broker_epoch, 100 + *broker as i64);
        assert_eq!(
            u.live_brokers.iter().map(|b| b.id).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(u.live_brokers[0].endpoints[0].host, "kafka01");
        assert_eq!(u.topic_states.len(), 1);
        let ps = &u.topic_states[0].partition_states;
        assert_eq!(ps.len(), 2);
        // The state as ZooKeeper has it, including who wrote it.
        assert_eq!(
            (
                ps[0].leader,
                ps[0].leader_epoch,
                ps[0].controller_epoch,
                ps[0].zk_version
            ),
            (1, 3, 1, 3)
        );
        assert_eq!(
            (
                ps[1].leader,
                ps[1].leader_epoch,
                ps[1].controller_epoch,
                ps[1].zk_version
            ),
            (2, 0, 2, 0)
        );
        assert!(ps[0].offline_replicas.is_empty());
    }
    // LeaderAndIsr to each replica, for its partitions only.
    let lai = leader_and_isr(&r);
    let of = |b: i32| -> Vec<(String, i32, i32, i32, Vec<i32>)> {
        lai.get(&b)
            .map(|v| v.iter().flat_map(lai_states).collect())
            .unwrap_or_default()
    };
    assert_eq!(of(1), vec![("orders".to_string(), 0, 1, 3, vec![1, 2])]);
    assert_eq!(
        of(2),
        vec![
            ("orders".to_string(), 0, 1, 3, vec![1, 2]),
            ("orders".to_string(), 1, 2, 0, vec![2, 3])
        ]
    );
    assert_eq!(of(3), vec![("orders".to_string(), 1, 2, 0, vec![2, 3])]);
    let to3 = &lai[&3][0];
    assert_eq!(
        (to3.controller_id, to3.controller_epoch, to3.broker_epoch),
        (2, 2, 103)
    );
    assert!(to3.topic_states[0].partition_states[0].is_new);
    assert_eq!(to3.live_leaders.len(), 1);
    assert_eq!(
        (
            to3.live_leaders[0].broker_id,
            to3.live_leaders[0].host_name.as_str(),
            to3.live_leaders[0].port
        ),
        (2, "kafka02", 9092)
    );
    assert!(!lai[&1][0].topic_states[0].partition_states[0].is_new);
}

#[test]
fn step3_a_new_topic_gets_states_then_requests() {
    let (mut c, _) = elect(1, 1, snapshot(&[1, 2, 3], &[], &[]));
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "t".to_string(),
        assignment(&[(0, &[1, 2, 3]), (1, &[2, 3, 1])]),
    )])));
    let r = c.ready();
    let writes = state_writes(&r);
    assert_eq!(
        writes,
        vec![
            (
                paths::partition_state("t", 0),
                state(1, 0, &[1, 2, 3], 1),
                None
            ),
            (
                paths::partition_state("t", 1),
                state(2, 0, &[2, 3, 1], 1),
                None
            ),
        ]
    );
    for op in &r.zk_ops {
        assert!(
            matches!(
                op,
                ZkOp::Create {
                    controller_epoch_zk_version: 1,
                    ..
                }
            ),
            "{op:?}"
        );
    }
    let lai = leader_and_isr(&r);
    for b in 1..=3 {
        let states: Vec<_> = lai[&b].iter().flat_map(lai_states).collect();
        assert_eq!(states.len(), 2, "broker {b}");
        assert!(lai[&b][0].topic_states[0]
            .partition_states
            .iter()
            .all(|p| p.is_new));
        assert_eq!(
            lai[&b][0].topic_states[0].partition_states[1].replicas,
            vec![2, 3, 1]
        );
    }
    let um = update_metadata(&r);
    assert_eq!(um.len(), 3);
    assert_eq!(um[&3][0].topic_states[0].partition_states.len(), 2);
    assert_eq!(c.partition_state(&tp("t", 1)).unwrap().zk_version, 0);
    // The same set again (a watch that fired twice) changes nothing.
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "t".to_string(),
        assignment(&[(0, &[1, 2, 3]), (1, &[2, 3, 1])]),
    )])));
    assert!(c.ready().is_empty());
}

#[test]
fn step3_only_live_replicas_enter_the_isr() {
    let (mut c, _) = elect(1, 5, snapshot(&[1, 2], &[], &[]));
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "t".to_string(),
        assignment(&[(0, &[3, 2, 1]), (1, &[3])]),
    )])));
    let r = c.ready();
    // Broker 3 is down: partition 0 is led by 2 with ISR [2, 1]; partition 1 has no live
    // replica, so it gets no state until broker 3 comes.
    assert_eq!(
        state_writes(&r),
        vec![(
            paths::partition_state("t", 0),
            state(2, 0, &[2, 1], 5),
            None
        )]
    );
    assert!(c.partition_state(&tp("t", 1)).is_none());
    let lai = leader_and_isr(&r);
    assert_eq!(lai.keys().copied().collect::<Vec<_>>(), vec![1, 2]);
    let um = update_metadata(&r);
    assert_eq!(
        um[&1][0].topic_states[0].partition_states[0].offline_replicas,
        vec![3]
    );
}

#[test]
fn step3_another_controller_or_a_lost_session_makes_us_resign() {
    let (mut c, _) = elect(
        1,
        1,
        snapshot(&[1, 2], &[("t", assignment(&[(0, &[1])]))], &[]),
    );
    assert!(c.is_active());
    c.step(ControllerEvent::ControllerChanged {
        controller_id: Some(2),
        controller_epoch: Some((2, 2)),
    });
    assert_eq!(c.role(), Role::NotController);
    assert_eq!(c.active_controller_id(), Some(2));
    assert!(c.live_broker_ids().is_empty());
    assert!(c.partition_state(&tp("t", 0)).is_none());
    assert!(c.ready().is_empty());

    let (mut c, _) = elect(1, 1, snapshot(&[1, 2], &[], &[]));
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "t".to_string(),
        assignment(&[(0, &[1])]),
    )])));
    // The session expires before the shell ran that Ready: it is dropped with the rest.
    c.step(ControllerEvent::SessionExpired);
    assert_eq!(c.role(), Role::NotController);
    assert!(c.ready().is_empty());

    let (mut c, _) = elect(1, 1, snapshot(&[1, 2], &[], &[]));
    c.step(ControllerEvent::ZkOpFailed {
        path: "/controller_epoch".into(),
        reason: "BadVersion".into(),
    });
    assert_eq!(c.role(), Role::NotController);
    // Our own /controller vanished (session gone): stand again.
    let (mut c, _) = elect(1, 1, snapshot(&[1, 2], &[], &[]));
    c.step(ControllerEvent::ControllerChanged {
        controller_id: None,
        controller_epoch: Some((1, 1)),
    });
    assert_eq!(c.role(), Role::Electing);
    assert_eq!(
        c.ready().zk_ops,
        vec![ZkOp::RegisterController {
            broker_id: 1,
            epoch: 2,
            epoch_zk_version: Some(1)
        }]
    );
}

#[test]
fn step3_writes_are_guarded_by_our_epochs_zk_version() {
    let (mut c, _) = elect(3, 4, snapshot(&[3], &[], &[]));
    c.step(ControllerEvent::TopicsChanged(BTreeMap::from([(
        "x".to_string(),
        assignment(&[(0, &[3])]),
    )])));
    let r = c.ready();
    assert_eq!(r.zk_ops.len(), 1);
    match &r.zk_ops[0] {
        ZkOp::Create {
            path,
            data,
            controller_epoch_zk_version,
        } => {
            assert_eq!(path, "/brokers/topics/x/partitions/0/state");
            assert_eq!(*controller_epoch_zk_version, 4);
            assert_eq!(
                LeaderIsrAndControllerEpoch::decode(data).unwrap(),
                state(3, 0, &[3], 4)
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Lab 12's addition (`IsrChangeNotificationHandler`): a leader wrote a smaller ISR itself and
/// announced it under `/isr_change_notification`. The controller keeps the newer state, sends
/// UpdateMetadata for that partition to every live broker, and deletes the notifications; an
/// older state than the one it knows is not taken.
#[test]
fn step3_an_isr_change_notification_updates_every_broker_s_metadata() {
    let snap = snapshot(
        &[1, 2, 3],
        &[("orders", assignment(&[(0, &[1, 2, 3]), (1, &[2, 3, 1])]))],
        &[
            (tp("orders", 0), state(1, 0, &[1, 2, 3], 1)),
            (tp("orders", 1), state(2, 0, &[2, 3, 1], 1)),
        ],
    );
    let (mut c, _) = elect(1, 2, snap);
    let shrunk = PartitionStateZNode {
        state: state(1, 0, &[1, 2], 1),
        zk_version: 1,
    };
    c.step(ControllerEvent::IsrChangeNotifications {
        notifications: vec![
            "isr_change_0000000000".into(),
            "isr_change_0000000001".into(),
        ],
        partition_states: BTreeMap::from([(tp("orders", 0), shrunk.clone())]),
    });
    assert_eq!(c.partition_state(&tp("orders", 0)), Some(&shrunk));
    let r = c.ready();
    let um = update_metadata(&r);
    assert_eq!(um.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    for reqs in um.values() {
        let states: Vec<_> = reqs[0]
            .topic_states
            .iter()
            .flat_map(|t| t.partition_states.iter())
            .map(|p| (p.partition_index, p.isr.clone(), p.zk_version))
            .collect();
        assert_eq!(states, vec![(0, vec![1, 2], 1)], "only the partition named");
    }
    assert_eq!(
        r.zk_ops,
        vec![
            ZkOp::DeleteRecursive {
                path: "/isr_change_notification/isr_change_0000000000".into(),
                controller_epoch_zk_version: 2,
            },
            ZkOp::DeleteRecursive {
                path: "/isr_change_notification/isr_change_0000000001".into(),
                controller_epoch_zk_version: 2,
            },
        ]
    );
    // A stale read (version 0, older than what the controller knows) changes nothing.
    c.step(ControllerEvent::IsrChangeNotifications {
        notifications: vec![],
        partition_states: BTreeMap::from([(
            tp("orders", 0),
            PartitionStateZNode {
                state: state(1, 0, &[1, 2, 3], 1),
                zk_version: 0,
            },
        )]),
    });
    assert_eq!(c.partition_state(&tp("orders", 0)), Some(&shrunk));
}
