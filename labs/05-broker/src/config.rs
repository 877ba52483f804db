//! Lab 05's settings, read from `server.properties` with Kafka's own keys and defaults, so the
//! slides' and the book's files work unchanged. Bad values stop the broker at start with the
//! line and key named. Only the keys of this lab are here: later labs read theirs from the same
//! [`ServerProperties`].

use std::path::PathBuf;

use lab01_record_batch::TimestampType;
use lab03_partition_log::config::parse_timestamp_type;
use lab03_partition_log::{CleanupPolicy, CompressionType};

use crate::error::Result;
use crate::listeners::{Listener, PLAINTEXT};
use crate::properties::ServerProperties;

/// `PartialEq` but not `Eq`: `log.cleaner.min.cleanable.ratio` is a fraction.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    /// `broker.id`.
    pub broker_id: i32,
    /// `listeners`: where to accept connections, e.g. `PLAINTEXT://0.0.0.0:9092`. With
    /// several listeners, these four are the inter-broker listener's.
    pub listener_host: String,
    pub listener_port: u16,
    /// `advertised.listeners`: the address clients are told to connect to.
    pub advertised_host: String,
    pub advertised_port: u16,
    /// Every listener of `listeners`; empty means the one listener above, named PLAINTEXT
    /// (tests build configs that way). Read it through [`BrokerConfig::all_listeners`].
    pub listeners: Vec<Listener>,
    /// `inter.broker.listener.name`: the listener other brokers are reached on.
    pub inter_broker_listener: String,
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
    /// `log.retention.check.interval.ms`: how often the log manager applies retention.
    pub retention_check_interval_ms: u64,
    /// `log.flush.interval.ms`: how often the log manager fsyncs every log; `None` (Kafka's
    /// default) leaves flushing to the OS and to shutdown.
    pub flush_interval_ms: Option<u64>,
    /// `message.max.bytes`: the largest record batch the broker accepts.
    pub message_max_bytes: usize,
    /// `socket.request.max.bytes`: the largest request frame.
    pub socket_request_max_bytes: usize,
    /// `auto.create.topics.enable`.
    pub auto_create_topics: bool,
    /// `log.cleanup.policy`: `delete`, `compact` or `compact,delete` for topics without their own.
    pub cleanup_policy: CleanupPolicy,
    /// `log.cleaner.enable`: whether the log cleaner runs at all.
    pub cleaner_enable: bool,
    /// `log.cleaner.backoff.ms`: how often the cleaner looks for a log dirty enough to clean.
    pub cleaner_backoff_ms: u64,
    /// `log.cleaner.delete.retention.ms`: how long tombstones stay in a compacted log.
    pub delete_retention_ms: i64,
    /// `log.cleaner.min.cleanable.ratio`: the dirty fraction that makes a log worth cleaning.
    pub min_cleanable_ratio: f64,
    /// `log.cleaner.min.compaction.lag.ms`: how long a record stays uncompacted at least.
    pub min_compaction_lag_ms: i64,
    /// `compression.type`: the codec batches are stored with (`producer`: as they came).
    pub compression_type: CompressionType,
    /// `log.message.timestamp.type`: `CreateTime` (the producer's) or `LogAppendTime`.
    pub message_timestamp_type: TimestampType,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            broker_id: 0,
            listener_host: "0.0.0.0".into(),
            listener_port: 9092,
            advertised_host: "localhost".into(),
            advertised_port: 9092,
            listeners: Vec::new(),
            inter_broker_listener: PLAINTEXT.to_string(),
            log_dir: PathBuf::from("/tmp/kafka-logs"),
            num_partitions: 1,
            segment_bytes: 1 << 30,
            retention_hours: 168,
            retention_bytes: -1,
            retention_check_interval_ms: 300_000,
            flush_interval_ms: None,
            message_max_bytes: 1_048_588,
            socket_request_max_bytes: 104_857_600,
            auto_create_topics: true,
            cleanup_policy: CleanupPolicy::DELETE,
            cleaner_enable: true,
            cleaner_backoff_ms: 15_000,
            delete_retention_ms: 86_400_000,
            min_cleanable_ratio: 0.5,
            min_compaction_lag_ms: 0,
            compression_type: CompressionType::Producer,
            message_timestamp_type: TimestampType::CreateTime,
        }
    }
}

/// The `log.cleaner.*`, `compression.type` and `log.message.timestamp.type` keys: the topic
/// settings' broker-wide defaults (lab 03's `LogConfig`, lab 06's topic overrides).
fn log_defaults(p: &ServerProperties, c: &mut BrokerConfig) -> Result<()> {
    if let Some(v) = p.get("log.cleanup.policy") {
        c.cleanup_policy = CleanupPolicy::parse(v).ok_or_else(|| {
            p.invalid(
                "log.cleanup.policy",
                "use delete, compact or compact,delete",
            )
        })?;
    }
    c.cleaner_enable = p.flag("log.cleaner.enable")?.unwrap_or(c.cleaner_enable);
    c.cleaner_backoff_ms = read(
        p,
        "log.cleaner.backoff.ms",
        "a time in ms",
        c.cleaner_backoff_ms,
        |n| {
            u64::try_from(n)
                .ok()
                .filter(|n| *n > 0)
                .ok_or("must be positive")
        },
    )?;
    let not_negative = |n: i64| {
        if n < 0 {
            Err("must not be negative")
        } else {
            Ok(n)
        }
    };
    c.delete_retention_ms = read(
        p,
        "log.cleaner.delete.retention.ms",
        "a time in ms",
        c.delete_retention_ms,
        not_negative,
    )?;
    c.min_compaction_lag_ms = read(
        p,
        "log.cleaner.min.compaction.lag.ms",
        "a time in ms",
        c.min_compaction_lag_ms,
        not_negative,
    )?;
    if let Some(v) = p.get("log.cleaner.min.cleanable.ratio") {
        c.min_cleanable_ratio = v
            .parse::<f64>()
            .ok()
            .filter(|r| (0.0..=1.0).contains(r))
            .ok_or_else(|| {
                p.invalid(
                    "log.cleaner.min.cleanable.ratio",
                    format!("`{v}` is not a fraction between 0 and 1"),
                )
            })?;
    }
    if let Some(v) = p.get("compression.type") {
        c.compression_type = CompressionType::parse(v).ok_or_else(|| {
            p.invalid(
                "compression.type",
                "use uncompressed, gzip, snappy, lz4, zstd or producer",
            )
        })?;
    }
    if let Some(v) = p.get("log.message.timestamp.type") {
        c.message_timestamp_type = parse_timestamp_type(v).ok_or_else(|| {
            p.invalid(
                "log.message.timestamp.type",
                "use CreateTime or LogAppendTime",
            )
        })?;
    }
    Ok(())
}

/// Reads `key` as a number that `convert` accepts, or keeps `default`.
fn read<T>(
    p: &ServerProperties,
    key: &str,
    what: &str,
    default: T,
    convert: impl Fn(i64) -> std::result::Result<T, &'static str>,
) -> Result<T> {
    match p.number(key, what)? {
        None => Ok(default),
        Some(n) => convert(n).map_err(|reason| p.invalid(key, reason)),
    }
}

/// `listeners`, `advertised.listeners`, `listener.security.protocol.map` and
/// `inter.broker.listener.name`: every listener, and the inter-broker one's name.
fn listeners(p: &ServerProperties, d: &BrokerConfig) -> Result<(Vec<Listener>, String)> {
    let default = Listener {
        name: PLAINTEXT.to_string(),
        host: d.listener_host.clone(),
        port: d.listener_port,
        advertised_host: d.advertised_host.clone(),
        advertised_port: d.advertised_port,
        security_protocol: PLAINTEXT.to_string(),
    };
    crate::listeners::from_properties(p, default)
}

/// `log.dirs` (or the older `log.dir`): the first directory listed.
fn log_dir(p: &ServerProperties, d: &BrokerConfig) -> Result<PathBuf> {
    let key = if p.get("log.dirs").is_some() {
        "log.dirs"
    } else {
        "log.dir"
    };
    match p.get(key) {
        None => Ok(d.log_dir.clone()),
        Some(v) => match v.split(',').next().unwrap_or_default().trim() {
            "" => Err(p.invalid(key, "empty")),
            first => Ok(PathBuf::from(first)),
        },
    }
}

impl BrokerConfig {
    /// Lab 05's keys from `p`; the keys it does not know are left for other labs.
    pub fn from_properties(p: &ServerProperties) -> Result<BrokerConfig> {
        let d = BrokerConfig::default();
        let (listeners, inter_broker_listener) = listeners(p, &d)?;
        let inter = listeners
            .iter()
            .find(|l| l.name == inter_broker_listener)
            .expect("listeners() checks the inter-broker listener is one of them")
            .clone();
        let positive = |n: i64| u64::try_from(n).ok().filter(|n| *n > 0);
        let mut config = BrokerConfig {
            broker_id: read(p, "broker.id", "a broker id", d.broker_id, |n| {
                i32::try_from(n).map_err(|_| "out of range")
            })?,
            listener_host: inter.host,
            listener_port: inter.port,
            advertised_host: inter.advertised_host,
            advertised_port: inter.advertised_port,
            listeners,
            inter_broker_listener,
            log_dir: log_dir(p, &d)?,
            num_partitions: read(p, "num.partitions", "a number of partitions", 1, |n| {
                u32::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("must be at least 1")
            })?,
            segment_bytes: read(
                p,
                "log.segment.bytes",
                "a size in bytes",
                d.segment_bytes,
                |n| {
                    u64::try_from(n)
                        .ok()
                        .filter(|n| *n >= 14)
                        .ok_or("must be at least 14 bytes")
                },
            )?,
            retention_hours: read(p, "log.retention.hours", "a number of hours", 168, Ok)?,
            retention_bytes: read(p, "log.retention.bytes", "a size in bytes", -1, Ok)?,
            retention_check_interval_ms: read(
                p,
                "log.retention.check.interval.ms",
                "a time in ms",
                d.retention_check_interval_ms,
                |n| positive(n).ok_or("must be positive"),
            )?,
            flush_interval_ms: read(p, "log.flush.interval.ms", "a time in ms", None, |n| {
                positive(n).map(Some).ok_or("must be positive")
            })?,
            message_max_bytes: read(
                p,
                "message.max.bytes",
                "a size in bytes",
                d.message_max_bytes,
                |n| usize::try_from(n).map_err(|_| "must not be negative"),
            )?,
            socket_request_max_bytes: read(
                p,
                "socket.request.max.bytes",
                "a size in bytes",
                d.socket_request_max_bytes,
                |n| positive(n).map(|n| n as usize).ok_or("must be positive"),
            )?,
            auto_create_topics: p
                .flag("auto.create.topics.enable")?
                .unwrap_or(d.auto_create_topics),
            ..d.clone()
        };
        log_defaults(p, &mut config)?;
        Ok(config)
    }

    /// Every listener the broker binds: `listeners`, or the single listener of the four
    /// `listener_*`/`advertised_*` fields, named PLAINTEXT, when it is empty.
    pub fn all_listeners(&self) -> Vec<Listener> {
        if !self.listeners.is_empty() {
            return self.listeners.clone();
        }
        vec![Listener {
            name: self.inter_broker_listener.clone(),
            host: self.listener_host.clone(),
            port: self.listener_port,
            advertised_host: self.advertised_host.clone(),
            advertised_port: self.advertised_port,
            security_protocol: PLAINTEXT.to_string(),
        }]
    }

    /// The address clients on the listener `name` are told, `None` when this broker has no
    /// such listener. Without a name (a request not from a connection) and with a single
    /// listener, the one advertised address.
    pub fn advertised_on(&self, name: Option<&str>) -> Option<(String, u16)> {
        let single = || Some((self.advertised_host.clone(), self.advertised_port));
        match name {
            _ if self.listeners.is_empty() => single(),
            None => single(),
            Some(name) => self
                .listeners
                .iter()
                .find(|l| l.name == name)
                .map(|l| (l.advertised_host.clone(), l.advertised_port)),
        }
    }

    /// The address to tell the client of the request being answered: the advertised address
    /// of the listener its connection arrived on.
    pub fn advertised_here(&self) -> (String, u16) {
        let current = crate::listeners::current();
        self.advertised_on(current.as_deref())
            .unwrap_or_else(|| (self.advertised_host.clone(), self.advertised_port))
    }

    /// Parses the text of a server.properties file for lab 05 alone. Returns the config and one
    /// warning per key this broker does not use.
    pub fn parse(text: &str) -> Result<(BrokerConfig, Vec<String>)> {
        let properties = ServerProperties::parse(text);
        let config = BrokerConfig::from_properties(&properties)?;
        Ok((config, properties.unused()))
    }
}
