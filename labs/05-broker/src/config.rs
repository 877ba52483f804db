//! `server.properties`, read with Kafka's own keys and defaults, so the slides' and the book's
//! files work unchanged. Unknown keys are reported (Kafka has hundreds; this broker uses a
//! few), bad values stop the broker at start with the line and key named.

use std::path::PathBuf;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// `broker.id`.
    pub broker_id: i32,
    /// `listeners`: where to accept connections, e.g. `PLAINTEXT://0.0.0.0:9092`.
    pub listener_host: String,
    pub listener_port: u16,
    /// `advertised.listeners`: the address clients are told to connect to.
    pub advertised_host: String,
    pub advertised_port: u16,
    /// `log.dirs` (or `log.dir`): where the partition logs live; the first one is used.
    pub log_dir: PathBuf,
    /// `num.partitions`: partitions of an auto-created topic.
    pub num_partitions: u32,
    /// `log.segment.bytes`.
    pub segment_bytes: u64,
    /// `log.retention.hours`, −1 for no limit.
    pub retention_hours: i64,
    /// `log.retention.bytes`, −1 for no limit.
    pub retention_bytes: i64,
    /// `message.max.bytes`: the largest record batch the broker accepts.
    pub message_max_bytes: usize,
    /// `socket.request.max.bytes`: the largest request frame.
    pub socket_request_max_bytes: usize,
    /// `auto.create.topics.enable`.
    pub auto_create_topics: bool,
    /// `group.initial.rebalance.delay.ms` (lab 07): how long a new consumer group waits for
    /// more members before its first rebalance.
    pub group_initial_rebalance_delay_ms: i64,
    /// `group.min.session.timeout.ms` and `group.max.session.timeout.ms` (lab 07).
    pub group_min_session_timeout_ms: i32,
    pub group_max_session_timeout_ms: i32,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            broker_id: 0,
            listener_host: "0.0.0.0".into(),
            listener_port: 9092,
            advertised_host: "localhost".into(),
            advertised_port: 9092,
            log_dir: PathBuf::from("/tmp/kafka-logs"),
            num_partitions: 1,
            segment_bytes: 1 << 30,
            retention_hours: 168,
            retention_bytes: -1,
            message_max_bytes: 1_048_588,
            socket_request_max_bytes: 104_857_600,
            auto_create_topics: true,
            group_initial_rebalance_delay_ms: 3_000,
            group_min_session_timeout_ms: 6_000,
            group_max_session_timeout_ms: 1_800_000,
        }
    }
}

/// `PLAINTEXT://host:port` → (host, port); an empty host means every interface.
fn parse_listener(value: &str) -> std::result::Result<(String, u16), String> {
    let first = value.split(',').next().unwrap_or_default().trim();
    let rest = first
        .split_once("://")
        .map(|(_, r)| r)
        .ok_or_else(|| format!("`{first}` is not NAME://host:port"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("`{first}` has no port"))?;
    let port = port
        .parse()
        .map_err(|_| format!("`{port}` is not a port"))?;
    Ok((host.to_string(), port))
}

impl BrokerConfig {
    /// Parses the text of a server.properties file. Returns the config and one warning per
    /// key this broker does not use.
    pub fn parse(text: &str) -> Result<(BrokerConfig, Vec<String>)> {
        let mut c = BrokerConfig::default();
        let mut warnings = Vec::new();
        let mut advertised = None;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .or_else(|| line.split_once(':'))
                .map(|(k, v)| (k.trim(), v.trim()))
                .unwrap_or((line, ""));
            let bad = |reason: String| Error::Config {
                line: index + 1,
                key: key.to_string(),
                reason,
            };
            let number = |what: &str| -> Result<i64> {
                value
                    .parse::<i64>()
                    .map_err(|_| bad(format!("`{value}` is not {what}")))
            };
            match key {
                "broker.id" => {
                    c.broker_id = i32::try_from(number("a broker id")?)
                        .map_err(|_| bad("out of range".into()))?
                }
                "listeners" => {
                    (c.listener_host, c.listener_port) = parse_listener(value).map_err(bad)?
                }
                "advertised.listeners" => advertised = Some(parse_listener(value).map_err(bad)?),
                "log.dirs" | "log.dir" => {
                    let first = value.split(',').next().unwrap_or_default().trim();
                    if first.is_empty() {
                        return Err(bad("empty".into()));
                    }
                    c.log_dir = PathBuf::from(first);
                }
                "num.partitions" => {
                    c.num_partitions = u32::try_from(number("a number of partitions")?)
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad("must be at least 1".into()))?
                }
                "log.segment.bytes" => {
                    c.segment_bytes = u64::try_from(number("a size in bytes")?)
                        .ok()
                        .filter(|n| *n >= 14)
                        .ok_or_else(|| bad("must be at least 14 bytes".into()))?
                }
                "log.retention.hours" => c.retention_hours = number("a number of hours")?,
                "log.retention.bytes" => c.retention_bytes = number("a size in bytes")?,
                "message.max.bytes" => {
                    c.message_max_bytes = usize::try_from(number("a size in bytes")?)
                        .map_err(|_| bad("must not be negative".into()))?
                }
                "socket.request.max.bytes" => {
                    c.socket_request_max_bytes = usize::try_from(number("a size in bytes")?)
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad("must be positive".into()))?
                }
                "auto.create.topics.enable" => {
                    c.auto_create_topics = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(format!("`{value}` is not true or false"))),
                    }
                }
                "group.initial.rebalance.delay.ms" => {
                    c.group_initial_rebalance_delay_ms = number("a time in ms")?.max(0)
                }
                "group.min.session.timeout.ms" => {
                    c.group_min_session_timeout_ms = i32::try_from(number("a time in ms")?)
                        .map_err(|_| bad("out of range".into()))?
                }
                "group.max.session.timeout.ms" => {
                    c.group_max_session_timeout_ms = i32::try_from(number("a time in ms")?)
                        .map_err(|_| bad("out of range".into()))?
                }
                _ => warnings.push(format!(
                    "server.properties line {}: `{key}` is not used by this broker",
                    index + 1
                )),
            }
        }
        let (host, port) = advertised.unwrap_or_else(|| {
            let host = match c.listener_host.as_str() {
                "" | "0.0.0.0" => "localhost".to_string(),
                h => h.to_string(),
            };
            (host, c.listener_port)
        });
        (c.advertised_host, c.advertised_port) = (host, port);
        if c.listener_host.is_empty() {
            c.listener_host = "0.0.0.0".into();
        }
        Ok((c, warnings))
    }
}
