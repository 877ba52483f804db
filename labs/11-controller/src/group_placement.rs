//! Step 8: which broker coordinates a consumer group (Kafka's
//! `GroupMetadataManager.partitionFor` and `KafkaApis.handleFindCoordinatorRequest`).
//!
//! A group's committed offsets live in one partition of `__consumer_offsets`:
//! `abs(groupId.hashCode()) % offsets.topic.num.partitions` (lab 07's `partition_for_group`).
//! The leader of that partition is the group's coordinator — so the coordinators spread over
//! the brokers with the partitions' leaders, and when a leader moves the group moves with it.
//!
//! - FindCoordinator answers with the leader the metadata cache names. Without the offsets
//!   topic it writes the topic through ZooKeeper first (50 partitions,
//!   `offsets.topic.replication.factor` replicas, `cleanup.policy=compact`) and answers
//!   COORDINATOR_NOT_AVAILABLE (15): the client asks again once leaders are elected.
//! - The group APIs (JoinGroup … OffsetFetch, DescribeGroups, DeleteGroups) answer
//!   NOT_COORDINATOR (16) at a broker that does not lead the group's partition (as
//!   LeaderAndIsr said) or has no log for it yet; the client asks FindCoordinator again. At
//!   the leader they go to lab 07's handlers unchanged.
//!
//! The group APIs themselves, at the coordinator, are `cluster_group_service`'s: it also loads a
//! partition's offsets each time LeaderAndIsr makes this broker its leader (`leadership`).

use std::collections::BTreeMap;

use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::messages::find_coordinator::FindCoordinatorResponse;
use lab07_consumer_groups::offsets::{partition_for_group, OFFSETS_PARTITIONS};

use crate::admin_manager::auto_create;
use crate::metadata_cache::{MetadataCache, CONSUMER_OFFSETS};
use crate::requests::TopicPartition;
use crate::service::ControllerRequestsService;

/// What the metadata cache says about a group's coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coordinator {
    /// No partition of `__consumer_offsets` is known: the topic must be created.
    NoOffsetsTopic,
    /// The group's partition has no leader, or its leader is not a live broker.
    NotAvailable,
    /// This live broker leads the group's partition.
    Broker(i32),
}

/// The coordinator of `group_id` by the cache: the leader of `__consumer_offsets` partition
/// `partition_for_group(group_id, partitions)`, if it is a live broker.
pub fn coordinator_for(cache: &MetadataCache, group_id: &str, partitions: i32) -> Coordinator {
    // BEGIN SOLUTION step 8: find the group's offsets partition, then its leader in the cache if that broker is alive
    // ko: 그룹의 오프셋 파티션을 찾고, 캐시에서 그 리더가 살아 있는 브로커이면 그 리더를 답하기
    if !cache
        .view
        .metadata
        .keys()
        .any(|tp| tp.topic == CONSUMER_OFFSETS)
    {
        return Coordinator::NoOffsetsTopic;
    }
    let partition = partition_for_group(group_id, partitions);
    match cache
        .view
        .metadata
        .get(&TopicPartition::new(CONSUMER_OFFSETS, partition))
    {
        Some(state) if state.leader >= 0 && cache.view.live_brokers.contains_key(&state.leader) => {
            Coordinator::Broker(state.leader)
        }
        _ => Coordinator::NotAvailable,
    }
    // END SOLUTION
}

/// The coordinator of an internal topic's `partition` by the cache (`__consumer_offsets` for a
/// group, `__transaction_state` for lab 14's transactional ids): its leader, if a live broker.
pub fn internal_topic_coordinator(
    cache: &MetadataCache,
    topic: &str,
    partition: i32,
) -> Coordinator {
    if !cache.view.metadata.keys().any(|tp| tp.topic == topic) {
        return Coordinator::NoOffsetsTopic;
    }
    match cache
        .view
        .metadata
        .get(&TopicPartition::new(topic, partition))
    {
        Some(state) if state.leader >= 0 && cache.view.live_brokers.contains_key(&state.leader) => {
            Coordinator::Broker(state.leader)
        }
        _ => Coordinator::NotAvailable,
    }
}

/// Writes `__consumer_offsets` through ZooKeeper, as Kafka 2.6's `createInternalTopic`: not
/// before `offsets.topic.replication.factor` brokers are alive (COORDINATOR_NOT_AVAILABLE with
/// Kafka's message meanwhile), then compacted, with lab 07's partition count.
pub async fn create_offsets_topic(s: &ControllerRequestsService) -> (ErrorCode, Option<String>) {
    let rf = s.cluster_config().offsets_topic_replication_factor;
    let topic = InternalTopic {
        name: CONSUMER_OFFSETS,
        partitions: OFFSETS_PARTITIONS,
        replication_factor: rf,
        what: "the offsets topic",
        key: "offsets.topic.replication.factor",
    };
    create_internal_topic(s, &topic, BTreeMap::new()).await
}

/// An internal topic a coordinator lives on: `__consumer_offsets` or `__transaction_state`.
#[derive(Debug, Clone, Copy)]
pub struct InternalTopic<'a> {
    pub name: &'a str,
    pub partitions: i32,
    pub replication_factor: i16,
    /// For the message: "the offsets topic", "the transactions topic".
    pub what: &'a str,
    /// The key that sets its replication factor.
    pub key: &'a str,
}

/// Kafka 2.6's `createInternalTopic`, for either coordinator: COORDINATOR_NOT_AVAILABLE (with
/// Kafka's message) while fewer brokers than the replication factor are alive, then the topic
/// written through ZooKeeper, compacted, with `configs` added.
pub async fn create_internal_topic(
    s: &ControllerRequestsService,
    topic: &InternalTopic<'_>,
    mut configs: BTreeMap<String, String>,
) -> (ErrorCode, Option<String>) {
    let rf = topic.replication_factor;
    let alive = s.cache().view.live_brokers.len();
    if alive < rf as usize {
        let message = format!(
            "Number of alive brokers '{alive}' does not meet the required replication factor '{rf}' for {} (configured via '{}'). This error can be ignored if the cluster is starting up and not all brokers are up yet.",
            topic.what, topic.key
        );
        tracing::warn!("{message}");
        return (ErrorCode::CoordinatorNotAvailable, Some(message));
    }
    configs.insert("cleanup.policy".to_string(), "compact".to_string());
    let code = auto_create(s, topic.name, topic.partitions, rf, configs).await;
    (code, None)
}

/// FindCoordinator's answer when no coordinator can be named (yet): `code`, no node.
pub fn no_coordinator(code: ErrorCode, message: Option<String>) -> FindCoordinatorResponse {
    FindCoordinatorResponse {
        error_code: code,
        error_message: message,
        node_id: -1,
        host: String::new(),
        port: -1,
    }
}

/// FindCoordinator's answer naming live broker `id` — a group's coordinator or a
/// transactional id's alike — at its address on the listener the client came in on;
/// COORDINATOR_NOT_AVAILABLE when the cache knows no such address.
pub fn coordinator_endpoint(cache: &MetadataCache, id: i32) -> FindCoordinatorResponse {
    let listener = cache.client_listener();
    let endpoint = cache
        .view
        .live_brokers
        .get(&id)
        .and_then(|b| b.endpoints.iter().find(|ep| ep.listener == listener));
    match endpoint {
        Some(ep) => FindCoordinatorResponse {
            error_code: ErrorCode::None,
            error_message: None,
            node_id: id,
            host: ep.host.clone(),
            port: ep.port,
        },
        None => no_coordinator(ErrorCode::CoordinatorNotAvailable, None),
    }
}
