//! Step 8: topics in a cluster (Kafka 2.6's `AdminManager`). A broker that gets CreateTopics
//! does not create logs: it checks the request, places the replicas on the live brokers with
//! step 2's assignment, and writes `/brokers/topics/<topic>` through ZooKeeper ([`ZkAdmin`]).
//! The controller sees the new znode, elects leaders and sends LeaderAndIsr to the replicas,
//! which create the logs; then UpdateMetadata tells every broker. The broker that took the
//! request waits for that last step (Kafka's `DelayedCreatePartitions`), at most the
//! request's `timeout_ms`: topics still without a leader for every partition then answer
//! REQUEST_TIMED_OUT — created all the same, only not ready yet. DeleteTopics is the same
//! shape: write `/admin/delete_topics/<topic>`, wait until the cache drops the topic.
//!
//! [`ZkAdmin`]: crate::zk_admin::ZkAdmin

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use lab04_protocol_codec::{ErrorCode, MetadataRequest, MetadataResponse};
use lab05_broker::broker::valid_topic_name;
use lab05_broker::{Handled, RequestContext};
use lab06_topics::create_topics::{
    CreatableTopic, CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse,
};
use lab06_topics::delete_topics::{
    DeletableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse,
};
use lab06_topics::topic_config::TopicConfig;

use crate::admin_utils::{assign_replicas_to_brokers, AssignmentStart};
use crate::error::Error;
use crate::metadata_cache::{MetadataCache, CONSUMER_OFFSETS};
use crate::service::ControllerRequestsService;

/// What a new topic gets when the request says −1: `num.partitions` and
/// `default.replication.factor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicDefaults {
    pub num_partitions: i32,
    pub replication_factor: i16,
}

/// A topic that passed the checks: where its replicas go, and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub assignment: BTreeMap<i32, Vec<i32>>,
    pub config: TopicConfig,
}

/// Kafka 2.6's checks of one CreateTopics topic in a cluster, in its order: the name
/// (INVALID_TOPIC_EXCEPTION), a topic the cache knows (TOPIC_ALREADY_EXISTS, "Topic 'x'
/// already exists."), counts given with a manual assignment (INVALID_REQUEST), the settings
/// (INVALID_CONFIG); then either the manual assignment (partitions 0..n, each with the same
/// number of distinct replicas, else INVALID_REPLICA_ASSIGNMENT) or step 2's assignment over
/// the cache's live brokers with −1 replaced by `defaults` (INVALID_PARTITIONS,
/// INVALID_REPLICATION_FACTOR with Kafka's messages).
pub fn check_new_topic(
    topic: &CreatableTopic,
    cache: &MetadataCache,
    defaults: TopicDefaults,
    start: AssignmentStart,
) -> Result<NewTopic, (ErrorCode, String)> {
    // BEGIN SOLUTION step 8: Kafka's checks in order, then the manual assignment or step 2's over the live brokers, each failure its error code and message
    // ko: 카프카의 순서대로 검사한 뒤, 직접 지정한 배치나 살아 있는 브로커들에 대한 2단계의 배치를 쓰고, 실패마다 오류 코드와 메시지를 정하기
    let name = &topic.name;
    if !valid_topic_name(name) {
        return Err((
            ErrorCode::InvalidTopicException,
            format!("Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"),
        ));
    }
    if cache.view.metadata.keys().any(|tp| &tp.topic == name) {
        return Err((
            ErrorCode::TopicAlreadyExists,
            format!("Topic '{name}' already exists."),
        ));
    }
    if !topic.assignments.is_empty()
        && (topic.num_partitions != -1 || topic.replication_factor != -1)
    {
        return Err((
            ErrorCode::InvalidRequest,
            "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.".into(),
        ));
    }
    let config = TopicConfig::from_request(&topic.configs)
        .map_err(|e| (ErrorCode::InvalidConfig, e.to_string()))?;
    if !topic.assignments.is_empty() {
        let assignment: BTreeMap<i32, Vec<i32>> = topic.assignments.iter().cloned().collect();
        let n = assignment.len() as i32;
        if assignment.len() != topic.assignments.len() || assignment.keys().copied().ne(0..n) {
            return Err((
                ErrorCode::InvalidReplicaAssignment,
                "partitions should be a consecutive 0-based integer sequence".into(),
            ));
        }
        let sizes: BTreeSet<usize> = assignment.values().map(Vec::len).collect();
        if sizes.len() != 1 || sizes.contains(&0) {
            return Err((
                ErrorCode::InvalidReplicaAssignment,
                "All partitions should have the same number of replicas".into(),
            ));
        }
        for (p, replicas) in &assignment {
            if replicas.iter().collect::<BTreeSet<_>>().len() != replicas.len() {
                return Err((
                    ErrorCode::InvalidReplicaAssignment,
                    format!("Duplicate replica assignment found: {p} -> {replicas:?}"),
                ));
            }
        }
        return Ok(NewTopic { assignment, config });
    }
    let partitions = match topic.num_partitions {
        -1 => defaults.num_partitions,
        n => n,
    };
    let replication_factor = match topic.replication_factor {
        -1 => defaults.replication_factor,
        rf => rf,
    };
    let brokers: Vec<i32> = cache.view.live_brokers.keys().copied().collect();
    let assignment =
        assign_replicas_to_brokers(&brokers, partitions, i32::from(replication_factor), start, 0)
            .map_err(|e| match e {
                Error::InvalidPartitions { .. } => (
                    ErrorCode::InvalidPartitions,
                    "Number of partitions must be larger than 0.".to_string(),
                ),
                Error::InvalidReplicationFactor { .. } if replication_factor < 1 => (
                    ErrorCode::InvalidReplicationFactor,
                    "Replication factor must be larger than 0.".to_string(),
                ),
                Error::InvalidReplicationFactor { brokers, .. } => (
                    ErrorCode::InvalidReplicationFactor,
                    format!("Replication factor: {replication_factor} larger than available brokers: {brokers}."),
                ),
                other => (ErrorCode::UnknownServerError, other.to_string()),
            })?;
    Ok(NewTopic { assignment, config })
    // END SOLUTION
}

/// Kafka draws the assignment's start at random (`Random.nextInt(n)`); so does this, from
/// the standard library's randomly seeded hasher.
pub fn random_start(brokers: usize) -> AssignmentStart {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish() as usize;
    AssignmentStart {
        start_index: random % brokers.max(1),
        replica_shift: (random >> 16) % brokers.max(1),
    }
}

/// CreateTopics in a cluster: check each topic, write it through ZooKeeper (unless
/// `validate_only`), then wait for the controller's leaders.
pub async fn handle_create_topics(
    s: Arc<ControllerRequestsService>,
    _ctx: RequestContext,
    request: CreateTopicsRequest,
) -> Handled<CreateTopicsResponse> {
    // Registered only in a cluster, so there is always a handle.
    let Some(admin) = s.admin().cloned() else {
        return Ok(None);
    };
    let defaults = TopicDefaults {
        num_partitions: s.shared().broker().config().num_partitions as i32,
        replication_factor: s.cluster_config().default_replication_factor,
    };
    let mut seen = BTreeMap::new();
    for t in &request.topics {
        *seen.entry(t.name.clone()).or_insert(0) += 1;
    }
    let mut results = Vec::new();
    let mut created: Vec<(String, i32)> = Vec::new();
    for topic in &request.topics {
        let outcome = if seen[&topic.name] > 1 {
            Err((
                ErrorCode::InvalidRequest,
                "Duplicate topic name.".to_string(),
            ))
        } else {
            let checked = {
                let cache = s.cache();
                let start = random_start(cache.view.live_brokers.len());
                check_new_topic(topic, &cache, defaults, start)
            };
            match checked {
                Ok(new) if !request.validate_only => {
                    let assignment = new.assignment.clone();
                    let configs = new.config.overrides.clone();
                    match admin.create_topic(&topic.name, assignment, configs).await {
                        Ok(()) => {
                            created.push((topic.name.clone(), new.assignment.len() as i32));
                            Ok(new)
                        }
                        Err(Error::TopicExists(_)) => Err((
                            ErrorCode::TopicAlreadyExists,
                            format!("Topic '{}' already exists.", topic.name),
                        )),
                        Err(e) => Err((ErrorCode::UnknownServerError, e.to_string())),
                    }
                }
                other => other,
            }
        };
        results.push(match outcome {
            Ok(new) => CreatableTopicResult {
                name: topic.name.clone(),
                error_code: ErrorCode::None,
                error_message: None,
                num_partitions: new.assignment.len() as i32,
                replication_factor: new.assignment.get(&0).map_or(-1, |r| r.len() as i16),
                configs: Vec::new(),
            },
            Err((error_code, message)) => CreatableTopicResult {
                name: topic.name.clone(),
                error_code,
                error_message: Some(message),
                num_partitions: -1,
                replication_factor: -1,
                configs: Vec::new(),
            },
        });
    }
    // Kafka answers at once for timeout_ms <= 0, validate_only, or nothing written.
    if request.timeout_ms > 0 && !created.is_empty() {
        let timeout = Duration::from_millis(request.timeout_ms as u64);
        let ready = |cache: &MetadataCache, topic: &str, partitions: i32| {
            (0..partitions).all(|p| {
                cache
                    .view
                    .metadata
                    .get(&crate::TopicPartition::new(topic, p))
                    .is_some_and(|state| state.leader >= 0)
            })
        };
        s.wait_for_cache(timeout, |cache| {
            created.iter().all(|(t, n)| ready(cache, t, *n))
        })
        .await;
        let cache = s.cache();
        for (topic, partitions) in &created {
            if !ready(&cache, topic, *partitions) {
                for r in results.iter_mut().filter(|r| &r.name == topic) {
                    r.error_code = ErrorCode::RequestTimedOut;
                    r.error_message = None;
                }
            }
        }
    }
    Ok(Some(CreateTopicsResponse {
        throttle_time_ms: 0,
        topics: results,
    }))
}

/// DeleteTopics in a cluster: a topic the cache does not know is UNKNOWN_TOPIC_OR_PARTITION;
/// the others are queued in `/admin/delete_topics`, then the broker waits (at most
/// `timeout_ms`) until the cache no longer lists them — REQUEST_TIMED_OUT for those it still
/// does (Kafka's `DelayedDeleteTopics`).
pub async fn handle_delete_topics(
    s: Arc<ControllerRequestsService>,
    _ctx: RequestContext,
    request: DeleteTopicsRequest,
) -> Handled<DeleteTopicsResponse> {
    let Some(admin) = s.admin().cloned() else {
        return Ok(None);
    };
    let known =
        |cache: &MetadataCache, topic: &str| cache.view.metadata.keys().any(|tp| tp.topic == topic);
    let mut responses = Vec::new();
    let mut deleting = Vec::new();
    for name in &request.topic_names {
        let error_code = if !known(&s.cache(), name) {
            ErrorCode::UnknownTopicOrPartition
        } else {
            match admin.delete_topic(name).await {
                Ok(()) => {
                    deleting.push(name.clone());
                    ErrorCode::None
                }
                Err(Error::UnknownTopic(_)) => ErrorCode::UnknownTopicOrPartition,
                Err(e) => {
                    tracing::error!(topic = %name, "queueing the deletion: {e}");
                    ErrorCode::UnknownServerError
                }
            }
        };
        responses.push(DeletableTopicResult {
            name: name.clone(),
            error_code,
            error_message: None,
        });
    }
    if request.timeout_ms > 0 && !deleting.is_empty() {
        let timeout = Duration::from_millis(request.timeout_ms as u64);
        s.wait_for_cache(timeout, |cache| deleting.iter().all(|t| !known(cache, t)))
            .await;
        let cache = s.cache();
        for r in responses.iter_mut() {
            if deleting.contains(&r.name) && known(&cache, &r.name) {
                r.error_code = ErrorCode::RequestTimedOut;
            }
        }
    }
    Ok(Some(DeleteTopicsResponse {
        throttle_time_ms: 0,
        responses,
    }))
}

/// Writes a topic of `partitions` partitions with `replication_factor` replicas on the live
/// brokers, as auto-creation does (Kafka's `KafkaApis.createTopic`); the code a Metadata or
/// FindCoordinator answer then carries: LEADER_NOT_AVAILABLE once written (or written by
/// someone else first) — the controller has not elected leaders yet.
pub async fn auto_create(
    s: &ControllerRequestsService,
    topic: &str,
    partitions: i32,
    replication_factor: i16,
    configs: BTreeMap<String, String>,
) -> ErrorCode {
    let Some(admin) = s.admin() else {
        return ErrorCode::UnknownTopicOrPartition;
    };
    let brokers: Vec<i32> = s.cache().view.live_brokers.keys().copied().collect();
    let start = random_start(brokers.len());
    let rf = i32::from(replication_factor);
    let assignment = match assign_replicas_to_brokers(&brokers, partitions, rf, start, 0) {
        Ok(assignment) => assignment,
        Err(Error::InvalidPartitions { .. }) => return ErrorCode::InvalidPartitions,
        Err(_) => return ErrorCode::InvalidReplicationFactor,
    };
    match admin.create_topic(topic, assignment, configs).await {
        Ok(()) => {
            tracing::info!(topic, partitions, replication_factor, "auto-created topic");
            ErrorCode::LeaderNotAvailable
        }
        Err(Error::TopicExists(_)) => ErrorCode::LeaderNotAvailable,
        Err(e) => {
            tracing::error!(topic, "auto-creating: {e}");
            ErrorCode::UnknownServerError
        }
    }
}

/// Metadata in a cluster: the cache's answer, with each requested topic the cache does not
/// know written through ZooKeeper first when the client and `auto.create.topics.enable` allow
/// it (LEADER_NOT_AVAILABLE: the client asks again until the leaders are elected).
pub async fn metadata(
    s: &ControllerRequestsService,
    request: &MetadataRequest,
) -> MetadataResponse {
    let mut response = s.cache().metadata_for_client(request);
    let (auto_create_enabled, partitions) = {
        let broker = s.shared().broker();
        let config = broker.config();
        (config.auto_create_topics, config.num_partitions as i32)
    };
    if !(request.allow_auto_topic_creation && auto_create_enabled) {
        return response;
    }
    for topic in &mut response.topics {
        if topic.error_code != ErrorCode::UnknownTopicOrPartition {
            continue;
        }
        topic.error_code = if topic.name == CONSUMER_OFFSETS {
            crate::group_placement::create_offsets_topic(s).await.0
        } else {
            let rf = s.cluster_config().default_replication_factor;
            auto_create(s, &topic.name, partitions, rf, BTreeMap::new()).await
        };
    }
    response
}
