//! A topic's effective settings, as CreateTopics answers them (step 2) and DescribeConfigs
//! reports them (step 4): for each key the value that applies and where it comes from, and,
//! when a client asks, every level that has a value (Kafka's "synonyms").
//!
//! The value and its source are step 2 because CreateTopics v5 answers with them; the synonyms
//! are step 4 because only DescribeConfigs asks for them. Kafka computes both in
//! `ConfigHelper.describeConfigs`.

use lab03_partition_log::config::timestamp_type_name;
use lab03_partition_log::LogConfig;
use lab05_broker::Broker;

use crate::describe_configs::{source, ConfigSynonym, DescribedConfig};
use crate::topic_config::{TopicConfig, TopicKey, TOPIC_KEYS};

/// The broker-wide value of a topic key (what a topic without an override gets), and Kafka's
/// own default for it.
pub fn broker_value(key: &str, log: &LogConfig, message_max_bytes: usize) -> (String, String) {
    let default = LogConfig::default();
    let pick = |f: fn(&LogConfig) -> String| (f(log), f(&default));
    match key {
        "cleanup.policy" => pick(|c| c.cleanup_policy.name().to_string()),
        "compression.type" => pick(|c| c.compression_type.name().to_string()),
        "delete.retention.ms" => pick(|c| c.delete_retention_ms.to_string()),
        "flush.messages" => pick(|c| c.flush_interval_messages.min(i64::MAX as u64).to_string()),
        "max.message.bytes" => (message_max_bytes.to_string(), "1048588".into()),
        "message.timestamp.type" => {
            pick(|c| timestamp_type_name(c.message_timestamp_type).to_string())
        }
        "min.cleanable.dirty.ratio" => pick(|c| c.min_cleanable_dirty_ratio.to_string()),
        "min.compaction.lag.ms" => pick(|c| c.min_compaction_lag_ms.to_string()),
        // Kafka's default; a broker's own `min.insync.replicas` is lab 12's, unknown here.
        "min.insync.replicas" => ("1".into(), "1".into()),
        "retention.bytes" => pick(|c| c.retention_bytes.to_string()),
        "retention.ms" => pick(|c| c.retention_ms.to_string()),
        "segment.bytes" => pick(|c| c.segment_bytes.to_string()),
        "segment.ms" => pick(|c| c.segment_ms.to_string()),
        _ => (String::new(), String::new()),
    }
}

/// The effective settings of a topic with overrides `config`: for each key of [`TOPIC_KEYS`]
/// (only those in `keys`, if given), the override with source TOPIC_CONFIG, or else the broker's
/// value with source STATIC_BROKER_CONFIG when `server.properties` changed it from Kafka's
/// default and DEFAULT_CONFIG when not. `synonyms` lists every level that has a value, most
/// specific first.
pub fn describe_topic(
    broker: &Broker,
    config: &TopicConfig,
    keys: Option<&[String]>,
    synonyms: bool,
) -> Vec<DescribedConfig> {
    let log = broker.log_config();
    let max = broker.config().message_max_bytes;
    TOPIC_KEYS
        .iter()
        .filter(|k| keys.is_none_or(|keys| keys.iter().any(|name| name == k.name)))
        .map(|k| {
            let mut described = describe_key(k, config, &log, max);
            if synonyms {
                described.synonyms = key_synonyms(k, config, &log, max);
            }
            described
        })
        .collect()
}

/// One key's effective value and its source (no synonyms): the topic's own override
/// (TOPIC_CONFIG), else the broker's value, STATIC_BROKER_CONFIG if it differs from Kafka's
/// default, DEFAULT_CONFIG if not.
pub fn describe_key(
    k: &TopicKey,
    config: &TopicConfig,
    log: &LogConfig,
    message_max_bytes: usize,
) -> DescribedConfig {
    // BEGIN SOLUTION step 2: pick the value and its source
    // ko: 값과 그 출처를 고르세요
    let (broker_value, default) = broker_value(k.name, log, message_max_bytes);
    let (value, config_source) = match config.overrides.get(k.name) {
        Some(own) => (own.clone(), source::TOPIC_CONFIG),
        None if broker_value == default => (broker_value, source::DEFAULT_CONFIG),
        None => (broker_value, source::STATIC_BROKER_CONFIG),
    };
    DescribedConfig {
        name: k.name.to_string(),
        value: Some(value),
        read_only: !k.settable,
        config_source,
        is_sensitive: false,
        synonyms: vec![],
        config_type: k.config_type,
        documentation: None,
    }
    // END SOLUTION
}

/// Every level of one key that has a value, most specific first: the topic's override (under
/// the topic key), the broker's `server.properties` value when it differs from the default
/// (under the broker key), and Kafka's default (under the broker key).
pub fn key_synonyms(
    k: &TopicKey,
    config: &TopicConfig,
    log: &LogConfig,
    message_max_bytes: usize,
) -> Vec<ConfigSynonym> {
    // BEGIN SOLUTION step 4: list the synonyms when asked
    // ko: 요청이 있으면 동의어를 나열하세요
    let (broker_value, default) = broker_value(k.name, log, message_max_bytes);
    let mut list = vec![];
    if let Some(own) = config.overrides.get(k.name) {
        list.push(ConfigSynonym {
            name: k.name.into(),
            value: Some(own.clone()),
            source: source::TOPIC_CONFIG,
        });
    }
    if broker_value != default {
        list.push(ConfigSynonym {
            name: k.broker_key.into(),
            value: Some(broker_value),
            source: source::STATIC_BROKER_CONFIG,
        });
    }
    list.push(ConfigSynonym {
        name: k.broker_key.into(),
        value: Some(default),
        source: source::DEFAULT_CONFIG,
    });
    list
    // END SOLUTION
}
