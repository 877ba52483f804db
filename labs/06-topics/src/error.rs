//! The one error type of lab 06.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("topic setting {key}={value}: {reason}")]
    InvalidTopicConfig {
        key: String,
        value: String,
        reason: String,
    },
    #[error("{path}: {reason}; fix or delete the file and restart")]
    StoredConfig { path: String, reason: String },
    #[error("broker: {0}")]
    Broker(#[from] lab05_broker::Error),
    #[error("log: {0}")]
    Log(#[from] lab03_partition_log::Error),
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot reach the broker at {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connection to {addr}: {reason}")]
    Wire { addr: String, reason: String },
    #[error("{what}: the broker answered {code} ({name}){}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Kafka {
        what: String,
        code: i16,
        name: &'static str,
        message: Option<String>,
    },
    #[error("{0}")]
    Client(String),
}

pub type Result<T> = std::result::Result<T, Error>;
