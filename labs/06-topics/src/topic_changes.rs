//! Changing a topic that exists — the four requests Kafka 2.6's admin tools send after
//! `--create`: add partitions (CreatePartitions), replace or edit its settings (AlterConfigs,
//! IncrementalAlterConfigs) and drop its oldest records (DeleteRecords). Plain synchronous code
//! over lab 05's [`Broker`], like the rest of [`TopicAdmin`].
//!
//! A changed setting does two things: it is stored (so a restart keeps it) and it is handed
//! to the topic's open partition logs at once (so `retention.ms=60000` deletes old segments at
//! the next retention check, without a restart). Kafka does the same: the controller writes
//! `/config/topics/<topic>` in ZooKeeper and every broker's `TopicConfigHandler` hands the new
//! `LogConfig` to its logs.

use std::collections::{BTreeMap, BTreeSet};

use lab03_partition_log::Log;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::Broker;

use crate::admin::{TopicAdmin, MAX_PARTITIONS};
use crate::alter_configs::{
    AlterConfigsRequest, AlterConfigsResourceResponse, AlterConfigsResponse,
};
use crate::create_partitions::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopic,
    CreatePartitionsTopicResult,
};
use crate::delete_records::{
    DeleteRecordsPartitionResult, DeleteRecordsRequest, DeleteRecordsResponse,
    DeleteRecordsTopicResult, HIGH_WATERMARK,
};
use crate::describe_configs::{config_type, RESOURCE_BROKER, RESOURCE_TOPIC};
use crate::error::Result;
use crate::incremental_alter_configs::{
    op, AlterableConfig, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use crate::topic_config::{topic_key, TopicConfig};
use crate::topic_settings::broker_value;

/// An error code and message to answer instead.
pub type Refusal = (ErrorCode, String);

/// A topic's override pairs as a request carries them: key, value (`None`: no override).
pub type ConfigPairs = Vec<(String, Option<String>)>;

/// Kafka's internal topics: the group coordinator's `__consumer_offsets` (lab 07) and the
/// transaction coordinator's `__transaction_state`. Their records are the coordinators' state.
pub const INTERNAL_TOPICS: [&str; 2] = ["__consumer_offsets", "__transaction_state"];

/// What a resource's alteration asks for, once decoded: the whole new set (AlterConfigs) or
/// single-key operations (IncrementalAlterConfigs).
enum Change<'a> {
    Replace(&'a [(String, Option<String>)]),
    Edit(&'a [AlterableConfig]),
}

/// Kafka's name of a resource in its messages, e.g. `ConfigResource(type=TOPIC, name='orders')`.
fn resource_string(resource_type: i8, name: &str) -> String {
    let kind = match resource_type {
        RESOURCE_TOPIC => "TOPIC",
        RESOURCE_BROKER => "BROKER",
        8 => "BROKER_LOGGER",
        _ => "UNKNOWN",
    };
    format!("ConfigResource(type={kind}, name='{name}')")
}

/// The broker-wide value of a topic key: what a topic without an override has.
pub fn broker_default(broker: &Broker, key: &str) -> String {
    broker_value(key, &broker.log_config(), broker.config().message_max_bytes).0
}

/// Checks a topic's complete new set of overrides with step 1's rules, as Kafka does: a key it
/// does not know is INVALID_CONFIG, a value it refuses INVALID_REQUEST (Kafka's
/// `ConfigException`), both naming the key.
pub fn check_overrides(
    topic: &str,
    pairs: &[(String, Option<String>)],
) -> std::result::Result<TopicConfig, Refusal> {
    if let Some((key, _)) = pairs.iter().find(|(k, _)| topic_key(k).is_none()) {
        return Err((
            ErrorCode::InvalidConfig,
            format!("Unknown topic config name: {key}"),
        ));
    }
    TopicConfig::from_request(pairs).map_err(|e| {
        (
            ErrorCode::InvalidRequest,
            format!(
                "Invalid config value for resource {}: {e}",
                resource_string(RESOURCE_TOPIC, topic)
            ),
        )
    })
}

/// IncrementalAlterConfigs on a topic: the topic's new override pairs after `ops`, in key
/// order, for [`check_overrides`]. SET replaces a key's value, DELETE drops its override (the
/// broker's value applies again), APPEND and SUBTRACT add or remove items of a LIST key, starting
/// from the broker's value when the topic has no override. A key twice, a null value for
/// anything but DELETE, APPEND or SUBTRACT on a key that is not a list: INVALID_REQUEST; an
/// unknown key: INVALID_CONFIG.
pub fn incremental_overrides(
    broker: &Broker,
    current: &TopicConfig,
    ops: &[AlterableConfig],
) -> std::result::Result<ConfigPairs, Refusal> {
    // BEGIN SOLUTION step 11: refuse duplicate keys and null values, then apply each operation to a copy of the overrides
    // ko: 중복된 키와 null 값을 거부한 뒤, 설정 사본에 연산을 하나씩 적용하세요
    let mut seen = BTreeSet::new();
    let duplicates: BTreeSet<&str> = ops
        .iter()
        .filter(|o| !seen.insert(o.name.as_str()))
        .map(|o| o.name.as_str())
        .collect();
    if !duplicates.is_empty() {
        let keys: Vec<&str> = duplicates.into_iter().collect();
        return Err((
            ErrorCode::InvalidRequest,
            format!("Error due to duplicate config keys : {}", keys.join(",")),
        ));
    }
    let nulls: Vec<String> = ops
        .iter()
        .filter(|o| o.value.is_none() && o.operation != op::DELETE)
        .map(|o| format!("{}:{}", op_name(o.operation), o.name))
        .collect();
    if !nulls.is_empty() {
        return Err((
            ErrorCode::InvalidRequest,
            format!("Null value not supported for : {}", nulls.join(",")),
        ));
    }
    let mut overrides: BTreeMap<String, String> = current.overrides.clone();
    for o in ops {
        let Some(key) = topic_key(&o.name) else {
            return Err((
                ErrorCode::InvalidConfig,
                format!("Unknown topic config name: {}", o.name),
            ));
        };
        let value = o.value.clone().unwrap_or_default();
        match o.operation {
            op::SET => {
                overrides.insert(o.name.clone(), value);
            }
            op::DELETE => {
                overrides.remove(&o.name);
            }
            op::APPEND | op::SUBTRACT => {
                if key.config_type != config_type::LIST {
                    let verb = if o.operation == op::APPEND {
                        "append"
                    } else {
                        "subtract"
                    };
                    return Err((
                        ErrorCode::InvalidRequest,
                        format!(
                            "Config value {verb} is not allowed for config key: {}",
                            o.name
                        ),
                    ));
                }
                let old = overrides
                    .get(&o.name)
                    .cloned()
                    .unwrap_or_else(|| broker_default(broker, &o.name));
                let mut items: Vec<String> = split_list(&old);
                let given = split_list(&value);
                if o.operation == op::APPEND {
                    items.extend(given);
                } else {
                    items.retain(|item| !given.contains(item));
                }
                overrides.insert(o.name.clone(), items.join(","));
            }
            other => {
                return Err((
                    ErrorCode::InvalidRequest,
                    format!("config operation {other} on {}: use 0 SET, 1 DELETE, 2 APPEND or 3 SUBTRACT", o.name),
                ));
            }
        }
    }
    Ok(overrides.into_iter().map(|(k, v)| (k, Some(v))).collect())
    // END SOLUTION
}

/// A LIST value's items: comma-separated, blanks trimmed, empty items dropped.
fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Kafka's names of the operations, for messages.
fn op_name(operation: i8) -> String {
    match operation {
        op::SET => "SET".into(),
        op::DELETE => "DELETE".into(),
        op::APPEND => "APPEND".into(),
        op::SUBTRACT => "SUBTRACT".into(),
        other => other.to_string(),
    }
}

impl TopicAdmin {
    /// CreatePartitions: for each topic, check the new count and (unless `validate_only`) open
    /// the new partitions' logs with the topic's settings. A name twice in one request is
    /// refused, as in CreateTopics.
    pub fn create_partitions(
        &mut self,
        broker: &mut Broker,
        request: &CreatePartitionsRequest,
        now_ms: i64,
    ) -> CreatePartitionsResponse {
        let mut seen = BTreeSet::new();
        let duplicates: BTreeSet<&str> = request
            .topics
            .iter()
            .filter(|t| !seen.insert(t.name.as_str()))
            .map(|t| t.name.as_str())
            .collect();
        let results = request
            .topics
            .iter()
            .map(|topic| {
                let outcome = if duplicates.contains(topic.name.as_str()) {
                    Err((ErrorCode::InvalidRequest, "Duplicate topic in request.".to_string()))
                } else if INTERNAL_TOPICS.contains(&topic.name.as_str()) {
                    // Kafka lets this through and every group whose hash now lands elsewhere
                    // loses its committed offsets (lab 07 picks a group's partition as
                    // hash % partition count); this broker refuses instead.
                    Err((
                        ErrorCode::InvalidRequest,
                        format!(
                            "{} is an internal topic: adding partitions would move groups away from their committed offsets",
                            topic.name
                        ),
                    ))
                } else {
                    self.grow_topic(broker, topic, request.validate_only, now_ms)
                };
                let (error_code, error_message) = match outcome {
                    Ok(()) => (ErrorCode::None, None),
                    Err((code, message)) => (code, Some(message)),
                };
                CreatePartitionsTopicResult {
                    name: topic.name.clone(),
                    error_code,
                    error_message,
                }
            })
            .collect();
        CreatePartitionsResponse {
            throttle_time_ms: 0,
            results,
        }
    }

    /// One topic of CreatePartitions: Kafka's checks in `AdminManager.createPartitions`, then
    /// the new partitions (numbered after the last one) unless `validate_only`.
    pub fn grow_topic(
        &mut self,
        broker: &mut Broker,
        topic: &CreatePartitionsTopic,
        validate_only: bool,
        now_ms: i64,
    ) -> std::result::Result<(), Refusal> {
        // BEGIN SOLUTION step 10: Kafka's checks (unknown topic, a count that does not grow, too many partitions, assignments), then open the new logs with the topic's LogConfig and add them
        // ko: 카프카의 검사(없는 토픽, 늘지 않는 개수, 너무 많은 파티션, 배치 지정)를 한 뒤 토픽의 LogConfig로 새 로그를 열어 붙이세요
        let name = &topic.name;
        let Some(old) = broker.partition_count(name).map(|n| n as i32) else {
            return Err((
                ErrorCode::UnknownTopicOrPartition,
                format!("The topic '{name}' does not exist."),
            ));
        };
        let new = topic.count;
        if new < old {
            return Err((
                ErrorCode::InvalidPartitions,
                format!("Topic currently has {old} partitions, which is higher than the requested {new}."),
            ));
        }
        if new == old {
            return Err((
                ErrorCode::InvalidPartitions,
                format!("Topic already has {old} partitions."),
            ));
        }
        if new > MAX_PARTITIONS {
            return Err((
                ErrorCode::InvalidPartitions,
                format!("{new} partitions is more than this broker allows per topic ({MAX_PARTITIONS})."),
            ));
        }
        if let Some(assignments) = &topic.assignments {
            let id = broker.config().broker_id;
            let unknown: BTreeSet<i32> = assignments
                .iter()
                .flatten()
                .copied()
                .filter(|b| *b != id)
                .collect();
            if !unknown.is_empty() {
                let list: Vec<String> = unknown.iter().map(i32::to_string).collect();
                return Err((
                    ErrorCode::InvalidReplicaAssignment,
                    format!(
                        "Unknown broker(s) in replica assignment: {}.",
                        list.join(", ")
                    ),
                ));
            }
            if assignments.len() as i32 != new - old {
                return Err((
                    ErrorCode::InvalidReplicaAssignment,
                    format!(
                        "Increasing the number of partitions by {} but {} assignments provided.",
                        new - old,
                        assignments.len()
                    ),
                ));
            }
            if assignments
                .iter()
                .any(|replicas| replicas.as_slice() != [id])
            {
                return Err((
                    ErrorCode::InvalidReplicaAssignment,
                    format!("each new partition's replicas must be exactly this broker ([{id}])"),
                ));
            }
        }
        if validate_only {
            return Ok(());
        }
        let log_config = self.topic_config(name).log_config(&broker.log_config());
        let dir = broker.log_dir().to_path_buf();
        let mut logs = Vec::with_capacity((new - old) as usize);
        for p in old..new {
            match Log::open(&dir.join(format!("{name}-{p}")), log_config.clone(), now_ms) {
                Ok((log, _)) => logs.push(log),
                Err(e) => {
                    for log in logs {
                        let _ = log.delete();
                    }
                    tracing::error!(topic = %name, "adding partitions failed: {e}");
                    return Err((ErrorCode::UnknownServerError, e.to_string()));
                }
            }
        }
        if let Err(logs) = broker.add_partitions(name, logs) {
            for log in logs {
                let _ = log.delete();
            }
            return Err((
                ErrorCode::UnknownTopicOrPartition,
                format!("The topic '{name}' does not exist."),
            ));
        }
        tracing::info!(topic = %name, from = old, to = new, "added partitions");
        Ok(())
        // END SOLUTION
    }

    /// Gives `topic` the overrides `config`: stores them (or removes the file when there are
    /// none left), hands the new LogConfig to every open partition log of the topic, and keeps
    /// them for DescribeConfigs.
    pub fn set_topic_config(
        &mut self,
        broker: &mut Broker,
        topic: &str,
        config: TopicConfig,
    ) -> Result<()> {
        // BEGIN SOLUTION step 11: store or remove the file, give every partition log its new LogConfig, remember the overrides
        // ko: 파일을 저장하거나 지우고, 파티션 로그마다 새 LogConfig를 주고, 설정을 기억하세요
        let dir = broker.log_dir().to_path_buf();
        if config.overrides.is_empty() {
            TopicConfig::remove(&dir, topic)?;
        } else {
            config.store(&dir, topic)?;
        }
        let log_config = config.log_config(&broker.log_config());
        let hosted: Vec<i32> = broker
            .logs()
            .partitions(topic)
            .map(|partitions| partitions.keys().copied().collect())
            .unwrap_or_default();
        for p in hosted {
            if let Some(partition) = broker.partition_mut(topic, p) {
                partition.log_mut().set_config(log_config.clone());
            }
        }
        tracing::info!(topic, overrides = ?config.overrides, "updated topic config");
        if config.overrides.is_empty() {
            self.configs.remove(topic);
        } else {
            self.configs.insert(topic.to_string(), config);
        }
        Ok(())
        // END SOLUTION
    }

    /// AlterConfigs: each resource's overrides become exactly the request's.
    pub fn alter_configs(
        &mut self,
        broker: &mut Broker,
        request: &AlterConfigsRequest,
    ) -> AlterConfigsResponse {
        let responses = request
            .resources
            .iter()
            .map(|r| {
                self.alter_resource(
                    broker,
                    r.resource_type,
                    &r.resource_name,
                    Change::Replace(&r.configs),
                    request.validate_only,
                )
            })
            .collect();
        AlterConfigsResponse {
            throttle_time_ms: 0,
            responses,
        }
    }

    /// IncrementalAlterConfigs: each resource's overrides after the request's operations.
    pub fn incremental_alter_configs(
        &mut self,
        broker: &mut Broker,
        request: &IncrementalAlterConfigsRequest,
    ) -> IncrementalAlterConfigsResponse {
        let responses = request
            .resources
            .iter()
            .map(|r| {
                self.alter_resource(
                    broker,
                    r.resource_type,
                    &r.resource_name,
                    Change::Edit(&r.configs),
                    request.validate_only,
                )
            })
            .collect();
        IncrementalAlterConfigsResponse {
            throttle_time_ms: 0,
            responses,
        }
    }

    fn alter_resource(
        &mut self,
        broker: &mut Broker,
        resource_type: i8,
        name: &str,
        change: Change<'_>,
        validate_only: bool,
    ) -> AlterConfigsResourceResponse {
        let outcome = match resource_type {
            RESOURCE_TOPIC => self.alter_topic(broker, name, change, validate_only),
            RESOURCE_BROKER => alter_broker(broker, name, change),
            other => Err((
                ErrorCode::InvalidRequest,
                format!(
                    "AlterConfigs is only supported for topics and brokers, but resource type is {}",
                    match other {
                        8 => "BROKER_LOGGER".to_string(),
                        n => n.to_string(),
                    }
                ),
            )),
        };
        let (error_code, error_message) = match outcome {
            Ok(()) => (ErrorCode::None, None),
            Err((code, message)) => {
                tracing::info!(resource = %resource_string(resource_type, name), "alter configs refused: {message}");
                (code, Some(message))
            }
        };
        AlterConfigsResourceResponse {
            error_code,
            error_message,
            resource_type,
            resource_name: name.to_string(),
        }
    }

    fn alter_topic(
        &mut self,
        broker: &mut Broker,
        topic: &str,
        change: Change<'_>,
        validate_only: bool,
    ) -> std::result::Result<(), Refusal> {
        if broker.partition_count(topic).is_none() {
            return Err((
                ErrorCode::UnknownTopicOrPartition,
                format!("Topic {topic} does not exist."),
            ));
        }
        let pairs = match change {
            Change::Replace(pairs) => {
                let nulls: Vec<&str> = pairs
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(k, _)| k.as_str())
                    .collect();
                if !nulls.is_empty() {
                    return Err((
                        ErrorCode::InvalidRequest,
                        format!("Null value not supported for : {}", nulls.join(",")),
                    ));
                }
                pairs.to_vec()
            }
            Change::Edit(ops) => incremental_overrides(broker, &self.topic_config(topic), ops)?,
        };
        let config = check_overrides(topic, &pairs)?;
        if validate_only {
            return Ok(());
        }
        self.set_topic_config(broker, topic, config).map_err(|e| {
            tracing::error!(topic, "storing the topic config: {e}");
            (ErrorCode::UnknownServerError, e.to_string())
        })
    }

    /// DeleteRecords: moves each partition's log start offset up to the requested offset.
    pub fn delete_records(
        &mut self,
        broker: &mut Broker,
        request: &DeleteRecordsRequest,
    ) -> DeleteRecordsResponse {
        let topics = request
            .topics
            .iter()
            .map(|t| DeleteRecordsTopicResult {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|&(partition, offset)| {
                        // Kafka's `ReplicaManager.deleteRecordsOnLocalLog` refuses these first.
                        let outcome = if INTERNAL_TOPICS.contains(&t.name.as_str()) {
                            Err(ErrorCode::InvalidTopicException)
                        } else {
                            self.delete_records_below(broker, &t.name, partition, offset)
                        };
                        let (low_watermark, error_code) = match outcome {
                            Ok(low) => (low, ErrorCode::None),
                            Err(code) => (-1, code),
                        };
                        DeleteRecordsPartitionResult {
                            partition_index: partition,
                            low_watermark,
                            error_code,
                        }
                    })
                    .collect(),
            })
            .collect();
        DeleteRecordsResponse {
            throttle_time_ms: 0,
            topics,
        }
    }

    /// One partition of DeleteRecords (Kafka's `ReplicaManager.deleteRecordsOnLocalLog`):
    /// `offset` −1 is the high watermark; below 0 or above the high watermark is
    /// OFFSET_OUT_OF_RANGE; a topic whose `cleanup.policy` has no `delete` refuses with
    /// POLICY_VIOLATION. Returns the new low watermark, the log start offset.
    pub fn delete_records_below(
        &self,
        broker: &mut Broker,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> std::result::Result<i64, ErrorCode> {
        // BEGIN SOLUTION step 12: find the partition, check the policy and the offset against the high watermark, then move the log start offset
        // ko: 파티션을 찾고, 정책과 오프셋(하이 워터마크 기준)을 확인한 뒤 로그 시작 오프셋을 옮기세요
        let policy = self
            .topic_config(topic)
            .overrides
            .get("cleanup.policy")
            .cloned()
            .unwrap_or_else(|| broker_default(broker, "cleanup.policy"));
        let Some(p) = broker.partition_mut(topic, partition) else {
            return Err(ErrorCode::UnknownTopicOrPartition);
        };
        if !split_list(&policy).iter().any(|item| item == "delete") {
            return Err(ErrorCode::PolicyViolation);
        }
        let high_watermark = p.high_watermark();
        let target = if offset == HIGH_WATERMARK {
            high_watermark
        } else {
            offset
        };
        if target < 0 || target > high_watermark {
            return Err(ErrorCode::OffsetOutOfRange);
        }
        match p.log_mut().increment_log_start_offset(target) {
            Ok(low) => {
                tracing::info!(topic, partition, low_watermark = low, "deleted records");
                Ok(low)
            }
            Err(e) => {
                tracing::error!(topic, partition, "delete records: {e}");
                Err(ErrorCode::UnknownServerError)
            }
        }
        // END SOLUTION
    }
}

/// AlterConfigs or IncrementalAlterConfigs on the broker itself. This broker reads
/// `server.properties` once at start and has no dynamic configs, so it refuses every key the
/// way Kafka 2.6 refuses a key it cannot change at run time (INVALID_REQUEST, "Cannot update
/// these configs dynamically"); an empty change is fine. The name must be this broker's id
/// (or empty, for the cluster-wide default).
fn alter_broker(
    broker: &Broker,
    name: &str,
    change: Change<'_>,
) -> std::result::Result<(), Refusal> {
    let id = broker.config().broker_id;
    if !name.is_empty() {
        match name.parse::<i32>() {
            Err(_) => {
                return Err((
                    ErrorCode::InvalidRequest,
                    format!("Broker id must be an integer, but it is: {name}"),
                ))
            }
            Ok(n) if n != id => {
                return Err((
                    ErrorCode::InvalidRequest,
                    format!(
                        "Unexpected broker id, expected {id} or empty string, but received {name}"
                    ),
                ))
            }
            Ok(_) => {}
        }
    }
    let keys: BTreeSet<&str> = match change {
        Change::Replace(pairs) => pairs.iter().map(|(k, _)| k.as_str()).collect(),
        Change::Edit(ops) => ops.iter().map(|o| o.name.as_str()).collect(),
    };
    if keys.is_empty() {
        return Ok(());
    }
    let keys: Vec<&str> = keys.into_iter().collect();
    Err((
        ErrorCode::InvalidRequest,
        format!(
            "Invalid config value for resource {}: Cannot update these configs dynamically: Set({}). \
             This broker reads server.properties only at start: change it there and restart the broker.",
            resource_string(RESOURCE_BROKER, name),
            keys.join(", ")
        ),
    ))
}
