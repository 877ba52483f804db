//! Our admin client: what `kafka-topics`, `kafka-configs` and `kafka-delete-records` need —
//! create, grow, delete, list and describe topics, describe and change settings, delete records.

use std::time::Duration;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::{
    alter_configs_request, incremental_alter_configs_request, AlterConfigsRequest, BrokerId,
    CreatePartitionsRequest, CreateTopicsRequest, DeleteRecordsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, IncrementalAlterConfigsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::cluster::{Cluster, PartitionInfo};
use crate::client::connection::check;
use crate::describe_configs::{source, RESOURCE_TOPIC};
use crate::error::Result;

/// A new topic: `--partitions` and `--replication-factor` (−1: the broker's default),
/// `--config key=value` pairs, and `--replica-assignment` (the replicas of each partition in
/// turn, partition 0 first; empty: the broker places them, and then partitions and replication
/// factor say how many).
#[derive(Debug, Clone)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i16,
    pub configs: Vec<(String, String)>,
    pub assignments: Vec<Vec<i32>>,
}

/// A topic as `kafka-topics --describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub partitions: Vec<PartitionInfo>,
    /// Settings that are not the defaults: the topic's own and the broker's static ones.
    pub configs: Vec<(String, String)>,
}

/// One setting as DescribeConfigs answers it, with its synonyms as (source, name, value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: i8,
    pub is_sensitive: bool,
    pub read_only: bool,
    pub synonyms: Vec<(i8, String, Option<String>)>,
}

/// Kafka's name of a `config_source` (Kafka's `ConfigEntry.ConfigSource`), as `kafka-configs`
/// prints it.
pub fn source_name(source: i8) -> &'static str {
    match source {
        1 => "DYNAMIC_TOPIC_CONFIG",
        2 => "DYNAMIC_BROKER_CONFIG",
        3 => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        4 => "STATIC_BROKER_CONFIG",
        5 => "DEFAULT_CONFIG",
        6 => "DYNAMIC_BROKER_LOGGER_CONFIG",
        _ => "UNKNOWN",
    }
}

/// One key change of IncrementalAlterConfigs: SET with a value, DELETE without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChange {
    Set(String, String),
    Delete(String),
}

pub struct AdminClient {
    cluster: Cluster,
    timeout: Duration,
}

fn name(n: &str) -> TopicName {
    TopicName(StrBytes::from_string(n.to_string()))
}

impl AdminClient {
    pub async fn connect(bootstrap: &str, timeout: Duration) -> Result<AdminClient> {
        Ok(AdminClient {
            cluster: Cluster::connect(bootstrap, "kafkalab-admin", timeout).await?,
            timeout,
        })
    }

    /// Creates `topic`; `validate_only` checks without creating.
    pub async fn create_topic(&mut self, topic: &NewTopic, validate_only: bool) -> Result<()> {
        let request = CreateTopicsRequest::default()
            .with_topics(vec![CreatableTopic::default()
                .with_name(name(&topic.name))
                .with_num_partitions(topic.partitions)
                .with_replication_factor(topic.replication_factor)
                .with_assignments(
                    topic
                        .assignments
                        .iter()
                        .zip(0..)
                        .map(|(replicas, partition)| {
                            CreatableReplicaAssignment::default()
                                .with_partition_index(partition)
                                .with_broker_ids(replicas.iter().copied().map(BrokerId).collect())
                        })
                        .collect(),
                )
                .with_configs(
                    topic
                        .configs
                        .iter()
                        .map(|(k, v)| {
                            CreatableTopicConfig::default()
                                .with_name(StrBytes::from_string(k.clone()))
                                .with_value(Some(StrBytes::from_string(v.clone())))
                        })
                        .collect(),
                )])
            .with_timeout_ms(self.timeout.as_millis() as i32)
            .with_validate_only(validate_only);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        for t in &response.topics {
            check(
                format!("create topic {}", t.name.0),
                t.error_code,
                t.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    pub async fn delete_topic(&mut self, topic: &str) -> Result<()> {
        let request = DeleteTopicsRequest::default()
            .with_topic_names(vec![name(topic)])
            .with_timeout_ms(self.timeout.as_millis() as i32);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        for r in &response.responses {
            check(
                format!("delete topic {topic}"),
                r.error_code,
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    /// Every topic's name, sorted.
    pub async fn list_topics(&mut self) -> Result<Vec<String>> {
        self.cluster.refresh(None, false).await?;
        let mut names: Vec<String> = self.cluster.topics.keys().cloned().collect();
        names.sort();
        Ok(names)
    }

    /// Partitions and non-default settings of `topic`.
    pub async fn describe_topic(&mut self, topic: &str) -> Result<TopicDescription> {
        self.cluster
            .refresh(Some(&[topic.to_string()]), false)
            .await?;
        let partitions = self.cluster.partitions(topic, false).await?.to_vec();
        let request = DescribeConfigsRequest::default().with_resources(vec![
            DescribeConfigsResource::default()
                .with_resource_type(RESOURCE_TOPIC)
                .with_resource_name(StrBytes::from_string(topic.to_string()))
                .with_configuration_keys(None),
        ]);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        let mut configs = Vec::new();
        for r in &response.results {
            check(
                format!("describe configs of {topic}"),
                r.error_code,
                r.error_message.as_ref(),
            )?;
            for c in &r.configs {
                if c.config_source != source::DEFAULT_CONFIG {
                    let value = c.value.as_ref().map(|v| v.to_string()).unwrap_or_default();
                    configs.push((c.name.to_string(), value));
                }
            }
        }
        Ok(TopicDescription {
            name: topic.to_string(),
            partitions,
            configs,
        })
    }

    /// The ids of the cluster's brokers, sorted.
    pub async fn broker_ids(&mut self) -> Result<Vec<i32>> {
        self.cluster.refresh(Some(&[]), false).await?;
        let mut ids: Vec<i32> = self.cluster.brokers.keys().copied().collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Grows `topic` to `count` partitions (CreatePartitions).
    pub async fn create_partitions(&mut self, topic: &str, count: i32) -> Result<()> {
        let request = CreatePartitionsRequest::default()
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(name(topic))
                .with_count(count)
                .with_assignments(None)])
            .with_timeout_ms(self.timeout.as_millis() as i32)
            .with_validate_only(false);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        for r in &response.results {
            check(
                format!("add partitions to {topic}"),
                r.error_code,
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    /// Every setting of a resource (`resource_type` 2: a topic, 4: a broker), with synonyms.
    pub async fn describe_configs(
        &mut self,
        resource_type: i8,
        resource_name: &str,
    ) -> Result<Vec<ConfigEntry>> {
        let request = DescribeConfigsRequest::default()
            .with_resources(vec![DescribeConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(resource_name.to_string()))
                .with_configuration_keys(None)])
            .with_include_synonyms(true);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        let mut entries = Vec::new();
        for r in &response.results {
            check(
                format!("describe configs of {resource_name}"),
                r.error_code,
                r.error_message.as_ref(),
            )?;
            for c in &r.configs {
                entries.push(ConfigEntry {
                    name: c.name.to_string(),
                    value: c.value.as_ref().map(|v| v.to_string()),
                    source: c.config_source,
                    is_sensitive: c.is_sensitive,
                    read_only: c.read_only,
                    synonyms: c
                        .synonyms
                        .iter()
                        .map(|s| {
                            (
                                s.source,
                                s.name.to_string(),
                                s.value.as_ref().map(|v| v.to_string()),
                            )
                        })
                        .collect(),
                });
            }
        }
        Ok(entries)
    }

    /// Changes single keys of a resource (IncrementalAlterConfigs).
    pub async fn incremental_alter_configs(
        &mut self,
        resource_type: i8,
        resource_name: &str,
        changes: &[ConfigChange],
    ) -> Result<()> {
        use incremental_alter_configs_request::{AlterConfigsResource, AlterableConfig};
        let configs = changes
            .iter()
            .map(|c| match c {
                ConfigChange::Set(k, v) => AlterableConfig::default()
                    .with_name(StrBytes::from_string(k.clone()))
                    .with_config_operation(0)
                    .with_value(Some(StrBytes::from_string(v.clone()))),
                ConfigChange::Delete(k) => AlterableConfig::default()
                    .with_name(StrBytes::from_string(k.clone()))
                    .with_config_operation(1)
                    .with_value(None),
            })
            .collect();
        let request = IncrementalAlterConfigsRequest::default().with_resources(vec![
            AlterConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(resource_name.to_string()))
                .with_configs(configs),
        ]);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        for r in &response.responses {
            check(
                format!("alter configs of {resource_name}"),
                r.error_code,
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    /// Replaces every override of a resource with `configs` (AlterConfigs).
    pub async fn alter_configs(
        &mut self,
        resource_type: i8,
        resource_name: &str,
        configs: &[(String, String)],
    ) -> Result<()> {
        use alter_configs_request::{AlterConfigsResource, AlterableConfig};
        let request =
            AlterConfigsRequest::default().with_resources(vec![AlterConfigsResource::default()
                .with_resource_type(resource_type)
                .with_resource_name(StrBytes::from_string(resource_name.to_string()))
                .with_configs(
                    configs
                        .iter()
                        .map(|(k, v)| {
                            AlterableConfig::default()
                                .with_name(StrBytes::from_string(k.clone()))
                                .with_value(Some(StrBytes::from_string(v.clone())))
                        })
                        .collect(),
                )]);
        let response = self.cluster.any_connection().await?.call(&request).await?;
        for r in &response.responses {
            check(
                format!("alter configs of {resource_name}"),
                r.error_code,
                r.error_message.as_ref(),
            )?;
        }
        Ok(())
    }

    /// Deletes the records below each (topic, partition, offset), asking each partition's
    /// leader. Answers each partition's new low watermark, or its error.
    pub async fn delete_records(
        &mut self,
        targets: &[(String, i32, i64)],
    ) -> Result<Vec<(String, i32, Result<i64>)>> {
        let mut out = Vec::new();
        for (topic, partition, offset) in targets {
            let leader = self.cluster.leader_addr(topic, *partition).await;
            let answer = match leader {
                Err(e) => Err(e),
                Ok(addr) => {
                    let request = DeleteRecordsRequest::default()
                        .with_topics(vec![DeleteRecordsTopic::default()
                            .with_name(name(topic))
                            .with_partitions(vec![DeleteRecordsPartition::default()
                                .with_partition_index(*partition)
                                .with_offset(*offset)])])
                        .with_timeout_ms(self.timeout.as_millis() as i32);
                    let response = self.cluster.connection(&addr).await?.call(&request).await?;
                    let result = response
                        .topics
                        .iter()
                        .flat_map(|t| t.partitions.iter())
                        .find(|p| p.partition_index == *partition)
                        .map(|p| (p.error_code, p.low_watermark));
                    match result {
                        Some((0, low)) => Ok(low),
                        Some((code, _)) => {
                            check(format!("delete records of {topic}-{partition}"), code, None)
                                .map(|_| -1)
                        }
                        None => Err(crate::Error::Client(format!(
                            "the broker did not answer for {topic}-{partition}"
                        ))),
                    }
                }
            };
            out.push((topic.clone(), *partition, answer));
        }
        Ok(out)
    }
}
