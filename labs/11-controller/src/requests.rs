//! What the controller tells brokers: LeaderAndIsr (API key 4), UpdateMetadata (6) and
//! StopReplica (5) as typed values, field for field as in Kafka 2.6's message specs
//! (`LeaderAndIsrRequest.json` v4, `UpdateMetadataRequest.json` v6, `StopReplicaRequest.json`
//! v3). Their byte codecs come later, written like lab 04's message files; fields only older
//! versions carry (`UngroupedPartitionStates`, `V0Host`…) are left out.
//!
//! Every request carries the sender's `controller_epoch` and the receiver's `broker_epoch`,
//! which is how a broker tells a deposed controller, or news meant for its previous life,
//! from the current truth (see `fencing`).

use crate::zk_data::LeaderIsrAndControllerEpoch;

/// Kafka's error codes these APIs answer with.
pub mod error_code {
    pub const NONE: i16 = 0;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    /// The request's controller epoch is older than one this broker has seen.
    pub const STALE_CONTROLLER_EPOCH: i16 = 11;
    pub const INVALID_REPLICATION_FACTOR: i16 = 38;
    /// The broker could not create or open a partition's log.
    pub const KAFKA_STORAGE_ERROR: i16 = 56;
    /// The request was meant for an earlier registration of this broker.
    pub const STALE_BROKER_EPOCH: i16 = 77;
}

/// A topic-partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// `LeaderAndIsrPartitionState`: one partition's state as the replicas must know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsrPartitionState {
    pub partition_index: i32,
    pub controller_epoch: i32,
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    /// The state znode's version after the controller's write.
    pub zk_version: i32,
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
    /// The replica is being created (a new partition), so a missing log is no error.
    pub is_new: bool,
}

impl LeaderAndIsrPartitionState {
    /// The part a state znode also holds.
    pub fn leader_isr(&self) -> LeaderIsrAndControllerEpoch {
        LeaderIsrAndControllerEpoch {
            leader: self.leader,
            leader_epoch: self.leader_epoch,
            isr: self.isr.clone(),
            controller_epoch: self.controller_epoch,
        }
    }
}

/// `LeaderAndIsrTopicState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsrTopicState {
    pub topic_name: String,
    pub partition_states: Vec<LeaderAndIsrPartitionState>,
}

/// `LeaderAndIsrLiveLeader`: how to reach a leader named in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsrLiveLeader {
    pub broker_id: i32,
    pub host_name: String,
    pub port: i32,
}

/// LeaderAndIsr (API 4): "for these partitions you are leader or follower; here is the state".
/// Sent only to the partitions' replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsrRequest {
    pub controller_id: i32,
    pub controller_epoch: i32,
    pub broker_epoch: i64,
    pub topic_states: Vec<LeaderAndIsrTopicState>,
    pub live_leaders: Vec<LeaderAndIsrLiveLeader>,
}

/// `LeaderAndIsrPartitionError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsrPartitionError {
    pub topic_name: String,
    pub partition_index: i32,
    pub error_code: i16,
}

/// LeaderAndIsr's response (v4): a top-level error, or one per partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderAndIsrResponse {
    pub error_code: i16,
    pub partition_errors: Vec<LeaderAndIsrPartitionError>,
}

/// `UpdateMetadataPartitionState`: what a broker answers Metadata requests with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMetadataPartitionState {
    pub partition_index: i32,
    pub controller_epoch: i32,
    /// `LEADER_DURING_DELETE` (-2) tells brokers to forget the partition.
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    pub zk_version: i32,
    pub replicas: Vec<i32>,
    /// Replicas on brokers that are not alive.
    pub offline_replicas: Vec<i32>,
}

/// `UpdateMetadataTopicState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMetadataTopicState {
    pub topic_name: String,
    pub partition_states: Vec<UpdateMetadataPartitionState>,
}

/// `UpdateMetadataEndpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMetadataEndpoint {
    pub port: i32,
    pub host: String,
    pub listener: String,
    pub security_protocol: i16,
}

/// `UpdateMetadataBroker`: one live broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMetadataBroker {
    pub id: i32,
    pub endpoints: Vec<UpdateMetadataEndpoint>,
    pub rack: Option<String>,
}

/// UpdateMetadata (API 6): "the live brokers are these; these partitions are led so". Sent to
/// every live broker, so any of them can answer a client's Metadata request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMetadataRequest {
    pub controller_id: i32,
    pub controller_epoch: i32,
    pub broker_epoch: i64,
    pub topic_states: Vec<UpdateMetadataTopicState>,
    pub live_brokers: Vec<UpdateMetadataBroker>,
}

/// UpdateMetadata's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateMetadataResponse {
    pub error_code: i16,
}

/// `StopReplicaPartitionState` (v3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReplicaPartitionState {
    pub partition_index: i32,
    /// `EPOCH_DURING_DELETE` (-2) when the topic is being deleted.
    pub leader_epoch: i32,
    pub delete_partition: bool,
}

/// `StopReplicaTopicState` (v3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReplicaTopicState {
    pub topic_name: String,
    pub partition_states: Vec<StopReplicaPartitionState>,
}

/// StopReplica (API 5): "stop being a replica of these (and delete them)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReplicaRequest {
    pub controller_id: i32,
    pub controller_epoch: i32,
    pub broker_epoch: i64,
    pub topic_states: Vec<StopReplicaTopicState>,
}

/// `StopReplicaPartitionError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReplicaPartitionError {
    pub topic_name: String,
    pub partition_index: i32,
    pub error_code: i16,
}

/// StopReplica's response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReplicaResponse {
    pub error_code: i16,
    pub partition_errors: Vec<StopReplicaPartitionError>,
}

/// A request from the controller to one broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerRequest {
    LeaderAndIsr(LeaderAndIsrRequest),
    UpdateMetadata(UpdateMetadataRequest),
    StopReplica(StopReplicaRequest),
}

impl ControllerRequest {
    /// Kafka's API key: 4, 6 or 5.
    pub fn api_key(&self) -> i16 {
        match self {
            ControllerRequest::LeaderAndIsr(_) => 4,
            ControllerRequest::StopReplica(_) => 5,
            ControllerRequest::UpdateMetadata(_) => 6,
        }
    }

    /// The controller epoch the request carries.
    pub fn controller_epoch(&self) -> i32 {
        match self {
            ControllerRequest::LeaderAndIsr(r) => r.controller_epoch,
            ControllerRequest::UpdateMetadata(r) => r.controller_epoch,
            ControllerRequest::StopReplica(r) => r.controller_epoch,
        }
    }
}

/// A broker's answer to a `ControllerRequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerResponse {
    LeaderAndIsr(LeaderAndIsrResponse),
    UpdateMetadata(UpdateMetadataResponse),
    StopReplica(StopReplicaResponse),
}
