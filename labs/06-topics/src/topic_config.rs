//! A topic's own settings: the `--config retention.ms=…` of `kafka-topics --create`.
//!
//! Kafka keeps two names for most settings: the broker's default in `server.properties`
//! (`log.retention.hours`) and the topic's override (`retention.ms`). A topic without an
//! override uses the broker's value. This broker stores the overrides of each topic in
//! `<log.dirs>/__topic_configs/<topic>.properties` (Kafka 2.x keeps them in ZooKeeper under
//! `/config/topics/<topic>`; lab 11 moves them there).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lab03_partition_log::LogConfig;

use crate::describe_configs::config_type;
use crate::error::{Error, Result};

/// A topic setting this broker understands: its topic key, the broker key that gives its
/// default, and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicKey {
    pub name: &'static str,
    pub broker_key: &'static str,
    pub config_type: i8,
    /// Settable per topic (`max.message.bytes` is reported but this broker checks only the
    /// broker-wide `message.max.bytes`).
    pub settable: bool,
}

/// Every topic key DescribeConfigs reports, in Kafka's alphabetical order.
pub const TOPIC_KEYS: [TopicKey; 7] = [
    TopicKey {
        name: "cleanup.policy",
        broker_key: "log.cleanup.policy",
        config_type: config_type::LIST,
        settable: true,
    },
    TopicKey {
        name: "flush.messages",
        broker_key: "log.flush.interval.messages",
        config_type: config_type::LONG,
        settable: true,
    },
    TopicKey {
        name: "max.message.bytes",
        broker_key: "message.max.bytes",
        config_type: config_type::INT,
        settable: false,
    },
    TopicKey {
        name: "retention.bytes",
        broker_key: "log.retention.bytes",
        config_type: config_type::LONG,
        settable: true,
    },
    TopicKey {
        name: "retention.ms",
        broker_key: "log.retention.ms",
        config_type: config_type::LONG,
        settable: true,
    },
    TopicKey {
        name: "segment.bytes",
        broker_key: "log.segment.bytes",
        config_type: config_type::INT,
        settable: true,
    },
    TopicKey {
        name: "segment.ms",
        broker_key: "log.roll.ms",
        config_type: config_type::LONG,
        settable: true,
    },
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
    /// override". Unknown keys, values that do not parse, values out of range and
    /// `cleanup.policy=compact` (this broker does not compact) are refused, naming the key.
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
                "cleanup.policy" if value.trim() != "delete" => {
                    return Err(bad(
                        key,
                        value,
                        "only `delete` is supported: this broker does not compact logs",
                    ));
                }
                "cleanup.policy" => {}
                "retention.ms" | "retention.bytes" => {
                    number(key, value, -1, i64::MAX)?;
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
