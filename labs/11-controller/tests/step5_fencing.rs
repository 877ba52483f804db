//! Step 5: brokers refuse deposed controllers (`STALE_CONTROLLER_EPOCH`) and old news for an
//! earlier registration (`STALE_BROKER_EPOCH`, KIP-380); topics are deleted
//! (`TopicDeletionManager`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use lab11_controller::fencing::{check_controller_epoch, is_broker_epoch_stale};
use lab11_controller::requests::{
    error_code, LeaderAndIsrPartitionState, LeaderAndIsrRequest, LeaderAndIsrTopicState,
    StopReplicaPartitionError, StopReplicaPartitionState, StopReplicaRequest, StopReplicaResponse,
    StopReplicaTopicState, UpdateMetadataPartitionState, UpdateMetadataRequest,
    UpdateMetadataTopicState,
};
use lab11_controller::zk_data::{paths, EPOCH_DURING_DELETE, LEADER_DURING_DELETE};
use lab11_controller::{BrokerView, ControllerEvent, ControllerResponse, ZkOp};

fn lai(
    controller_epoch: i32,
    broker_epoch: i64,
    leader_epoch: i32,
    leader: i32,
) -> LeaderAndIsrRequest {
    LeaderAndIsrRequest {
        controller_id: 1,
        controller_epoch,
        broker_epoch,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: "t".into(),
            partition_states: vec![LeaderAndIsrPartitionState {
                partition_index: 0,
                controller_epoch,
                leader,
                leader_epoch,
                isr: vec![leader],
                zk_version: leader_epoch,
                replicas: vec![1, 2],
                adding_replicas: vec![],
                removing_replicas: vec![],
                is_new: false,
            }],
        }],
        live_leaders: vec![],
    }
}

fn um(controller_epoch: i32, leader: i32) -> UpdateMetadataRequest {
    UpdateMetadataRequest {
        controller_id: 1,
        controller_epoch,
        broker_epoch: -1,
        topic_states: vec![UpdateMetadataTopicState {
            topic_name: "t".into(),
            partition_states: vec![UpdateMetadataPartitionState {
                partition_index: 0,
                controller_epoch,
                leader,
                leader_epoch: 0,
                isr: vec![1],
                zk_version: 0,
                replicas: vec![1],
                offline_replicas: vec![],
            }],
        }],
        live_brokers: vec![],
    }
}

#[test]
fn step5_the_epoch_checks() {
    assert_eq!(check_controller_epoch(3, 3), None);
    assert_eq!(check_controller_epoch(3, 4), None);
    assert_eq!(
        check_controller_epoch(3, 2),
        Some(error_code::STALE_CONTROLLER_EPOCH)
    );
    assert!(!is_broker_epoch_stale(50, 50));
    assert!(!is_broker_epoch_stale(50, -1));
    assert!(!is_broker_epoch_stale(50, 60));
    assert!(is_broker_epoch_stale(50, 49));
}

#[test]
fn step5_a_broker_refuses_a_deposed_controller() {
    let mut b = BrokerView::new(2, 40);
    let r = b.handle_leader_and_isr(&lai(3, 40, 5, 1));
    assert_eq!(r.error_code, error_code::NONE);
    assert_eq!(r.partition_errors[0].error_code, error_code::NONE);
    assert_eq!(b.controller_epoch, 3);
    assert_eq!(b.replicas[&tp("t", 0)].leader, 1);
    // The old controller's late request: refused whole, nothing changes.
    let r = b.handle_leader_and_isr(&lai(2, 40, 9, 2));
    assert_eq!(r.error_code, error_code::STALE_CONTROLLER_EPOCH);
    assert_eq!(b.replicas[&tp("t", 0)].leader, 1);
    assert_eq!(
        b.handle_update_metadata(&um(2, 2)).error_code,
        error_code::STALE_CONTROLLER_EPOCH
    );
    assert!(b.metadata.is_empty());
    // An older leader epoch from the current controller: that partition answers stale.
    let r = b.handle_leader_and_isr(&lai(3, 40, 4, 2));
    assert_eq!(r.error_code, error_code::NONE);
    assert_eq!(
        r.partition_errors[0].error_code,
        error_code::STALE_CONTROLLER_EPOCH
    );
    assert_eq!(b.replicas[&tp("t", 0)].leader_epoch, 5);
    // A newer controller is accepted and remembered.
    assert_eq!(
        b.handle_leader_and_isr(&lai(4, 40, 6, 2)).error_code,
        error_code::NONE
    );
    assert_eq!((b.controller_epoch, b.replicas[&tp("t", 0)].leader), (4, 2));
}

#[test]
fn step5_a_broker_refuses_news_for_its_previous_registration() {
    let mut b = BrokerView::new(2, 40);
    assert_eq!(
        b.handle_leader_and_isr(&lai(1, 39, 0, 1)).error_code,
        error_code::STALE_BROKER_EPOCH
    );
    let mut u = um(1, 1);
    u.broker_epoch = 39;
    assert_eq!(
        b.handle_update_metadata(&u).error_code,
        error_code::STALE_BROKER_EPOCH
    );
    assert!(b.replicas.is_empty() && b.metadata.is_empty());
    assert_eq!(b.controller_epoch, 0);
}

#[test]
fn step5_metadata_is_replaced_and_deleted_topics_forgotten() {
    let mut b = BrokerView::new(1, 1);
    assert_eq!(
        b.handle_update_metadata(&um(1, 1)).error_code,
        error_code::NONE
    );
    assert_eq!(b.metadata[&tp("t", 0)].leader, 1);
    b.handle_update_metadata(&um(1, LEADER_DURING_DELETE));
    assert!(b.metadata.is_empty());

    b.handle_leader_and_isr(&lai(1, 1, 0, 1));
    let stop = StopReplicaRequest {
        controller_id: 1,
        controller_epoch: 1,
        broker_epoch: 1,
        topic_states: vec![StopReplicaTopicState {
            topic_name: "t".into(),
            partition_states: vec![StopReplicaPartitionState {
                partition_index: 0,
                leader_epoch: EPOCH_DURING_DELETE,
                delete_partition: true,
            }],
        }],
    };
    let r = b.handle_stop_replica(&stop);
    assert_eq!(r.error_code, error_code::NONE);
    assert_eq!(r.partition_errors[0].error_code, error_code::NONE);
    assert!(b.replicas.is_empty());
    let mut old = stop.clone();
    old.controller_epoch = 0;
    b.handle_update_metadata(&um(2, 1));
    assert_eq!(
        b.handle_stop_replica(&old).error_code,
        error_code::STALE_CONTROLLER_EPOCH
    );
}

fn answer(topic: &str, partitions: &[i32], code: i16) -> ControllerResponse {
    ControllerResponse::StopReplica(StopReplicaResponse {
        error_code: error_code::NONE,
        partition_errors: partitions
            .iter()
            .map(|p| StopReplicaPartitionError {
                topic_name: topic.into(),
                partition_index: *p,
                error_code: code,
            })
            .collect(),
    })
}

#[test]
fn step5_deleting_a_topic_stops_its_replicas_then_removes_its_znodes() {
    let snap = snapshot(
        &[1, 2, 3],
        &[
            ("t", assignment(&[(0, &[1, 2]), (1, &[2, 3])])),
            ("keep", assignment(&[(0, &[3])])),
        ],
        &[
            (tp("t", 0), state(1, 0, &[1, 2], 1)),
            (tp("t", 1), state(2, 0, &[2, 3], 1)),
            (tp("keep", 0), state(3, 0, &[3], 1)),
        ],
    );
    let (mut c, _) = elect(1, 1, snap);
    c.step(ControllerEvent::TopicDeletionsChanged(BTreeSet::from([
        "t".to_string(),
    ])));
    let r = c.ready();
    assert!(
        r.zk_ops.is_empty(),
        "nothing is deleted before the replicas confirm"
    );
    assert!(c.topics_to_delete().contains("t"));
    // Every live broker forgets the topic...
    let um = update_metadata(&r);
    assert_eq!(um.len(), 3);
    let ps = &um[&3][0].topic_states[0].partition_states;
    assert!(ps.iter().all(|p| p.leader == LEADER_DURING_DELETE));
    // ...and each replica is told to stop and delete.
    let stops = stop_replica(&r);
    let parts = |b: i32| -> Vec<(i32, i32, bool)> {
        stops[&b][0].topic_states[0]
            .partition_states
            .iter()
            .map(|p| (p.partition_index, p.leader_epoch, p.delete_partition))
            .collect()
    };
    assert_eq!(parts(1), vec![(0, EPOCH_DURING_DELETE, true)]);
    assert_eq!(
        parts(2),
        vec![
            (0, EPOCH_DURING_DELETE, true),
            (1, EPOCH_DURING_DELETE, true)
        ]
    );
    assert_eq!(parts(3), vec![(1, EPOCH_DURING_DELETE, true)]);
    assert_eq!(stops[&2][0].broker_epoch, 102);

    // No more elections for it while it is being deleted.
    c.step(ControllerEvent::BrokersChanged(
        brokers(&[1, 2, 3])
            .into_iter()
            .filter(|(id, _)| *id != 1)
            .collect(),
    ));
    assert!(state_writes(&c.ready()).is_empty());
    c.step(ControllerEvent::BrokersChanged(brokers(&[1, 2, 3])));
    // Broker 1 came back and still owes its answer: it is asked again.
    let again = stop_replica(&c.ready());
    assert_eq!(again.keys().copied().collect::<Vec<_>>(), vec![1]);

    for (b, p) in [(1, vec![0]), (2, vec![0, 1])] {
        c.step(ControllerEvent::BrokerResponse {
            broker_id: b,
            response: answer("t", &p, error_code::NONE),
        });
        assert!(c.ready().zk_ops.is_empty());
    }
    // An error is not a confirmation.
    c.step(ControllerEvent::BrokerResponse {
        broker_id: 3,
        response: answer("t", &[1], error_code::STALE_CONTROLLER_EPOCH),
    });
    assert!(c.ready().zk_ops.is_empty());
    c.step(ControllerEvent::BrokerResponse {
        broker_id: 3,
        response: answer("t", &[1], error_code::NONE),
    });
    let r = c.ready();
    let deleted: Vec<String> = r
        .zk_ops
        .iter()
        .map(|op| match op {
            ZkOp::DeleteRecursive {
                path,
                controller_epoch_zk_version: 1,
            } => path.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        deleted,
        vec![
            paths::topic("t"),
            paths::config_topic("t"),
            paths::delete_topic("t")
        ]
    );
    assert!(c.partition_state(&tp("t", 0)).is_none());
    assert!(c.topics_to_delete().is_empty());
    assert!(c.partition_state(&tp("keep", 0)).is_some());
}

#[test]
fn step5_a_request_to_delete_an_unknown_topic_is_removed() {
    let (mut c, _) = elect(1, 1, snapshot(&[1], &[], &[]));
    c.step(ControllerEvent::TopicDeletionsChanged(BTreeSet::from([
        "nope".to_string(),
    ])));
    let r = c.ready();
    assert_eq!(
        r.zk_ops,
        vec![ZkOp::DeleteRecursive {
            path: "/admin/delete_topics/nope".into(),
            controller_epoch_zk_version: 1
        }]
    );
    assert!(r.requests.is_empty());
}

#[test]
fn step5_a_new_controller_resumes_deletions() {
    let mut snap = snapshot(
        &[1, 2],
        &[("t", assignment(&[(0, &[2])]))],
        &[(tp("t", 0), state(2, 0, &[2], 1))],
    );
    snap.topics_to_delete = BTreeSet::from(["t".to_string()]);
    let (mut c, r) = elect(1, 2, snap);
    let stops = stop_replica(&r);
    assert_eq!(stops.keys().copied().collect::<Vec<_>>(), vec![2]);
    assert_eq!(stops[&2][0].controller_epoch, 2);
    c.step(ControllerEvent::BrokerResponse {
        broker_id: 2,
        response: answer("t", &[0], error_code::NONE),
    });
    assert_eq!(c.ready().zk_ops.len(), 3);
    // The same request seen again once the topic is gone: removed.
    c.step(ControllerEvent::TopicsChanged(BTreeMap::new()));
    c.step(ControllerEvent::TopicDeletionsChanged(BTreeSet::from([
        "t".to_string(),
    ])));
    assert_eq!(c.ready().zk_ops.len(), 1);
}
