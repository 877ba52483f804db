//! What one broker knows from the controller: its replicas' states (from LeaderAndIsr), its
//! metadata cache (from UpdateMetadata), and the highest controller epoch it has accepted.
//! This is the broker's side of the three requests, without logs or sockets — the part the
//! broker integration (a later lab) builds on, and what the simulation checks.

use std::collections::BTreeMap;

use crate::fencing::check_request;
use crate::requests::{
    error_code, LeaderAndIsrPartitionError, LeaderAndIsrPartitionState, LeaderAndIsrRequest,
    LeaderAndIsrResponse, StopReplicaPartitionError, StopReplicaRequest, StopReplicaResponse,
    TopicPartition, UpdateMetadataBroker, UpdateMetadataPartitionState, UpdateMetadataRequest,
    UpdateMetadataResponse,
};
use crate::zk_data::LEADER_DURING_DELETE;

/// One broker's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerView {
    pub broker_id: i32,
    /// The czxid of this broker's current registration.
    pub broker_epoch: i64,
    /// The highest controller epoch accepted (Kafka starts at 0).
    pub controller_epoch: i32,
    /// The live brokers, as the last UpdateMetadata listed them.
    pub live_brokers: BTreeMap<i32, UpdateMetadataBroker>,
    /// The metadata cache: what Metadata requests are answered from.
    pub metadata: BTreeMap<TopicPartition, UpdateMetadataPartitionState>,
    /// The partitions this broker is a replica of, with their last accepted state.
    pub replicas: BTreeMap<TopicPartition, LeaderAndIsrPartitionState>,
}

impl BrokerView {
    /// A broker that just registered with epoch `broker_epoch` and has heard nothing yet.
    pub fn new(broker_id: i32, broker_epoch: i64) -> BrokerView {
        BrokerView {
            broker_id,
            broker_epoch,
            controller_epoch: 0,
            live_brokers: BTreeMap::new(),
            metadata: BTreeMap::new(),
            replicas: BTreeMap::new(),
        }
    }

    /// `becomeLeaderOrFollower`: after the fencing checks, accept each partition whose leader
    /// epoch is newer than the one we hold (else that partition answers
    /// `STALE_CONTROLLER_EPOCH`, as Kafka 2.6 does).
    pub fn handle_leader_and_isr(&mut self, request: &LeaderAndIsrRequest) -> LeaderAndIsrResponse {
        // BEGIN SOLUTION step 5: fence, remember the controller epoch, then keep each partition state whose leader epoch is newer
        // ko: 펜싱 검사 후 컨트롤러 에포크를 기억하고, 리더 에포크가 더 새로운 파티션 상태만 담으세요
        if let Some(code) = check_request(
            self.controller_epoch,
            self.broker_epoch,
            request.controller_epoch,
            request.broker_epoch,
        ) {
            return LeaderAndIsrResponse {
                error_code: code,
                partition_errors: Vec::new(),
            };
        }
        self.controller_epoch = request.controller_epoch;
        let mut partition_errors = Vec::new();
        for topic in &request.topic_states {
            for state in &topic.partition_states {
                let tp = TopicPartition::new(&topic.topic_name, state.partition_index);
                let newer = self
                    .replicas
                    .get(&tp)
                    .is_none_or(|current| state.leader_epoch > current.leader_epoch);
                let error_code = if newer {
                    self.replicas.insert(tp, state.clone());
                    error_code::NONE
                } else {
                    error_code::STALE_CONTROLLER_EPOCH
                };
                partition_errors.push(LeaderAndIsrPartitionError {
                    topic_name: topic.topic_name.clone(),
                    partition_index: state.partition_index,
                    error_code,
                });
            }
        }
        LeaderAndIsrResponse {
            error_code: error_code::NONE,
            partition_errors,
        }
        // END SOLUTION
    }

    /// `maybeUpdateMetadataCache`: after the fencing checks, replace the live broker list and
    /// upsert the partitions (a leader of `LEADER_DURING_DELETE` removes one).
    pub fn handle_update_metadata(
        &mut self,
        request: &UpdateMetadataRequest,
    ) -> UpdateMetadataResponse {
        // BEGIN SOLUTION step 5: fence, remember the controller epoch, replace the live brokers and upsert or remove partitions
        // ko: 펜싱 검사 후 컨트롤러 에포크를 기억하고, 살아 있는 브로커를 바꾸고 파티션을 넣거나 지우세요
        if let Some(code) = check_request(
            self.controller_epoch,
            self.broker_epoch,
            request.controller_epoch,
            request.broker_epoch,
        ) {
            return UpdateMetadataResponse { error_code: code };
        }
        self.controller_epoch = request.controller_epoch;
        self.live_brokers = request
            .live_brokers
            .iter()
            .map(|b| (b.id, b.clone()))
            .collect();
        for topic in &request.topic_states {
            for state in &topic.partition_states {
                let tp = TopicPartition::new(&topic.topic_name, state.partition_index);
                if state.leader == LEADER_DURING_DELETE {
                    self.metadata.remove(&tp);
                } else {
                    self.metadata.insert(tp, state.clone());
                }
            }
        }
        UpdateMetadataResponse {
            error_code: error_code::NONE,
        }
        // END SOLUTION
    }

    /// `stopReplicas`: after the fencing checks, stop (and with `delete_partition`, forget)
    /// each partition.
    pub fn handle_stop_replica(&mut self, request: &StopReplicaRequest) -> StopReplicaResponse {
        // BEGIN SOLUTION step 5: fence, remember the controller epoch, forget deleted replicas and answer NONE for each partition
        // ko: 펜싱 검사 후 컨트롤러 에포크를 기억하고, 삭제할 레플리카를 잊은 뒤 파티션마다 NONE으로 답하세요
        if let Some(code) = check_request(
            self.controller_epoch,
            self.broker_epoch,
            request.controller_epoch,
            request.broker_epoch,
        ) {
            return StopReplicaResponse {
                error_code: code,
                partition_errors: Vec::new(),
            };
        }
        self.controller_epoch = request.controller_epoch;
        let mut partition_errors = Vec::new();
        for topic in &request.topic_states {
            for state in &topic.partition_states {
                if state.delete_partition {
                    self.replicas.remove(&TopicPartition::new(
                        &topic.topic_name,
                        state.partition_index,
                    ));
                }
                partition_errors.push(StopReplicaPartitionError {
                    topic_name: topic.topic_name.clone(),
                    partition_index: state.partition_index,
                    error_code: error_code::NONE,
                });
            }
        }
        StopReplicaResponse {
            error_code: error_code::NONE,
            partition_errors,
        }
        // END SOLUTION
    }
}
