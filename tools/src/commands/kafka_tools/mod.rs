//! The Kafka-style tools: topics, configs, delete-records, console producer and consumer,
//! consumer groups, the two perf tests, and `kafka-dump-log` (which reads files, not brokers). Each runs
//! our lab 06 clients on a small tokio runtime, so they work against our broker and, speaking
//! the same protocol, against Apache Kafka.

pub mod configs;
pub mod console_consumer;
pub mod console_producer;
pub mod consumer_groups;
pub mod consumer_perf;
pub mod delete_records;
pub mod dump_log;
pub mod idempotent_producer;
pub mod leader_election;
pub mod message_formatter;
pub mod producer_perf;
pub mod properties_file;
pub mod topics;

use std::collections::BTreeMap;
use std::future::Future;

use crate::error::Error;

/// Runs `f` on a fresh runtime (the tools are short-lived processes).
pub fn block_on<T>(f: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Tool(format!("cannot start the runtime: {e}")))?
        .block_on(f)
}

/// `--property` pairs as a map; unknown keys are warned about, as Kafka's tools ignore them.
pub fn properties(
    pairs: &[(String, String)],
    known: &[&str],
    flag: &str,
) -> BTreeMap<String, String> {
    for (k, _) in pairs {
        if !known.contains(&k.as_str()) {
            eprintln!(
                "WARN: {flag} {k} is not used by this tool (known: {})",
                known.join(", ")
            );
        }
    }
    pairs.iter().cloned().collect()
}

/// A boolean property: true/false, as Kafka reads them.
pub fn flag(props: &BTreeMap<String, String>, key: &str) -> Result<bool, Error> {
    match props.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "true" => Ok(true),
        Some(v) if v == "false" => Ok(false),
        Some(v) => Err(Error::Tool(format!("{key}={v}: use true or false"))),
    }
}

/// A number property with a default.
pub fn number<T: std::str::FromStr>(
    props: &BTreeMap<String, String>,
    key: &str,
    default: T,
) -> Result<T, Error> {
    match props.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| Error::Tool(format!("{key}={v}: not a number"))),
    }
}

/// `acks`: 0, 1, -1 or all.
pub fn acks(value: &str) -> Result<i16, Error> {
    match value.trim() {
        "all" | "-1" => Ok(-1),
        "0" => Ok(0),
        "1" => Ok(1),
        other => Err(Error::Tool(format!("acks={other}: use 0, 1, -1 or all"))),
    }
}

/// Kafka's own seconds-and-millis time format in the perf tools: `yyyy-MM-dd HH:mm:ss:SSS`.
pub fn kafka_time(t: std::time::SystemTime) -> String {
    let t: chrono::DateTime<chrono::Local> = t.into();
    t.format("%Y-%m-%d %H:%M:%S:%3f").to_string()
}
