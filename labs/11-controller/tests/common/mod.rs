//! Helpers shared by the controller tests: brokers, an active controller, and looking into a Ready.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use lab11_controller::requests::{LeaderAndIsrRequest, StopReplicaRequest, UpdateMetadataRequest};
use lab11_controller::{
    BrokerInfo, ClusterSnapshot, Controller, ControllerEvent, ControllerRequest, EndPoint,
    LeaderIsrAndControllerEpoch, PartitionStateZNode, Ready, RegisteredBroker, TopicAssignment,
    TopicPartition, ZkOp,
};

/// Broker `id` as the slides name it (`kafka0<id>:9092`), registered with `epoch`.
pub fn broker(id: i32, epoch: i64) -> RegisteredBroker {
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
        epoch,
    }
}

/// Brokers `ids`, each with epoch `100 + id`.
pub fn brokers(ids: &[i32]) -> BTreeMap<i32, RegisteredBroker> {
    ids.iter()
        .map(|&id| (id, broker(id, 100 + id as i64)))
        .collect()
}

pub fn assignment(partitions: &[(i32, &[i32])]) -> TopicAssignment {
    TopicAssignment {
        partitions: partitions.iter().map(|(p, r)| (*p, r.to_vec())).collect(),
        ..TopicAssignment::default()
    }
}

pub fn state(
    leader: i32,
    leader_epoch: i32,
    isr: &[i32],
    controller_epoch: i32,
) -> LeaderIsrAndControllerEpoch {
    LeaderIsrAndControllerEpoch {
        leader,
        leader_epoch,
        isr: isr.to_vec(),
        controller_epoch,
    }
}

pub fn tp(topic: &str, partition: i32) -> TopicPartition {
    TopicPartition::new(topic, partition)
}

/// Broker `id`'s controller elected with epoch `epoch` (`/controller_epoch` then at zkVersion
/// `epoch`) and loaded with `snapshot`; its Ready is returned beside it.
pub fn elect(id: i32, epoch: i32, snapshot: ClusterSnapshot) -> (Controller, Ready) {
    let mut c = Controller::new(id);
    c.step(ControllerEvent::ControllerChanged {
        controller_id: None,
        controller_epoch: Some((epoch - 1, epoch - 1)),
    });
    let r = c.ready();
    assert_eq!(
        r.zk_ops,
        vec![ZkOp::RegisterController {
            broker_id: id,
            epoch,
            epoch_zk_version: Some(epoch - 1)
        }]
    );
    c.step(ControllerEvent::ControllerRegistered {
        epoch,
        epoch_zk_version: epoch,
    });
    assert_eq!(c.ready().zk_ops, vec![ZkOp::LoadCluster]);
    c.step(ControllerEvent::ClusterLoaded(snapshot));
    let r = c.ready();
    (c, r)
}

/// A snapshot with `brokers`, one topic and the given states (zkVersion = leader epoch).
pub fn snapshot(
    live: &[i32],
    topics: &[(&str, TopicAssignment)],
    states: &[(TopicPartition, LeaderIsrAndControllerEpoch)],
) -> ClusterSnapshot {
    ClusterSnapshot {
        brokers: brokers(live),
        topics: topics
            .iter()
            .map(|(t, a)| (t.to_string(), a.clone()))
            .collect(),
        partition_states: states
            .iter()
            .map(|(tp, s)| {
                (
                    tp.clone(),
                    PartitionStateZNode {
                        state: s.clone(),
                        zk_version: s.leader_epoch,
                    },
                )
            })
            .collect(),
        topics_to_delete: BTreeSet::new(),
    }
}

pub fn leader_and_isr(r: &Ready) -> BTreeMap<i32, Vec<LeaderAndIsrRequest>> {
    let mut out: BTreeMap<i32, Vec<LeaderAndIsrRequest>> = BTreeMap::new();
    for req in &r.requests {
        if let ControllerRequest::LeaderAndIsr(l) = &req.request {
            out.entry(req.broker_id).or_default().push(l.clone());
        }
    }
    out
}

pub fn update_metadata(r: &Ready) -> BTreeMap<i32, Vec<UpdateMetadataRequest>> {
    let mut out: BTreeMap<i32, Vec<UpdateMetadataRequest>> = BTreeMap::new();
    for req in &r.requests {
        if let ControllerRequest::UpdateMetadata(u) = &req.request {
            out.entry(req.broker_id).or_default().push(u.clone());
        }
    }
    out
}

pub fn stop_replica(r: &Ready) -> BTreeMap<i32, Vec<StopReplicaRequest>> {
    let mut out: BTreeMap<i32, Vec<StopReplicaRequest>> = BTreeMap::new();
    for req in &r.requests {
        if let ControllerRequest::StopReplica(s) = &req.request {
            out.entry(req.broker_id).or_default().push(s.clone());
        }
    }
    out
}

/// The (topic, partition, leader, leader_epoch, isr) a LeaderAndIsr carries.
pub fn lai_states(req: &LeaderAndIsrRequest) -> Vec<(String, i32, i32, i32, Vec<i32>)> {
    req.topic_states
        .iter()
        .flat_map(|t| {
            t.partition_states.iter().map(move |p| {
                (
                    t.topic_name.clone(),
                    p.partition_index,
                    p.leader,
                    p.leader_epoch,
                    p.isr.clone(),
                )
            })
        })
        .collect()
}

/// The partition-state writes of a Ready, decoded: path → (state, expected version or None for a create).
pub fn state_writes(r: &Ready) -> Vec<(String, LeaderIsrAndControllerEpoch, Option<i32>)> {
    r.zk_ops
        .iter()
        .filter_map(|op| match op {
            ZkOp::Create { path, data, .. } if path.ends_with("/state") => Some((
                path.clone(),
                LeaderIsrAndControllerEpoch::decode(data).unwrap(),
                None,
            )),
            ZkOp::SetData {
                path,
                data,
                version,
                ..
            } => Some((
                path.clone(),
                LeaderIsrAndControllerEpoch::decode(data).unwrap(),
                Some(*version),
            )),
            _ => None,
        })
        .collect()
}
