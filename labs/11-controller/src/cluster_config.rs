//! Given: the broker keys that matter only in a cluster, with Kafka 2.6's defaults — how many
//! replicas a topic gets when a client does not say, and the internal offsets topic's shape.

use lab05_broker::ServerProperties;

/// `__consumer_offsets`' partition count is lab 07's constant: every broker must agree on it,
/// since a group's coordinator is found by hashing over it (`offsets.topic.num.partitions`).
pub use lab07_consumer_groups::offsets::OFFSETS_PARTITIONS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `default.replication.factor`: replicas of a topic created with replication factor −1
    /// or by auto-creation. Kafka's default is 1.
    pub default_replication_factor: i16,
    /// `offsets.topic.replication.factor`: replicas of `__consumer_offsets`. Kafka's default
    /// is 3, and Kafka 2.6 refuses to create the topic until that many brokers are alive.
    pub offsets_topic_replication_factor: i16,
    /// `transaction.state.log.replication.factor`: replicas of `__transaction_state` (lab 14),
    /// created the same way as the offsets topic. Kafka's default is 3.
    pub transaction_state_log_replication_factor: i16,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            default_replication_factor: 1,
            offsets_topic_replication_factor: 3,
            transaction_state_log_replication_factor: 3,
        }
    }
}

impl ClusterConfig {
    /// The keys from the broker's `server.properties`; Kafka's defaults for those not set.
    pub fn from_properties(p: &ServerProperties) -> lab05_broker::Result<ClusterConfig> {
        let d = ClusterConfig::default();
        let factor = |key: &str, default: i16| -> lab05_broker::Result<i16> {
            match p.number(key, "a replication factor")? {
                None => Ok(default),
                Some(n) => i16::try_from(n)
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| p.invalid(key, "must be between 1 and 32767")),
            }
        };
        Ok(ClusterConfig {
            default_replication_factor: factor(
                "default.replication.factor",
                d.default_replication_factor,
            )?,
            offsets_topic_replication_factor: factor(
                "offsets.topic.replication.factor",
                d.offsets_topic_replication_factor,
            )?,
            transaction_state_log_replication_factor: factor(
                "transaction.state.log.replication.factor",
                d.transaction_state_log_replication_factor,
            )?,
        })
    }
}
