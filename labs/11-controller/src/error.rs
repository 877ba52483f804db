//! The one error type of lab 11.

/// Everything that can go wrong while reading Kafka's znodes, a `zookeeper.connect` string or
/// an assignment request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `zookeeper.connect` could not be parsed; the reason says which part.
    #[error("zookeeper.connect {value:?}: {reason}")]
    BadConnectString { value: String, reason: String },
    /// A znode held bytes that are not the JSON Kafka writes there.
    #[error("{znode}: {reason} (is this a Kafka 2.x cluster's znode?)")]
    BadZnodeData { znode: &'static str, reason: String },
    /// A znode's JSON has a `version` this lab does not read.
    #[error("{znode}: unsupported version {version}")]
    UnsupportedVersion { znode: &'static str, version: i64 },
    /// An endpoint string is not `LISTENER://host:port`.
    #[error("endpoint {endpoint:?}: {reason}")]
    BadEndpoint { endpoint: String, reason: String },
    /// Kafka's InvalidPartitionsException.
    #[error("number of partitions must be larger than 0, not {partitions}")]
    InvalidPartitions { partitions: i32 },
    /// Kafka's InvalidReplicationFactorException (error code 38 on the wire).
    #[error("replication factor: {replication_factor} larger than available brokers: {brokers}, or not above 0")]
    InvalidReplicationFactor {
        replication_factor: i32,
        brokers: usize,
    },
    /// `/brokers/topics/<topic>` exists already (TOPIC_ALREADY_EXISTS on the wire).
    #[error("topic {0:?} already exists")]
    TopicExists(String),
    /// No `/brokers/topics/<topic>` (UNKNOWN_TOPIC_OR_PARTITION on the wire).
    #[error("topic {0:?} does not exist")]
    UnknownTopic(String),
    /// A ZooKeeper request failed (unreachable servers, a lost session, an error code).
    #[error("ZooKeeper: {0}")]
    ZooKeeper(String),
}

pub type Result<T> = std::result::Result<T, Error>;
