//! DescribeConfigs for the broker itself (`kafka-configs --describe --entity-type brokers`):
//! the `server.properties` keys this broker reads, with their values. All read-only: this
//! broker reads them once at start (Kafka can change some at run time, "dynamic configs").

use lab03_partition_log::config::timestamp_type_name;
use lab05_broker::BrokerConfig;

use crate::describe_configs::{config_type, source, DescribedConfig};

/// (key, value, Kafka's default, type) for every key lab 05 reads.
fn broker_keys(c: &BrokerConfig) -> Vec<(&'static str, String, String, i8)> {
    let d = BrokerConfig::default();
    // Every listener, `NAME://host:port`, in the file's order.
    let join = |f: &dyn Fn(&lab05_broker::listeners::Listener) -> String| {
        c.all_listeners()
            .iter()
            .map(f)
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![
        (
            "advertised.listeners",
            join(&|l| format!("{}://{}:{}", l.name, l.advertised_host, l.advertised_port)),
            String::new(),
            config_type::STRING,
        ),
        (
            "auto.create.topics.enable",
            c.auto_create_topics.to_string(),
            d.auto_create_topics.to_string(),
            config_type::BOOLEAN,
        ),
        (
            "broker.id",
            c.broker_id.to_string(),
            "-1".into(),
            config_type::INT,
        ),
        (
            "compression.type",
            c.compression_type.name().to_string(),
            d.compression_type.name().to_string(),
            config_type::STRING,
        ),
        (
            "listeners",
            join(&|l| format!("{}://{}:{}", l.name, l.host, l.port)),
            "PLAINTEXT://:9092".into(),
            config_type::LIST,
        ),
        (
            "log.cleaner.backoff.ms",
            c.cleaner_backoff_ms.to_string(),
            d.cleaner_backoff_ms.to_string(),
            config_type::LONG,
        ),
        (
            "log.cleaner.delete.retention.ms",
            c.delete_retention_ms.to_string(),
            d.delete_retention_ms.to_string(),
            config_type::LONG,
        ),
        (
            "log.cleaner.enable",
            c.cleaner_enable.to_string(),
            d.cleaner_enable.to_string(),
            config_type::BOOLEAN,
        ),
        (
            "log.cleaner.min.cleanable.ratio",
            c.min_cleanable_ratio.to_string(),
            d.min_cleanable_ratio.to_string(),
            config_type::DOUBLE,
        ),
        (
            "log.cleaner.min.compaction.lag.ms",
            c.min_compaction_lag_ms.to_string(),
            d.min_compaction_lag_ms.to_string(),
            config_type::LONG,
        ),
        (
            "log.cleanup.policy",
            c.cleanup_policy.name().to_string(),
            d.cleanup_policy.name().to_string(),
            config_type::LIST,
        ),
        (
            "log.dirs",
            c.log_dir.display().to_string(),
            d.log_dir.display().to_string(),
            config_type::STRING,
        ),
        (
            "log.message.timestamp.type",
            timestamp_type_name(c.message_timestamp_type).to_string(),
            timestamp_type_name(d.message_timestamp_type).to_string(),
            config_type::STRING,
        ),
        (
            "log.retention.bytes",
            c.retention_bytes.to_string(),
            d.retention_bytes.to_string(),
            config_type::LONG,
        ),
        (
            "log.retention.hours",
            c.retention_hours.to_string(),
            d.retention_hours.to_string(),
            config_type::INT,
        ),
        (
            "log.segment.bytes",
            c.segment_bytes.to_string(),
            d.segment_bytes.to_string(),
            config_type::INT,
        ),
        (
            "message.max.bytes",
            c.message_max_bytes.to_string(),
            d.message_max_bytes.to_string(),
            config_type::INT,
        ),
        (
            "num.partitions",
            c.num_partitions.to_string(),
            d.num_partitions.to_string(),
            config_type::INT,
        ),
        (
            "socket.request.max.bytes",
            c.socket_request_max_bytes.to_string(),
            d.socket_request_max_bytes.to_string(),
            config_type::INT,
        ),
    ]
}

pub fn describe_broker(c: &BrokerConfig, keys: Option<&[String]>) -> Vec<DescribedConfig> {
    broker_keys(c)
        .into_iter()
        .filter(|(name, ..)| keys.is_none_or(|keys| keys.iter().any(|k| k == name)))
        .map(|(name, value, default, config_type)| DescribedConfig {
            name: name.to_string(),
            config_source: if value == default {
                source::DEFAULT_CONFIG
            } else {
                source::STATIC_BROKER_CONFIG
            },
            value: Some(value),
            read_only: true,
            is_sensitive: false,
            synonyms: vec![],
            config_type,
            documentation: None,
        })
        .collect()
}
