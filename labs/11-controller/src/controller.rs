//! The controller core (`kafka.controller.KafkaController`), a pure state machine.
//!
//! Every broker runs one. At most one is *active*: the one whose broker won `/controller`.
//! The active one keeps the cluster's partition states in ZooKeeper and tells brokers about
//! them; the others only wait for `/controller` to disappear.
//!
//! ```text
//!            ControllerChanged{None}          ControllerRegistered        ClusterLoaded
//! NotController ---------------> Electing ----------------------> Loading -----------> Active
//!       ^                          |  RegistrationFailed                                 |
//!       '--------------------------'------------------------------------------------------'
//!                 resign: another /controller, SessionExpired, ZkOpFailed
//! ```
//!
//! The rule for every change: write the state znode first (guarded by the controller epoch's
//! zkVersion), then tell the brokers — a broker must never hear a state ZooKeeper lacks.
//! `step` takes one event; `ready` hands back what to write and send (see `events`).
//!
//! This file holds election, failover and new topics (step 3), and `request_batch.rs` the
//! requests they send. Broker deaths and returns are in `broker_change.rs` (step 4), topic
//! deletion in `topic_deletion.rs` (step 5).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::events::{
    BrokerRequest, ClusterSnapshot, ControllerEvent, PartitionStateZNode, Ready, RegisteredBroker,
    ZkOp,
};
use crate::failover::CommandAnswer;
use crate::failover_rules::FailoverRules;
use crate::requests::{ControllerRequest, ControllerResponse, TopicPartition};
use crate::zk_data::{paths, LeaderIsrAndControllerEpoch, TopicAssignment, INITIAL_LEADER_EPOCH};

/// Where a broker's controller stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Someone else is the controller, or nobody and we have not tried yet.
    NotController,
    /// We asked ZooKeeper to make us the controller.
    Electing,
    /// We won and wait for the cluster's state.
    Loading,
    /// We are the controller.
    Active,
}

/// One broker's controller.
#[derive(Debug, Clone)]
pub struct Controller {
    pub(crate) broker_id: i32,
    pub(crate) role: Role,
    /// The controller `/controller` named when we last looked.
    pub(crate) active_controller_id: Option<i32>,
    /// Our controller epoch, and `/controller_epoch`'s znode version after we set it.
    pub(crate) epoch: i32,
    pub(crate) epoch_zk_version: i32,
    /// The rest is known only while active (`ControllerContext`).
    pub(crate) live_brokers: BTreeMap<i32, RegisteredBroker>,
    pub(crate) assignments: BTreeMap<TopicPartition, Vec<i32>>,
    pub(crate) partition_states: BTreeMap<TopicPartition, PartitionStateZNode>,
    pub(crate) topics_to_delete: BTreeSet<String>,
    /// Per topic being deleted: the (broker, partition) replicas that have not yet answered
    /// StopReplica without error.
    pub(crate) deletion_pending: BTreeMap<String, BTreeSet<(i32, i32)>>,
    pub(crate) ready: Ready,
    /// Lab 13's failover rules, if the broker was given them (`failover`); kept on resigning.
    pub(crate) rules: Option<Arc<dyn FailoverRules>>,
    /// Brokers in a controlled shutdown (Kafka's `shuttingDownBrokerIds`).
    pub(crate) shutting_down: BTreeSet<i32>,
    /// The answer to the last ControlledShutdown or ElectLeaders event.
    pub(crate) answer: Option<CommandAnswer>,
}

impl Controller {
    /// The controller of broker `broker_id`, not yet controlling anything.
    pub fn new(broker_id: i32) -> Controller {
        Controller {
            broker_id,
            role: Role::NotController,
            active_controller_id: None,
            epoch: 0,
            epoch_zk_version: -1,
            live_brokers: BTreeMap::new(),
            assignments: BTreeMap::new(),
            partition_states: BTreeMap::new(),
            topics_to_delete: BTreeSet::new(),
            deletion_pending: BTreeMap::new(),
            ready: Ready::default(),
            rules: None,
            shutting_down: BTreeSet::new(),
            answer: None,
        }
    }

    /// Handles one event.
    pub fn step(&mut self, event: ControllerEvent) {
        match event {
            ControllerEvent::ControllerChanged {
                controller_id,
                controller_epoch,
            } => self.on_controller_changed(controller_id, controller_epoch),
            ControllerEvent::ControllerRegistered {
                epoch,
                epoch_zk_version,
            } => self.on_controller_registered(epoch, epoch_zk_version),
            ControllerEvent::ControllerRegistrationFailed { controller_id } => {
                if self.role == Role::Electing {
                    self.role = Role::NotController;
                    self.active_controller_id = controller_id;
                }
            }
            ControllerEvent::ClusterLoaded(snapshot) => {
                if self.role == Role::Loading {
                    self.on_cluster_loaded(snapshot);
                    self.elect_unclean_leaders();
                }
            }
            ControllerEvent::BrokersChanged(brokers) => {
                if self.role == Role::Active {
                    self.on_brokers_changed(brokers);
                    self.elect_unclean_leaders();
                }
            }
            ControllerEvent::TopicsChanged(topics) => {
                if self.role == Role::Active {
                    self.on_topics_changed(topics);
                }
            }
            ControllerEvent::TopicDeletionsChanged(topics) => {
                if self.role == Role::Active {
                    self.on_topic_deletions_changed(topics);
                }
            }
            // Lab 13's rules (`failover`): they answer NOT_CONTROLLER unless active.
            ControllerEvent::ControlledShutdown {
                broker_id,
                broker_epoch,
            } => self.on_controlled_shutdown(broker_id, broker_epoch),
            ControllerEvent::ElectPreferredLeaders { partitions } => {
                self.on_elect_preferred_leaders(partitions)
            }
            ControllerEvent::AutoLeaderRebalance => {
                if self.role == Role::Active {
                    self.on_auto_leader_rebalance();
                }
            }
            ControllerEvent::IsrChangeNotifications {
                notifications,
                partition_states,
            } => {
                if self.role == Role::Active {
                    self.on_isr_change_notifications(notifications, partition_states);
                }
            }
            // Our ephemerals are gone, so someone else may already be controller: stop at
            // once. The shell re-registers the broker and steps `ControllerChanged` again.
            ControllerEvent::SessionExpired | ControllerEvent::ZkOpFailed { .. } => self.resign(),
            ControllerEvent::BrokerResponse {
                broker_id,
                response,
            } => {
                // LeaderAndIsr and UpdateMetadata answers need nothing here (a real controller
                // would watch LeaderAndIsr's for offline log directories).
                if self.role == Role::Active {
                    if let ControllerResponse::StopReplica(r) = response {
                        self.on_stop_replica_response(broker_id, r);
                    }
                }
            }
        }
    }

    /// Takes what the shell must do now (see `events` for the order).
    pub fn ready(&mut self) -> Ready {
        std::mem::take(&mut self.ready)
    }

    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn is_active(&self) -> bool {
        self.role == Role::Active
    }
    /// Our controller epoch (meaningful once registered).
    pub fn epoch(&self) -> i32 {
        self.epoch
    }
    /// The controller `/controller` named when we last looked.
    pub fn active_controller_id(&self) -> Option<i32> {
        self.active_controller_id
    }
    /// The live brokers, as the active controller knows them.
    pub fn live_broker_ids(&self) -> BTreeSet<i32> {
        self.live_brokers.keys().copied().collect()
    }
    /// A partition's state and zkVersion, as the active controller knows them.
    pub fn partition_state(&self, tp: &TopicPartition) -> Option<&PartitionStateZNode> {
        self.partition_states.get(tp)
    }
    /// A partition's replicas.
    pub fn replicas(&self, tp: &TopicPartition) -> Option<&[i32]> {
        self.assignments.get(tp).map(Vec::as_slice)
    }
    /// Topics queued for deletion.
    pub fn topics_to_delete(&self) -> &BTreeSet<String> {
        &self.topics_to_delete
    }

    /// `onControllerResignation`: forget everything a controller knows, and anything not yet
    /// handed to the shell.
    pub(crate) fn resign(&mut self) {
        let broker_id = self.broker_id;
        let active = self.active_controller_id;
        let rules = self.rules.take();
        *self = Controller::new(broker_id);
        self.rules = rules;
        self.active_controller_id = active.filter(|id| *id != broker_id);
    }

    /// Partitions with a state znode whose topic is not being deleted.
    pub(crate) fn online_partitions(&self) -> Vec<TopicPartition> {
        self.partition_states
            .keys()
            .filter(|tp| !self.topics_to_delete.contains(&tp.topic))
            .cloned()
            .collect()
    }

    /// A partition led by a broker that is not alive, or whose ISR names one: what an election
    /// (step 4) must look at after a failover.
    pub(crate) fn has_offline_partitions(&self) -> bool {
        self.online_partitions().iter().any(|tp| {
            let state = &self.partition_states[tp].state;
            !self.live_brokers.contains_key(&state.leader)
                || state.isr.iter().any(|b| !self.live_brokers.contains_key(b))
        })
    }

    /// Writes a new state for an existing state znode and remembers it: a conditional setData
    /// on the zkVersion we know, guarded by our epoch.
    pub(crate) fn set_partition_state(
        &mut self,
        tp: &TopicPartition,
        state: LeaderIsrAndControllerEpoch,
    ) {
        let current = self.partition_states[tp].zk_version;
        self.ready.zk_ops.push(ZkOp::SetData {
            path: paths::partition_state(&tp.topic, tp.partition),
            data: state.encode(),
            version: current,
            controller_epoch_zk_version: self.epoch_zk_version,
        });
        self.partition_states.insert(
            tp.clone(),
            PartitionStateZNode {
                state,
                zk_version: current + 1,
            },
        );
    }

    pub(crate) fn push_request(&mut self, broker_id: i32, request: ControllerRequest) {
        self.ready
            .requests
            .push(BrokerRequest { broker_id, request });
    }

    /// `/controller` changed. Someone else's id: if we were controller, resign. No
    /// controller: try to become it with the next epoch (`KafkaController.elect`).
    fn on_controller_changed(
        &mut self,
        controller_id: Option<i32>,
        controller_epoch: Option<(i32, i32)>,
    ) {
        // BEGIN SOLUTION step 3: resign if another broker is controller; with none, ask to register with the epoch after the current one
        // ko: 다른 브로커가 컨트롤러면 물러나고, 아무도 없으면 현재 다음 에포크로 등록을 요청하세요
        match controller_id {
            Some(id) => {
                if self.role != Role::NotController && id != self.broker_id {
                    self.resign();
                }
                self.active_controller_id = Some(id);
            }
            None => {
                if self.role != Role::NotController {
                    // Our own /controller is gone: our session ended, whatever we believed.
                    self.resign();
                }
                self.active_controller_id = None;
                self.role = Role::Electing;
                let (epoch, epoch_zk_version) = match controller_epoch {
                    Some((epoch, version)) => (epoch + 1, Some(version)),
                    None => (1, None),
                };
                self.ready.zk_ops.push(ZkOp::RegisterController {
                    broker_id: self.broker_id,
                    epoch,
                    epoch_zk_version,
                });
            }
        }
        // END SOLUTION
    }

    /// We won: remember the epoch and its zkVersion, then read the cluster.
    fn on_controller_registered(&mut self, epoch: i32, epoch_zk_version: i32) {
        // BEGIN SOLUTION step 3: only while electing: keep the epoch and its znode version, become Loading and ask for LoadCluster
        // ko: 선출 중일 때만: 에포크와 그 지노드 버전을 기억하고 Loading이 된 뒤 LoadCluster를 요청하세요
        if self.role != Role::Electing {
            return;
        }
        self.epoch = epoch;
        self.epoch_zk_version = epoch_zk_version;
        self.active_controller_id = Some(self.broker_id);
        self.role = Role::Loading;
        self.ready.zk_ops.push(ZkOp::LoadCluster);
        // END SOLUTION
    }

    /// `onControllerFailover`: take over the cluster as ZooKeeper has it.
    fn on_cluster_loaded(&mut self, snapshot: ClusterSnapshot) {
        // BEGIN SOLUTION step 3: load the snapshot, create missing states, elect if needed, then tell every live broker everything; resume deletions
        // ko: 스냅숏을 읽고, 없는 상태를 만들고, 필요하면 선출한 뒤 살아 있는 모든 브로커에게 전부 알리세요. 삭제를 재개하세요
        self.role = Role::Active;
        self.live_brokers = snapshot.brokers;
        self.assignments = flatten(&snapshot.topics);
        self.partition_states = snapshot
            .partition_states
            .into_iter()
            .filter(|(tp, _)| self.assignments.contains_key(tp))
            .collect();
        // Partitions whose topic was written while no controller ran (or whose replicas were
        // all down) have no state yet.
        let uninitialized: Vec<TopicPartition> = self
            .assignments
            .keys()
            .filter(|tp| !self.partition_states.contains_key(*tp))
            .cloned()
            .collect();
        let created = self.init_new_partitions(&uninitialized);
        if self.has_offline_partitions() {
            let online = self.online_partitions();
            self.elect_leaders(&online);
        }
        let live = self.live_broker_ids();
        let all: Vec<TopicPartition> = self.partition_states.keys().cloned().collect();
        self.send_update_metadata(&live, &all);
        let created_set: BTreeSet<&TopicPartition> = created.iter().collect();
        let (new, existing): (Vec<TopicPartition>, Vec<TopicPartition>) = self
            .online_partitions()
            .into_iter()
            .partition(|tp| created_set.contains(tp));
        self.send_leader_and_isr(&live, &existing, false);
        self.send_leader_and_isr(&live, &new, true);
        if !snapshot.topics_to_delete.is_empty() {
            self.on_topic_deletions_changed(snapshot.topics_to_delete);
        }
        // END SOLUTION
    }

    /// New topics (or new partitions of a topic) in `/brokers/topics`: learn their
    /// assignment, create their states, tell their replicas and every live broker. Topics gone
    /// from ZooKeeper are forgotten.
    fn on_topics_changed(&mut self, topics: BTreeMap<String, TopicAssignment>) {
        // BEGIN SOLUTION step 3: add unknown partitions, forget vanished topics, init the new ones and send LeaderAndIsr (is_new) and UpdateMetadata
        // ko: 모르는 파티션을 더하고 사라진 토픽은 잊은 뒤, 새 파티션을 초기화하고 LeaderAndIsr(is_new)와 UpdateMetadata를 보내세요
        let mut new_partitions = Vec::new();
        for (tp, replicas) in flatten(&topics) {
            if !self.assignments.contains_key(&tp) {
                self.assignments.insert(tp.clone(), replicas);
                new_partitions.push(tp);
            }
        }
        let gone: Vec<TopicPartition> = self
            .assignments
            .keys()
            .filter(|tp| !topics.contains_key(&tp.topic))
            .cloned()
            .collect();
        for tp in gone {
            self.assignments.remove(&tp);
            self.partition_states.remove(&tp);
            self.topics_to_delete.remove(&tp.topic);
            self.deletion_pending.remove(&tp.topic);
        }
        let created = self.init_new_partitions(&new_partitions);
        if !created.is_empty() {
            let live = self.live_broker_ids();
            self.send_leader_and_isr(&live, &created, true);
            self.send_update_metadata(&live, &created);
        }
        // END SOLUTION
    }

    /// Kafka's NewPartition → OnlinePartition (`initializeLeaderAndIsrForPartitions`): for
    /// each partition without a state whose topic is not being deleted and that has a live
    /// replica, leader = the first live replica, ISR = the live replicas, leader epoch 0;
    /// create its state znode. Returns the partitions created; the others stay new until a
    /// replica comes up.
    pub(crate) fn init_new_partitions(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Vec<TopicPartition> {
        // BEGIN SOLUTION step 3: for each eligible partition create the state znode with the live replicas as ISR and the first as leader
        // ko: 대상 파티션마다 살아 있는 레플리카를 ISR로, 그 첫 번째를 리더로 해서 상태 지노드를 만드세요
        let mut created = Vec::new();
        for tp in partitions {
            if self.partition_states.contains_key(tp) || self.topics_to_delete.contains(&tp.topic) {
                continue;
            }
            let Some(replicas) = self.assignments.get(tp) else {
                continue;
            };
            let live: Vec<i32> = replicas
                .iter()
                .copied()
                .filter(|b| self.live_brokers.contains_key(b))
                .collect();
            let Some(&leader) = live.first() else {
                continue;
            };
            let state = LeaderIsrAndControllerEpoch {
                leader,
                leader_epoch: INITIAL_LEADER_EPOCH,
                isr: live,
                controller_epoch: self.epoch,
            };
            self.ready.zk_ops.push(ZkOp::Create {
                path: paths::partition_state(&tp.topic, tp.partition),
                data: state.encode(),
                controller_epoch_zk_version: self.epoch_zk_version,
            });
            self.partition_states.insert(
                tp.clone(),
                PartitionStateZNode {
                    state,
                    zk_version: 0,
                },
            );
            created.push(tp.clone());
        }
        created
        // END SOLUTION
    }
}

/// Every partition of every topic, with its replicas.
pub(crate) fn flatten(
    topics: &BTreeMap<String, TopicAssignment>,
) -> BTreeMap<TopicPartition, Vec<i32>> {
    topics
        .iter()
        .flat_map(|(topic, a)| {
            a.partitions
                .iter()
                .map(move |(p, replicas)| (TopicPartition::new(topic, *p), replicas.clone()))
        })
        .collect()
}
