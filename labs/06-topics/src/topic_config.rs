//! A topic's own settings: the `--config retention.ms=…` of `kafka-topics --create`.
//!
//! Kafka keeps two names for most settings: the broker's default in `server.properties`
//! (`log.retention.hours`) and the topic's override (`retention.ms`). A topic without an
//! override uses the broker's value. This broker stores the overrides of each topic in
//! `<log.dirs>/__topic_configs/<topic>.properties` (Kafka 2.x keeps them in ZooKeeper under
//! `/config/topics/<topic>`; lab 11 moves them there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lab03_partition_log::config::parse_timestamp_type;
use lab03_partition_log::{CleanupPolicy, CompressionType, LogConfig};

use crate::describe_configs::config_type;
use crate::error::{Error, Result};

/// A topic setting this broker understands: its topic key, the broker key that gives its
/// default, and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicKey {
    pub name: &'static str,
    pub broker_key: &'static str,
    pub config_type: i8,
    /// Settable per topic (every key is, today; a key reported but fixed broker-wide would
    /// say `false` and be read-only in DescribeConfigs).
    pub settable: bool,
}

const fn key(name: &'static str, broker_key: &'static str, config_type: i8) -> TopicKey {
    TopicKey {
        name,
        broker_key,
        config_type,
        settable: true,
    }
}

/// Every topic key DescribeConfigs reports, in Kafka's alphabetical order.
pub const TOPIC_KEYS: [TopicKey; 13] = [
    key("cleanup.policy", "log.cleanup.policy", config_type::LIST),
    key("compression.type", "compression.type", config_type::STRING),
    key(
        "delete.retention.ms",
        "log.cleaner.delete.retention.ms",
        config_type::LONG,
    ),
    key(
        "flush.messages",
        "log.flush.interval.messages",
        config_type::LONG,
    ),
    key("max.message.bytes", "message.max.bytes", config_type::INT),
    key(
        "message.timestamp.type",
        "log.message.timestamp.type",
        config_type::STRING,
    ),
    key(
        "min.cleanable.dirty.ratio",
        "log.cleaner.min.cleanable.ratio",
        config_type::DOUBLE,
    ),
    key(
        "min.compaction.lag.ms",
        "log.cleaner.min.compaction.lag.ms",
        config_type::LONG,
    ),
    // Read by lab 12 in a cluster (acks=all needs this many in-sync replicas); a broker alone
    // keeps it, as Kafka does, and has no use for it.
    key(
        "min.insync.replicas",
        "min.insync.replicas",
        config_type::INT,
    ),
    key("retention.bytes", "log.retention.bytes", config_type::LONG),
    key("retention.ms", "log.retention.ms", config_type::LONG),
    key("segment.bytes", "log.segment.bytes", config_type::INT),
    key("segment.ms", "log.roll.ms", config_type::LONG),
];

pub fn topic_key(name: &str) -> Option<&'static TopicKey> {
    TOPIC_KEYS.iter().find(|k| k.name == name)
}

/// The overrides of one topic: key → value, only keys of [`TOPIC_KEYS`], values checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicConfig {
    pub overrides: BTreeMap<String, String>,
}

fn bad(key: &str, value: &str, reason: impl Into<String>) -> Error {
    Error::InvalidTopicConfig {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

fn number(key: &str, value: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = value
        .trim()
        .parse()
        .map_err(|_| bad(key, value, "not a whole number"))?;
    if !(min..=max).contains(&n) {
        return Err(bad(key, value, format!("must be between {min} and {max}")));
    }
    Ok(n)
}

impl TopicConfig {
    /// Checks the `configs` of a CreateTopics request and keeps them. A null value means "no
    /// override". Unknown keys, values that do not parse and values out of range are refused,
    /// naming the key; the named values (`cleanup.policy`, `compression.type`,
    /// `message.timestamp.type`) must be one of Kafka's.
    pub fn from_request(configs: &[(String, Option<String>)]) -> Result<TopicConfig> {
        // BEGIN SOLUTION step 1: check each key is settable and each value parses within its range (else Error::InvalidTopicConfig naming the key), then keep it
        // ko: 키마다 설정할 수 있는지, 값마다 범위 안의 숫자인지 확인하고(아니면 키를 밝힌 Error::InvalidTopicConfig) 보관하세요
        let mut overrides = BTreeMap::new();
        for (key, value) in configs {
            let Some(value) = value else { continue };
            let Some(k) = topic_key(key) else {
                return Err(bad(key, value, "not a topic setting this broker knows"));
            };
            if !k.settable {
                return Err(bad(
                    key,
                    value,
                    format!(
                        "cannot be set per topic on this broker; use {} in server.properties",
                        k.broker_key
                    ),
                ));
            }
            match key.as_str() {
                "cleanup.policy" if CleanupPolicy::parse(value).is_none() => {
                    return Err(bad(key, value, "use delete, compact or compact,delete"));
                }
                "compression.type" if CompressionType::parse(value).is_none() => {
                    return Err(bad(
                        key,
                        value,
                        "use uncompressed, gzip, snappy, lz4, zstd or producer",
                    ));
                }
                "message.timestamp.type" if parse_timestamp_type(value).is_none() => {
                    return Err(bad(key, value, "use CreateTime or LogAppendTime"));
                }
                "cleanup.policy" | "compression.type" | "message.timestamp.type" => {}
                "min.cleanable.dirty.ratio" => {
                    if !value
                        .trim()
                        .parse::<f64>()
                        .is_ok_and(|r| (0.0..=1.0).contains(&r))
                    {
                        return Err(bad(key, value, "must be a fraction between 0 and 1"));
                    }
                }
                "delete.retention.ms" | "min.compaction.lag.ms" => {
                    number(key, value, 0, i64::MAX)?;
                }
                // Kafka's range: at least 0, an int.
                "max.message.bytes" => {
                    number(key, value, 0, i64::from(i32::MAX))?;
                }
                "retention.ms" | "retention.bytes" => {
                    number(key, value, -1, i64::MAX)?;
                }
                "min.insync.replicas" => {
                    number(key, value, 1, i64::from(i32::MAX))?;
                }
                // Kafka's minimum: a segment must hold at least one record's overhead.
                "segment.bytes" => {
                    number(key, value, 14, i64::from(i32::MAX))?;
                }
                _ => {
                    number(key, value, 1, i64::MAX)?;
                }
            }
            overrides.insert(key.clone(), value.trim().to_string());
        }
        Ok(TopicConfig { overrides })
        // END SOLUTION
    }

    /// The log settings of this topic: the broker's, with this topic's overrides applied.
    pub fn log_config(&self, broker: &LogConfig) -> LogConfig {
        // BEGIN SOLUTION step 1: start from the broker's LogConfig and replace each overridden field
        // ko: 브로커의 LogConfig에서 시작해 토픽이 덮어쓴 필드마다 값을 바꾸세요
        let mut config = broker.clone();
        let get = |key: &str| self.overrides.get(key).and_then(|v| v.parse::<i64>().ok());
        if let Some(v) = get("retention.ms") {
            config.retention_ms = v;
        }
        if let Some(v) = get("retention.bytes") {
            config.retention_bytes = v;
        }
        if let Some(v) = get("segment.bytes") {
            config.segment_bytes = v as u64;
        }
        if let Some(v) = get("segment.ms") {
            config.segment_ms = v;
        }
        if let Some(v) = get("flush.messages") {
            config.flush_interval_messages = v as u64;
        }
        if let Some(v) = get("max.message.bytes") {
            config.max_message_bytes = v as usize;
        }
        if let Some(v) = get("delete.retention.ms") {
            config.delete_retention_ms = v;
        }
        if let Some(v) = get("min.compaction.lag.ms") {
            config.min_compaction_lag_ms = v;
        }
        let named = |key: &str| self.overrides.get(key).map(String::as_str);
        if let Some(v) = named("cleanup.policy").and_then(CleanupPolicy::parse) {
            config.cleanup_policy = v;
        }
        if let Some(v) = named("compression.type").and_then(CompressionType::parse) {
            config.compression_type = v;
        }
        if let Some(v) = named("message.timestamp.type").and_then(parse_timestamp_type) {
            config.message_timestamp_type = v;
        }
        if let Some(v) = named("min.cleanable.dirty.ratio").and_then(|v| v.parse().ok()) {
            config.min_cleanable_dirty_ratio = v;
        }
        config
        // END SOLUTION
    }

    /// Where the overrides of `topic` are stored under `log_dir`.
    pub fn path(log_dir: &Path, topic: &str) -> PathBuf {
        log_dir
            .join("__topic_configs")
            .join(format!("{topic}.properties"))
    }

    /// Writes the overrides (`key=value` lines) atomically: a temporary file, fsync, rename.
    pub fn store(&self, log_dir: &Path, topic: &str) -> Result<()> {
        let path = TopicConfig::path(log_dir, topic);
        let io = |op: &'static str, p: &Path| {
            let p = p.display().to_string();
            move |source| Error::Io {
                op,
                path: p,
                source,
            }
        };
        let dir = path.parent().expect("a file under __topic_configs");
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        let text: String = self
            .overrides
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        let tmp = path.with_extension("properties.tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
            f.write_all(text.as_bytes()).map_err(io("write", &tmp))?;
            f.sync_all().map_err(io("fsync", &tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io("rename", &tmp))
    }

    /// Reads the stored overrides of `topic`; none stored means none.
    pub fn load(log_dir: &Path, topic: &str) -> Result<TopicConfig> {
        let path = TopicConfig::path(log_dir, topic);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TopicConfig::default()),
            Err(source) => {
                return Err(Error::Io {
                    op: "read",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        let pairs: Vec<(String, Option<String>)> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), Some(v.trim().to_string())))
            .collect();
        TopicConfig::from_request(&pairs).map_err(|e| Error::StoredConfig {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
    }

    /// Removes the stored overrides of a deleted topic.
    pub fn remove(log_dir: &Path, topic: &str) -> Result<()> {
        let path = TopicConfig::path(log_dir, topic);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Io {
                op: "delete",
                path: path.display().to_string(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}
