//! Step 4 in lab 11's controller: the rules of this step, handed to the controller core as
//! `Kafka26FailoverRules` (lab 11's `FailoverRules` trait), decide what the running cluster
//! writes — unclean election after the clean one, ControlledShutdown, ElectLeaders and the
//! auto-rebalance check. The core is pure: events in, ZooKeeper writes and requests out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use lab11_controller::failover::CommandAnswer;
use lab11_controller::failover_rules::{ELECTION_NOT_NEEDED, NOT_CONTROLLER};
use lab11_controller::zk_data::NO_LEADER;
use lab11_controller::{
    BrokerInfo, ClusterSnapshot, Controller, ControllerEvent, ControllerRequest, EndPoint,
    LeaderIsrAndControllerEpoch, PartitionStateZNode, Ready, RegisteredBroker, TopicAssignment,
    TopicPartition, ZkOp,
};
use lab13_failover::controlled_shutdown::STALE_BROKER_EPOCH;
use lab13_failover::failover_rules::Kafka26FailoverRules;

fn broker(id: i32) -> RegisteredBroker {
    RegisteredBroker {
        info: BrokerInfo {
            id,
            endpoints: vec![EndPoint {
                listener_name: "PLAINTEXT".into(),
                host: format!("kafka0{id}"),
                port: 9092,
                security_protocol: "PLAINTEXT".into(),
            }],
            rack: None,
            jmx_port: -1,
            timestamp_ms: 1_596_000_000_000,
            version: 4,
        },
        epoch: 100 + id as i64,
    }
}

fn state(leader: i32, leader_epoch: i32, isr: &[i32]) -> LeaderIsrAndControllerEpoch {
    LeaderIsrAndControllerEpoch {
        leader,
        leader_epoch,
        isr: isr.to_vec(),
        controller_epoch: 1,
    }
}

fn tp(p: i32) -> TopicPartition {
    TopicPartition::new("t", p)
}

/// Broker 1's controller with `rules`, active in epoch 2 over `live` and topic `t`.
fn active(
    rules: Kafka26FailoverRules,
    live: &[i32],
    partitions: &[(i32, &[i32], LeaderIsrAndControllerEpoch)],
) -> (Controller, Ready) {
    let mut c = Controller::new(1).with_failover_rules(Arc::new(rules));
    c.step(ControllerEvent::ControllerChanged {
        controller_id: None,
        controller_epoch: Some((1, 1)),
    });
    c.ready();
    c.step(ControllerEvent::ControllerRegistered {
        epoch: 2,
        epoch_zk_version: 2,
    });
    c.ready();
    let snapshot = ClusterSnapshot {
        brokers: live.iter().map(|id| (*id, broker(*id))).collect(),
        topics: BTreeMap::from([(
            "t".to_string(),
            TopicAssignment {
                partitions: partitions
                    .iter()
                    .map(|(p, r, _)| (*p, r.to_vec()))
                    .collect(),
                ..TopicAssignment::default()
            },
        )]),
        partition_states: partitions
            .iter()
            .map(|(p, _, s)| {
                let znode = PartitionStateZNode {
                    state: s.clone(),
                    zk_version: s.leader_epoch,
                };
                (tp(*p), znode)
            })
            .collect(),
        topics_to_delete: BTreeSet::new(),
    };
    c.step(ControllerEvent::ClusterLoaded(snapshot));
    let r = c.ready();
    (c, r)
}

/// The last state written for partition `p` in `r`.
fn written(r: &Ready, p: i32) -> Option<LeaderIsrAndControllerEpoch> {
    let path = format!("/brokers/topics/t/partitions/{p}/state");
    r.zk_ops.iter().rev().find_map(|op| match op {
        ZkOp::SetData { path: at, data, .. } if *at == path => {
            Some(LeaderIsrAndControllerEpoch::decode(data).unwrap())
        }
        _ => None,
    })
}

fn leader_and_isr_targets(r: &Ready) -> BTreeSet<i32> {
    r.requests
        .iter()
        .filter(|q| matches!(q.request, ControllerRequest::LeaderAndIsr(_)))
        .map(|q| q.broker_id)
        .collect()
}

fn unclean(enabled: bool) -> Kafka26FailoverRules {
    Kafka26FailoverRules {
        unclean_leader_election_enable: enabled,
        ..Kafka26FailoverRules::default()
    }
}

#[test]
fn step4_the_controller_elects_an_out_of_sync_replica_only_when_unclean_is_enabled() {
    // t-0's only in-sync replica (3) is dead; 1 is alive but out of sync.
    let partitions = [(0, &[3, 1][..], state(3, 0, &[3]))];
    let (_, r) = active(unclean(true), &[1, 2], &partitions);
    // The clean pass first (no leader, epoch 1), then the unclean one (1 alone, epoch 2).
    assert_eq!(
        written(&r, 0),
        Some(LeaderIsrAndControllerEpoch {
            leader: 1,
            leader_epoch: 2,
            isr: vec![1],
            controller_epoch: 2,
        })
    );
    assert!(leader_and_isr_targets(&r).contains(&1));

    let (_, r) = active(unclean(false), &[1, 2], &partitions);
    let s = written(&r, 0).unwrap();
    assert_eq!((s.leader, s.isr), (NO_LEADER, vec![3]));
}

#[test]
fn step4_controlled_shutdown_moves_leaders_and_answers_what_remains() {
    let partitions = [
        (0, &[2, 1, 3][..], state(2, 0, &[2, 1, 3])),
        (1, &[1, 2][..], state(1, 0, &[1, 2])),
        (2, &[2, 3][..], state(2, 0, &[2])),
    ];
    let (mut c, _) = active(Kafka26FailoverRules::default(), &[1, 2, 3], &partitions);
    c.step(ControllerEvent::ControlledShutdown {
        broker_id: 2,
        broker_epoch: 102,
    });
    let r = c.ready();
    assert_eq!(
        c.take_answer(),
        Some(CommandAnswer::ControlledShutdown((0, vec![tp(2)])))
    );
    assert_eq!(
        written(&r, 0).map(|s| (s.leader, s.isr)),
        Some((1, vec![1, 3]))
    );
    assert_eq!(
        written(&r, 1).map(|s| (s.leader, s.isr)),
        Some((1, vec![1]))
    );
    assert_eq!(written(&r, 2), None);
    assert_eq!(leader_and_isr_targets(&r), BTreeSet::from([1, 2, 3]));
    assert_eq!(c.shutting_down_broker_ids(), &BTreeSet::from([2]));

    // An older incarnation of broker 3 is refused, and nothing is written.
    c.step(ControllerEvent::ControlledShutdown {
        broker_id: 3,
        broker_epoch: 50,
    });
    assert!(c.ready().is_empty());
    assert_eq!(
        c.take_answer(),
        Some(CommandAnswer::ControlledShutdown((
            STALE_BROKER_EPOCH,
            vec![]
        )))
    );

    // A broker that is not the controller says so.
    let mut other =
        Controller::new(3).with_failover_rules(Arc::new(Kafka26FailoverRules::default()));
    other.step(ControllerEvent::ControlledShutdown {
        broker_id: 2,
        broker_epoch: 102,
    });
    assert_eq!(
        other.take_answer(),
        Some(CommandAnswer::ControlledShutdown((NOT_CONTROLLER, vec![])))
    );
}

#[test]
fn step4_preferred_election_on_demand_and_by_the_rebalance_check() {
    let partitions = [
        (0, &[1, 2][..], state(2, 3, &[1, 2])),
        (1, &[2, 1][..], state(2, 3, &[2, 1])),
    ];
    let (mut c, _) = active(Kafka26FailoverRules::default(), &[1, 2], &partitions);
    c.step(ControllerEvent::ElectPreferredLeaders { partitions: None });
    let r = c.ready();
    assert_eq!(
        c.take_answer(),
        Some(CommandAnswer::ElectLeaders((
            0,
            vec![(tp(0), 0), (tp(1), ELECTION_NOT_NEEDED)]
        )))
    );
    assert_eq!(
        written(&r, 0).map(|s| (s.leader, s.leader_epoch)),
        Some((1, 4))
    );

    // The same imbalance, found by the periodic check; off when disabled.
    let (mut c, _) = active(Kafka26FailoverRules::default(), &[1, 2], &partitions);
    c.step(ControllerEvent::AutoLeaderRebalance);
    assert_eq!(written(&c.ready(), 0).map(|s| s.leader), Some(1));
    let off = Kafka26FailoverRules {
        auto_leader_rebalance_enable: false,
        ..Kafka26FailoverRules::default()
    };
    let (mut c, _) = active(off, &[1, 2], &partitions);
    c.step(ControllerEvent::AutoLeaderRebalance);
    assert!(c.ready().is_empty());
}
