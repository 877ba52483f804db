//! What a client knows about the cluster: its brokers and, per topic, each partition's
//! leader — from Metadata, refreshed when the broker says the client's picture is stale.

use std::collections::HashMap;
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use crate::client::connection::{check, BrokerConnection};
use crate::error::{Error, Result};

/// One partition as Metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

pub struct Cluster {
    bootstrap: Vec<String>,
    client_id: String,
    timeout: Duration,
    /// Broker id → `host:port`.
    pub brokers: HashMap<i32, String>,
    /// Topic → its partitions, by index.
    pub topics: HashMap<String, Vec<PartitionInfo>>,
    pub controller_id: i32,
    pub cluster_id: Option<String>,
    /// Open connections by `host:port`.
    connections: HashMap<String, BrokerConnection>,
}

impl Cluster {
    /// `bootstrap` is `bootstrap.servers`: `host:port[,host:port…]`; the first that answers is used.
    pub async fn connect(bootstrap: &str, client_id: &str, timeout: Duration) -> Result<Cluster> {
        let bootstrap: Vec<String> = bootstrap
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if bootstrap.is_empty() {
            return Err(Error::Client(
                "bootstrap.servers is empty: give host:port".into(),
            ));
        }
        let mut cluster = Cluster {
            bootstrap,
            client_id: client_id.to_string(),
            timeout,
            brokers: HashMap::new(),
            topics: HashMap::new(),
            controller_id: -1,
            cluster_id: None,
            connections: HashMap::new(),
        };
        cluster.any_connection().await?;
        Ok(cluster)
    }

    /// A connection to `addr`, opened if needed.
    pub async fn connection(&mut self, addr: &str) -> Result<&mut BrokerConnection> {
        if !self.connections.contains_key(addr) {
            let c = BrokerConnection::connect(addr, &self.client_id, self.timeout).await?;
            self.connections.insert(addr.to_string(), c);
        }
        Ok(self.connections.get_mut(addr).expect("just inserted"))
    }

    /// Takes the connection to `addr` out of the pool (a producer gives it its own reader).
    pub async fn take_connection(&mut self, addr: &str) -> Result<BrokerConnection> {
        self.connection(addr).await?;
        Ok(self.connections.remove(addr).expect("just opened"))
    }

    /// Any working connection: an open one, else the first bootstrap server that answers.
    pub async fn any_connection(&mut self) -> Result<&mut BrokerConnection> {
        if let Some(addr) = self.connections.keys().next().cloned() {
            return self.connection(&addr).await;
        }
        let mut last = None;
        for addr in self.bootstrap.clone() {
            match self.connection(&addr).await {
                Ok(_) => return self.connection(&addr).await,
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("bootstrap is not empty"))
    }

    /// Asks for metadata of `topics` (all topics for `None`) and remembers the answer.
    /// `auto_create` lets the broker create missing topics (`auto.create.topics.enable`).
    pub async fn refresh(&mut self, topics: Option<&[String]>, auto_create: bool) -> Result<()> {
        let request = MetadataRequest::default()
            .with_topics(topics.map(|names| {
                names
                    .iter()
                    .map(|n| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string(n.clone()))))
                    })
                    .collect()
            }))
            .with_allow_auto_topic_creation(auto_create);
        let response = self.any_connection().await?.call(&request).await?;
        self.brokers = response
            .brokers
            .iter()
            .map(|b| (b.node_id.0, format!("{}:{}", b.host, b.port)))
            .collect();
        self.controller_id = response.controller_id.0;
        self.cluster_id = response.cluster_id.as_ref().map(|c| c.to_string());
        for topic in &response.topics {
            let Some(name) = topic.name.as_ref().map(|n| n.0.to_string()) else {
                continue;
            };
            if topic.error_code != 0 {
                self.topics.remove(&name);
                continue;
            }
            let mut partitions: Vec<PartitionInfo> = topic
                .partitions
                .iter()
                .map(|p| PartitionInfo {
                    partition: p.partition_index,
                    leader: p.leader_id.0,
                    replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                    isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            self.topics.insert(name, partitions);
        }
        if topics.is_none() {
            let listed: std::collections::HashSet<String> = response
                .topics
                .iter()
                .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
                .collect();
            self.topics.retain(|name, _| listed.contains(name));
        }
        Ok(())
    }

    /// The partitions of `topic`, asking the broker if not known yet.
    pub async fn partitions(&mut self, topic: &str, auto_create: bool) -> Result<&[PartitionInfo]> {
        if !self.topics.contains_key(topic) {
            self.refresh(Some(&[topic.to_string()]), auto_create)
                .await?;
        }
        match self.topics.get(topic) {
            Some(p) if !p.is_empty() => Ok(p),
            _ => check(format!("topic {topic}"), 3, None).map(|()| &[][..]),
        }
    }

    /// `host:port` of the leader of `topic`/`partition`.
    pub async fn leader_addr(&mut self, topic: &str, partition: i32) -> Result<String> {
        let leader = self
            .partitions(topic, false)
            .await?
            .iter()
            .find(|p| p.partition == partition)
            .map(|p| p.leader)
            .ok_or_else(|| Error::Client(format!("topic {topic} has no partition {partition}")))?;
        self.brokers.get(&leader).cloned().ok_or_else(|| {
            Error::Client(format!(
                "partition {topic}-{partition} has no live leader (broker {leader})"
            ))
        })
    }
}
