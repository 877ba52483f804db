//! The requests the controller sends (Kafka's `ControllerBrokerRequestBatch`): one
//! LeaderAndIsr or UpdateMetadata per broker, built from what the controller knows — the
//! states it wrote, the replicas, the live brokers and their epochs.

use std::collections::{BTreeMap, BTreeSet};

use crate::controller::Controller;
use crate::requests::{
    ControllerRequest, LeaderAndIsrLiveLeader, LeaderAndIsrPartitionState, LeaderAndIsrRequest,
    LeaderAndIsrTopicState, TopicPartition, UpdateMetadataBroker, UpdateMetadataEndpoint,
    UpdateMetadataPartitionState, UpdateMetadataRequest, UpdateMetadataTopicState,
};
use crate::zk_data::LEADER_DURING_DELETE;

impl Controller {
    /// Sends each live broker of `targets` one LeaderAndIsr with the states of those
    /// `partitions` it is a replica of (none: no request), and the endpoints of their leaders.
    pub(crate) fn send_leader_and_isr(
        &mut self,
        targets: &BTreeSet<i32>,
        partitions: &[TopicPartition],
        is_new: bool,
    ) {
        // BEGIN SOLUTION step 3: per live target, the partitions it replicates grouped by topic, with live_leaders, our id and epoch and its broker epoch
        // ko: 살아 있는 대상마다 그 브로커가 복제하는 파티션을 토픽별로 묶고, live_leaders, 우리 ID와 에포크, 그 브로커의 에포크를 넣으세요
        for &broker in targets {
            let Some(registered) = self.live_brokers.get(&broker) else {
                continue;
            };
            let broker_epoch = registered.epoch;
            let mut topics: BTreeMap<String, Vec<LeaderAndIsrPartitionState>> = BTreeMap::new();
            let mut leaders = BTreeSet::new();
            for tp in partitions {
                let (Some(replicas), Some(znode)) =
                    (self.assignments.get(tp), self.partition_states.get(tp))
                else {
                    continue;
                };
                if !replicas.contains(&broker) {
                    continue;
                }
                let state = &znode.state;
                leaders.insert(state.leader);
                topics
                    .entry(tp.topic.clone())
                    .or_default()
                    .push(LeaderAndIsrPartitionState {
                        partition_index: tp.partition,
                        controller_epoch: state.controller_epoch,
                        leader: state.leader,
                        leader_epoch: state.leader_epoch,
                        isr: state.isr.clone(),
                        zk_version: znode.zk_version,
                        replicas: replicas.clone(),
                        adding_replicas: Vec::new(),
                        removing_replicas: Vec::new(),
                        is_new,
                    });
            }
            if topics.is_empty() {
                continue;
            }
            let live_leaders = leaders
                .iter()
                .filter_map(|id| self.live_brokers.get(id))
                .map(|b| {
                    let endpoint = b.info.plaintext_endpoint().or(b.info.endpoints.first());
                    LeaderAndIsrLiveLeader {
                        broker_id: b.info.id,
                        host_name: endpoint.map_or_else(String::new, |e| e.host.clone()),
                        port: endpoint.map_or(-1, |e| e.port),
                    }
                })
                .collect();
            let request = LeaderAndIsrRequest {
                controller_id: self.broker_id,
                controller_epoch: self.epoch,
                broker_epoch,
                topic_states: topics
                    .into_iter()
                    .map(|(topic_name, partition_states)| LeaderAndIsrTopicState {
                        topic_name,
                        partition_states,
                    })
                    .collect(),
                live_leaders,
            };
            self.push_request(broker, ControllerRequest::LeaderAndIsr(request));
        }
        // END SOLUTION
    }

    /// Sends each live broker of `targets` one UpdateMetadata: every live broker's endpoints,
    /// and the states of `partitions` (those with a state; leader `LEADER_DURING_DELETE` for a
    /// topic being deleted; offline replicas = replicas not alive). Sent even with no
    /// partitions: the live broker list is news too.
    pub(crate) fn send_update_metadata(
        &mut self,
        targets: &BTreeSet<i32>,
        partitions: &[TopicPartition],
    ) {
        // BEGIN SOLUTION step 3: build the live brokers and the partition states by topic once, then one request per live target with its broker epoch
        // ko: 살아 있는 브로커 목록과 토픽별 파티션 상태를 한 번 만든 뒤, 살아 있는 대상마다 그 브로커 에포크로 요청 하나씩 보내세요
        let live_brokers: Vec<UpdateMetadataBroker> = self
            .live_brokers
            .values()
            .map(|b| UpdateMetadataBroker {
                id: b.info.id,
                endpoints: b
                    .info
                    .endpoints
                    .iter()
                    .map(|e| UpdateMetadataEndpoint {
                        port: e.port,
                        host: e.host.clone(),
                        listener: e.listener_name.clone(),
                        security_protocol: e.security_protocol_id(),
                    })
                    .collect(),
                rack: b.info.rack.clone(),
            })
            .collect();
        let mut topics: BTreeMap<String, Vec<UpdateMetadataPartitionState>> = BTreeMap::new();
        for tp in partitions {
            let (Some(replicas), Some(znode)) =
                (self.assignments.get(tp), self.partition_states.get(tp))
            else {
                continue;
            };
            let state = &znode.state;
            let leader = if self.topics_to_delete.contains(&tp.topic) {
                LEADER_DURING_DELETE
            } else {
                state.leader
            };
            topics
                .entry(tp.topic.clone())
                .or_default()
                .push(UpdateMetadataPartitionState {
                    partition_index: tp.partition,
                    controller_epoch: state.controller_epoch,
                    leader,
                    leader_epoch: state.leader_epoch,
                    isr: state.isr.clone(),
                    zk_version: znode.zk_version,
                    replicas: replicas.clone(),
                    offline_replicas: replicas
                        .iter()
                        .copied()
                        .filter(|b| !self.live_brokers.contains_key(b))
                        .collect(),
                });
        }
        let topic_states: Vec<UpdateMetadataTopicState> = topics
            .into_iter()
            .map(|(topic_name, partition_states)| UpdateMetadataTopicState {
                topic_name,
                partition_states,
            })
            .collect();
        for &broker in targets {
            let Some(registered) = self.live_brokers.get(&broker) else {
                continue;
            };
            let request = UpdateMetadataRequest {
                controller_id: self.broker_id,
                controller_epoch: self.epoch,
                broker_epoch: registered.epoch,
                topic_states: topic_states.clone(),
                live_brokers: live_brokers.clone(),
            };
            self.push_request(broker, ControllerRequest::UpdateMetadata(request));
        }
        // END SOLUTION
    }
}
