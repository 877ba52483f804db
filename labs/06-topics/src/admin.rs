//! What the three admin requests do to the broker: create topics with their own settings,
//! delete topics with their files, and describe each topic's effective settings. Plain
//! synchronous code over lab 05's [`Broker`], like lab 05's handlers.

use std::collections::{BTreeMap, BTreeSet};

use lab03_partition_log::Log;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::broker::valid_topic_name;
use lab05_broker::Broker;

use crate::create_topics::{
    CreatableTopic, CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse, CreatedConfig,
};
use crate::delete_topics::{DeletableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse};
use crate::describe_configs::{
    DescribeConfigsRequest, DescribeConfigsResponse, DescribeConfigsResult, RESOURCE_BROKER,
    RESOURCE_TOPIC,
};
use crate::error::Result;
use crate::topic_config::TopicConfig;
// Where they were before `topic_settings` held them; tests and tools name them here.
pub use crate::topic_settings::{broker_value, describe_topic};

/// The most partitions one topic may have on this broker: each is a folder with open files,
/// and a typo (`--partitions 3000000`) must not exhaust the disk or the file descriptors.
pub const MAX_PARTITIONS: i32 = 10_000;

/// The state lab 06 adds to the broker: each topic's own settings.
#[derive(Debug, Default)]
pub struct TopicAdmin {
    pub(crate) configs: BTreeMap<String, TopicConfig>,
}

fn error_result(name: &str, code: ErrorCode, message: String) -> CreatableTopicResult {
    CreatableTopicResult {
        name: name.to_string(),
        error_code: code,
        error_message: Some(message),
        num_partitions: -1,
        replication_factor: -1,
        configs: vec![],
    }
}

impl TopicAdmin {
    /// Loads the stored overrides of every topic the broker opened, and reopens those topics'
    /// logs with their own settings.
    pub fn open(broker: &mut Broker, now_ms: i64) -> Result<TopicAdmin> {
        let mut admin = TopicAdmin::default();
        let dir = broker.log_dir().to_path_buf();
        for topic in broker.topic_names() {
            let config = TopicConfig::load(&dir, &topic)?;
            if config.overrides.is_empty() {
                continue;
            }
            let log_config = config.log_config(&broker.log_config());
            let logs = broker.remove_topic(&topic).unwrap_or_default();
            let mut reopened = Vec::with_capacity(logs.len());
            for log in logs {
                let path = log.dir().to_path_buf();
                drop(log);
                reopened.push(Log::open(&path, log_config.clone(), now_ms)?.0);
            }
            broker.insert_topic(&topic, reopened);
            admin.configs.insert(topic, config);
        }
        Ok(admin)
    }

    /// The overrides of `topic` (empty if none).
    pub fn topic_config(&self, topic: &str) -> TopicConfig {
        self.configs.get(topic).cloned().unwrap_or_default()
    }

    /// Checks one topic of a CreateTopics request against Kafka's rules and this broker, and
    /// returns its partition count and settings, or the error to answer.
    pub fn check_new_topic(
        &self,
        broker: &Broker,
        topic: &CreatableTopic,
    ) -> std::result::Result<(i32, TopicConfig), (ErrorCode, String)> {
        // BEGIN SOLUTION step 2: Kafka's checks in order: InvalidTopicException, TopicAlreadyExists, InvalidReplicaAssignment, InvalidReplicationFactor, InvalidPartitions, InvalidConfig
        // ko: 카프카의 순서로 검사하세요: InvalidTopicException, TopicAlreadyExists, InvalidReplicaAssignment, InvalidReplicationFactor, InvalidPartitions, InvalidConfig
        let name = &topic.name;
        if !valid_topic_name(name) {
            return Err((
                ErrorCode::InvalidTopicException,
                format!("Topic name \"{name}\" is illegal: use 1 to 249 of a-z A-Z 0-9 . _ -"),
            ));
        }
        if broker.partition_count(name).is_some() {
            return Err((
                ErrorCode::TopicAlreadyExists,
                format!("Topic '{name}' already exists."),
            ));
        }
        let brokers = 1;
        let partitions = if !topic.assignments.is_empty() {
            if topic.num_partitions != -1 || topic.replication_factor != -1 {
                return Err((
                    ErrorCode::InvalidRequest,
                    "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.".into(),
                ));
            }
            let id = broker.config().broker_id;
            let mut seen = BTreeSet::new();
            for (partition, replicas) in &topic.assignments {
                if replicas.as_slice() != [id] {
                    return Err((
                        ErrorCode::InvalidReplicaAssignment,
                        format!("partition {partition}: replicas {replicas:?} must be exactly this broker ([{id}])"),
                    ));
                }
                seen.insert(*partition);
            }
            let n = topic.assignments.len() as i32;
            if seen != (0..n).collect() {
                return Err((
                    ErrorCode::InvalidReplicaAssignment,
                    format!(
                        "the assignment must cover partitions 0 to {} once each",
                        n - 1
                    ),
                ));
            }
            n
        } else {
            let replication_factor = match topic.replication_factor {
                -1 => 1,
                rf => rf,
            };
            if replication_factor < 1 {
                return Err((
                    ErrorCode::InvalidReplicationFactor,
                    "Replication factor must be larger than 0.".into(),
                ));
            }
            if i32::from(replication_factor) > brokers {
                return Err((
                    ErrorCode::InvalidReplicationFactor,
                    format!("Replication factor: {replication_factor} larger than available brokers: {brokers}."),
                ));
            }
            match topic.num_partitions {
                -1 => broker.config().num_partitions as i32,
                n => n,
            }
        };
        if partitions < 1 {
            return Err((
                ErrorCode::InvalidPartitions,
                "Number of partitions must be larger than 0.".into(),
            ));
        }
        if partitions > MAX_PARTITIONS {
            return Err((
                ErrorCode::InvalidPartitions,
                format!("{partitions} partitions is more than this broker allows per topic ({MAX_PARTITIONS})."),
            ));
        }
        let config = TopicConfig::from_request(&topic.configs)
            .map_err(|e| (ErrorCode::InvalidConfig, e.to_string()))?;
        Ok((partitions, config))
        // END SOLUTION
    }

    /// CreateTopics: check every topic, then (unless `validate_only`) open its partition logs
    /// with its settings and store the settings. A name twice in one request is refused.
    pub fn create_topics(
        &mut self,
        broker: &mut Broker,
        request: &CreateTopicsRequest,
        now_ms: i64,
    ) -> CreateTopicsResponse {
        let mut seen = BTreeSet::new();
        let duplicates: BTreeSet<&str> = request
            .topics
            .iter()
            .filter(|t| !seen.insert(t.name.as_str()))
            .map(|t| t.name.as_str())
            .collect();
        let topics = request
            .topics
            .iter()
            .map(|topic| {
                let name = &topic.name;
                if duplicates.contains(name.as_str()) {
                    return error_result(
                        name,
                        ErrorCode::InvalidRequest,
                        format!(
                            "Create topics request from client contains a duplicate topic: {name}"
                        ),
                    );
                }
                // BEGIN SOLUTION step 2: check the topic, create it unless validate_only (logs with its LogConfig, then store the settings), and answer with its effective settings
                // ko: 토픽을 검사하고, validate_only가 아니면 만든 뒤(토픽의 LogConfig로 로그를 열고 설정을 저장) 실제 설정으로 답하세요
                let (partitions, config) = match self.check_new_topic(broker, topic) {
                    Ok(checked) => checked,
                    Err((code, message)) => return error_result(name, code, message),
                };
                if !request.validate_only {
                    if let Err(e) = self.create(broker, name, partitions, &config, now_ms) {
                        tracing::error!(topic = %name, "create failed: {e}");
                        return error_result(name, ErrorCode::UnknownServerError, e.to_string());
                    }
                }
                CreatableTopicResult {
                    name: name.clone(),
                    error_code: ErrorCode::None,
                    error_message: None,
                    num_partitions: partitions,
                    replication_factor: 1,
                    configs: describe_topic(broker, &config, None, false)
                        .into_iter()
                        .map(|c| CreatedConfig {
                            name: c.name,
                            value: c.value,
                            read_only: c.read_only,
                            config_source: c.config_source,
                            is_sensitive: c.is_sensitive,
                        })
                        .collect(),
                }
                // END SOLUTION
            })
            .collect();
        CreateTopicsResponse {
            throttle_time_ms: 0,
            topics,
        }
    }

    /// Opens the logs of a new topic and stores its settings; on failure removes what it made.
    fn create(
        &mut self,
        broker: &mut Broker,
        name: &str,
        partitions: i32,
        config: &TopicConfig,
        now_ms: i64,
    ) -> Result<()> {
        let log_config = config.log_config(&broker.log_config());
        let dir = broker.log_dir().to_path_buf();
        let mut logs = Vec::with_capacity(partitions as usize);
        for p in 0..partitions {
            match Log::open(&dir.join(format!("{name}-{p}")), log_config.clone(), now_ms) {
                Ok((log, _)) => logs.push(log),
                Err(e) => {
                    for log in logs {
                        let _ = log.delete();
                    }
                    return Err(e.into());
                }
            }
        }
        if !config.overrides.is_empty() {
            if let Err(e) = config.store(&dir, name) {
                for log in logs {
                    let _ = log.delete();
                }
                return Err(e);
            }
            self.configs.insert(name.to_string(), config.clone());
        }
        broker.insert_topic(name, logs);
        tracing::info!(topic = name, partitions, overrides = ?config.overrides, "created topic");
        Ok(())
    }

    /// DeleteTopics: take each topic out of the broker, delete its partition folders and its
    /// stored settings. Unknown topics get UNKNOWN_TOPIC_OR_PARTITION.
    pub fn delete_topics(
        &mut self,
        broker: &mut Broker,
        request: &DeleteTopicsRequest,
    ) -> DeleteTopicsResponse {
        let responses = request
            .topic_names
            .iter()
            .map(|name| {
                let mut result = DeletableTopicResult {
                    name: name.clone(),
                    error_code: ErrorCode::None,
                    error_message: None,
                };
                // BEGIN SOLUTION step 3: remove the topic from the broker (unknown: UnknownTopicOrPartition), delete each partition log's files, then its stored settings
                // ko: 브로커에서 토픽을 빼고(없으면 UnknownTopicOrPartition) 파티션 로그마다 파일을 지운 뒤 저장된 설정을 지우세요
                let Some(logs) = broker.remove_topic(name) else {
                    result.error_code = ErrorCode::UnknownTopicOrPartition;
                    result.error_message =
                        Some("This server does not host this topic-partition.".into());
                    return result;
                };
                // Kafka renames the folders to `<topic>-<p>.<id>-delete` and removes them later in
                // the background; this broker removes them at once.
                for log in logs {
                    let path = log.dir().display().to_string();
                    if let Err(e) = log.delete() {
                        tracing::error!(topic = %name, "deleting {path}: {e}");
                        result.error_code = ErrorCode::UnknownServerError;
                        result.error_message = Some(format!(
                            "the topic is gone but {path} could not be removed: {e}"
                        ));
                    }
                }
                self.configs.remove(name);
                if let Err(e) = TopicConfig::remove(broker.log_dir(), name) {
                    tracing::error!(topic = %name, "{e}");
                }
                tracing::info!(topic = %name, "deleted topic");
                result
                // END SOLUTION
            })
            .collect();
        DeleteTopicsResponse {
            throttle_time_ms: 0,
            responses,
        }
    }

    /// DescribeConfigs for topics (each topic's effective settings) and for this broker (its
    /// `server.properties` keys, read-only: this broker has no dynamic configs).
    pub fn describe_configs(
        &self,
        broker: &Broker,
        request: &DescribeConfigsRequest,
    ) -> DescribeConfigsResponse {
        let results = request
            .resources
            .iter()
            .map(|r| {
                let mut result = DescribeConfigsResult::empty(r);
                // BEGIN SOLUTION step 4: answer each resource: a topic's effective settings, the broker's own keys, or Kafka's error
                // ko: 리소스마다 답하세요: 토픽이면 실제 적용되는 설정, 브로커면 브로커 자신의 키, 그 밖에는 카프카의 오류
                let keys = r.configuration_keys.as_deref();
                match r.resource_type {
                    RESOURCE_TOPIC if broker.partition_count(&r.resource_name).is_some() => {
                        let config = self.topic_config(&r.resource_name);
                        result.configs = describe_topic(broker, &config, keys, request.include_synonyms);
                    }
                    RESOURCE_TOPIC => {
                        result.error_code = ErrorCode::UnknownTopicOrPartition;
                        result.error_message = Some(format!("Topic {} does not exist.", r.resource_name));
                    }
                    RESOURCE_BROKER if r.resource_name.is_empty() || r.resource_name == broker.config().broker_id.to_string() => {
                        result.configs = crate::broker_configs::describe_broker(broker.config(), keys);
                    }
                    RESOURCE_BROKER => {
                        result.error_code = ErrorCode::InvalidRequest;
                        result.error_message = Some(format!("this is broker {}, not {}", broker.config().broker_id, r.resource_name));
                    }
                    other => {
                        result.error_code = ErrorCode::InvalidRequest;
                        result.error_message = Some(format!("resource type {other} is not supported; ask for a topic (2) or a broker (4)"));
                    }
                }
                result
                // END SOLUTION
            })
            .collect();
        DescribeConfigsResponse {
            throttle_time_ms: 0,
            results,
        }
    }
}
