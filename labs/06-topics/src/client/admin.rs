//! Our admin client: what `kafka-topics` needs — create, delete, list and describe topics.

use std::time::Duration;

use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::{
    CreateTopicsRequest, DeleteTopicsRequest, DescribeConfigsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::cluster::{Cluster, PartitionInfo};
use crate::client::connection::check;
use crate::describe_configs::{source, RESOURCE_TOPIC};
use crate::error::Result;

/// A new topic: `--partitions` and `--replication-factor` (−1: the broker's default) and
/// `--config key=value` pairs.
#[derive(Debug, Clone)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i16,
    pub configs: Vec<(String, String)>,
}

/// A topic as `kafka-topics --describe` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub partitions: Vec<PartitionInfo>,
    /// Settings that are not the defaults: the topic's own and the broker's static ones.
    pub configs: Vec<(String, String)>,
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
}
