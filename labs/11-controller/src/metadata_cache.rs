//! What a broker answers clients from once a controller has spoken (Kafka's `MetadataCache`):
//! the live brokers and each partition's leader, replicas and ISR, as the last accepted
//! UpdateMetadata said — kept in step 5's [`BrokerView`], which also does the epoch fencing.
//!
//! Two questions the broker's request handlers ask it:
//! - *Who is in the cluster, and who leads what?* — a client's Metadata request. Any broker
//!   answers for the whole cluster; that is why UpdateMetadata goes to every live broker.
//! - *Do I lead this partition?* — before a Produce, Fetch or ListOffsets. A broker that does
//!   not lead the partition answers `NOT_LEADER_OR_FOLLOWER` (6), a retriable error: the client
//!   refreshes its metadata and goes to the leader.

use lab04_protocol_codec::metadata::AUTHORIZED_OPERATIONS_OMITTED;
use lab04_protocol_codec::{
    ErrorCode, MetadataBroker, MetadataPartition, MetadataRequest, MetadataResponse, MetadataTopic,
};
use lab05_broker::broker::{valid_topic_name, CLUSTER_ID};

use crate::broker_view::BrokerView;
use crate::requests::TopicPartition;

/// The internal topic of lab 07's committed offsets, listed with `is_internal`.
pub const CONSUMER_OFFSETS: &str = "__consumer_offsets";

/// A broker's view plus what Metadata also reports: the controller that last spoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataCache {
    pub view: BrokerView,
    /// The controller of the last accepted request; −1 before any.
    pub controller_id: i32,
    /// The listener clients reach this cluster on: each broker's endpoint of that name is
    /// the address Metadata gives out (Kafka answers with the listener the request came in on).
    pub listener: String,
}

impl MetadataCache {
    pub fn new(broker_id: i32, broker_epoch: i64, listener: &str) -> MetadataCache {
        MetadataCache {
            view: BrokerView::new(broker_id, broker_epoch),
            controller_id: -1,
            listener: listener.to_string(),
        }
    }

    /// The listener whose endpoints the request being answered is told: the one its
    /// connection arrived on (lab 05's `listeners::current`), else [`MetadataCache::listener`].
    pub fn client_listener(&self) -> String {
        lab05_broker::listeners::current().unwrap_or_else(|| self.listener.clone())
    }

    /// [`MetadataCache::metadata`] with each broker's endpoint on the listener the request
    /// arrived on (Kafka answers with `request.context.listenerName`); a broker without that
    /// listener is left out, as Kafka leaves it out.
    pub fn metadata_for_client(&mut self, request: &MetadataRequest) -> MetadataResponse {
        let client = self.client_listener();
        let own = std::mem::replace(&mut self.listener, client);
        let response = self.metadata(request);
        self.listener = own;
        response
    }

    /// Whether a controller has told this broker about the cluster. Until then the broker
    /// answers alone, as lab 05's single broker. Every UpdateMetadata lists at least its
    /// receiver among the live brokers, so an empty list means none was accepted.
    pub fn controller_spoke(&self) -> bool {
        !self.view.live_brokers.is_empty()
    }

    /// Whether a client's request for `topic`-`partition` must be refused with
    /// NOT_LEADER_OR_FOLLOWER: the cache knows the partition and names a leader other than
    /// this broker (or none). A partition the cache does not know is left to the local logs.
    pub fn not_leader(&self, topic: &str, partition: i32) -> bool {
        // BEGIN SOLUTION step 6: refuse a partition the cache knows whose leader is not this broker
        // ko: 캐시가 아는 파티션인데 리더가 이 브로커가 아니면 거절하기
        self.view
            .metadata
            .get(&TopicPartition::new(topic, partition))
            .is_some_and(|state| state.leader != self.view.broker_id)
        // END SOLUTION
    }

    /// A client's Metadata request, answered from the cache: every live broker that has an
    /// endpoint on [`MetadataCache::listener`], the controller, and each requested topic (all
    /// known topics for `None`) with its partitions' leader, leader epoch, replicas, ISR and
    /// offline replicas. A partition without a leader (−1) says LEADER_NOT_AVAILABLE; a topic
    /// the cache does not know says UNKNOWN_TOPIC_OR_PARTITION (no auto-creation: in a
    /// cluster, topics are created through ZooKeeper).
    pub fn metadata(&self, request: &MetadataRequest) -> MetadataResponse {
        // BEGIN SOLUTION step 6: list the live brokers on the listener and each requested topic's partitions from the cache
        // ko: 리스너로 닿는 살아 있는 브로커들과 요청된 토픽의 파티션들을 캐시에서 꺼내 나열하기
        let brokers = self
            .view
            .live_brokers
            .values()
            .filter_map(|b| {
                let endpoint = b.endpoints.iter().find(|ep| ep.listener == self.listener)?;
                Some(MetadataBroker {
                    node_id: b.id,
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    rack: b.rack.clone(),
                })
            })
            .collect();
        let names: Vec<String> = match &request.topics {
            Some(names) => names.clone(),
            None => {
                let mut names: Vec<String> = self
                    .view
                    .metadata
                    .keys()
                    .map(|tp| tp.topic.clone())
                    .collect();
                names.dedup();
                names
            }
        };
        let topics = names
            .into_iter()
            .map(|name| {
                let partitions: Vec<MetadataPartition> = self
                    .view
                    .metadata
                    .iter()
                    .filter(|(tp, _)| tp.topic == name)
                    .map(|(tp, state)| MetadataPartition {
                        error_code: if state.leader < 0 {
                            ErrorCode::LeaderNotAvailable
                        } else {
                            ErrorCode::None
                        },
                        partition_index: tp.partition,
                        leader_id: state.leader,
                        leader_epoch: state.leader_epoch,
                        replica_nodes: state.replicas.clone(),
                        isr_nodes: state.isr.clone(),
                        offline_replicas: state.offline_replicas.clone(),
                    })
                    .collect();
                let error_code = if !partitions.is_empty() {
                    ErrorCode::None
                } else if valid_topic_name(&name) {
                    ErrorCode::UnknownTopicOrPartition
                } else {
                    ErrorCode::InvalidTopicException
                };
                MetadataTopic {
                    error_code,
                    is_internal: name == CONSUMER_OFFSETS,
                    name,
                    partitions,
                    topic_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
                }
            })
            .collect();
        MetadataResponse {
            throttle_time_ms: 0,
            brokers,
            cluster_id: Some(CLUSTER_ID.to_string()),
            controller_id: self.controller_id,
            topics,
            cluster_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        }
        // END SOLUTION
    }
}
