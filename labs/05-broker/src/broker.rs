//! The broker's state: its settings, its partitions (through the [`LogManager`]) and the next
//! producer id. Plain synchronous code: what each request does to this state is in
//! `apis/<api>.rs`, one file per API; the tokio shell (`server.rs`, `connection.rs`) owns the
//! sockets and the waiting.

use std::path::Path;
use std::sync::Arc;

use lab03_partition_log::{Log, LogConfig, HOUR_MS};
use lab04_protocol_codec::ErrorCode;

use crate::config::BrokerConfig;
use crate::error::Result;
use crate::log_manager::LogManager;
use crate::partition::{Partition, Replication, SingleReplica};
use crate::producer_state::ProducerStates;

pub use crate::log_manager::{parse_partition_dir, valid_topic_name};

/// The cluster id every response reports: this course's brokers form one cluster.
pub const CLUSTER_ID: &str = "kafkalab";

pub struct Broker {
    config: BrokerConfig,
    logs: LogManager,
    /// The next producer id InitProducerId hands out.
    pub(crate) next_producer_id: i64,
}

/// The log settings every partition gets, from the broker's `log.*` keys.
pub fn log_config(config: &BrokerConfig) -> LogConfig {
    LogConfig {
        segment_bytes: config.segment_bytes,
        retention_bytes: config.retention_bytes,
        retention_ms: if config.retention_hours < 0 {
            -1
        } else {
            config.retention_hours * HOUR_MS
        },
        cleanup_policy: config.cleanup_policy,
        delete_retention_ms: config.delete_retention_ms,
        min_cleanable_dirty_ratio: config.min_cleanable_ratio,
        min_compaction_lag_ms: config.min_compaction_lag_ms,
        compression_type: config.compression_type,
        max_message_bytes: config.message_max_bytes,
        message_timestamp_type: config.message_timestamp_type,
        ..LogConfig::default()
    }
}

impl Broker {
    /// Opens the broker's `log.dirs` (see [`LogManager::open`]); this broker alone holds every
    /// partition ([`SingleReplica`]).
    pub fn open(config: BrokerConfig, now_ms: i64) -> Result<Broker> {
        let replication = Arc::new(SingleReplica {
            broker_id: config.broker_id,
        });
        Broker::open_with(config, replication, now_ms)
    }

    /// Opens the broker with other replica rules: how lab 12 adds followers.
    pub fn open_with(
        config: BrokerConfig,
        replication: Arc<dyn Replication>,
        now_ms: i64,
    ) -> Result<Broker> {
        let logs = LogManager::open(&config.log_dir, log_config(&config), replication, now_ms)?;
        Ok(Broker {
            config,
            logs,
            next_producer_id: 0,
        })
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The log settings every partition gets, from the broker's `log.*` keys.
    pub fn log_config(&self) -> LogConfig {
        self.logs.log_config().clone()
    }

    pub fn logs(&self) -> &LogManager {
        &self.logs
    }

    pub fn logs_mut(&mut self) -> &mut LogManager {
        &mut self.logs
    }

    pub fn log_dir(&self) -> &Path {
        self.logs.dir()
    }

    /// Creates a topic with `partitions` empty partitions. Returns an error code for a bad
    /// name, a bad count or an existing topic, as CreateTopics would.
    pub fn create_topic(&mut self, name: &str, partitions: i32, now_ms: i64) -> Result<ErrorCode> {
        if !valid_topic_name(name) {
            return Ok(ErrorCode::InvalidTopicException);
        }
        if partitions < 1 {
            return Ok(ErrorCode::InvalidPartitions);
        }
        if self.logs.partition_count(name).is_some() {
            return Ok(ErrorCode::TopicAlreadyExists);
        }
        self.logs.create_topic(name, partitions, now_ms)?;
        tracing::info!(topic = name, partitions, "created topic");
        Ok(ErrorCode::None)
    }

    /// Adds a topic whose partition logs the caller opened (lab 06 opens them with the topic's
    /// own settings). Replaces a topic of the same name.
    pub fn insert_topic(&mut self, name: &str, logs: Vec<Log>) {
        self.logs.insert_topic(name, logs);
    }

    /// Adds partitions after the last one of an existing topic (lab 06's CreatePartitions);
    /// gives the logs back if the topic does not exist.
    pub fn add_partitions(
        &mut self,
        name: &str,
        logs: Vec<Log>,
    ) -> std::result::Result<(), Vec<Log>> {
        self.logs.add_partitions(name, logs)
    }

    /// Takes a topic out of the broker: from now on requests see it as unknown. The caller
    /// decides what happens to its files (lab 06 deletes them).
    pub fn remove_topic(&mut self, name: &str) -> Option<Vec<Log>> {
        self.logs.remove_topic(name)
    }

    /// How many partitions `topic` has, if it exists.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        self.logs.partition_count(topic)
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.logs.topic_names()
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        self.logs.partition(topic, partition)
    }

    pub fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        self.logs.partition_mut(topic, partition)
    }

    /// fsyncs every partition and persists its producer state (lab 14): what a graceful
    /// shutdown does before the process exits.
    pub fn flush_all(&mut self) -> Result<()> {
        self.logs.flush_all()?;
        self.logs.close_producers();
        Ok(())
    }

    /// Gives every partition lab 14's producer state: sequence checks on Produce.
    pub fn set_producer_states(&mut self, states: Arc<dyn ProducerStates>) {
        self.logs.set_producer_states(states);
    }

    /// Compacts every partition whose `cleanup.policy` includes `compact` and that is dirty
    /// enough (Kafka's log cleaner threads, every `log.cleaner.backoff.ms`).
    pub fn clean_logs(&mut self, now_ms: i64) -> Result<usize> {
        self.logs.clean_all(now_ms)
    }

    /// Applies retention to every partition (Kafka checks every `log.retention.check.interval.ms`).
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<usize> {
        self.logs.apply_retention(now_ms)
    }
}
