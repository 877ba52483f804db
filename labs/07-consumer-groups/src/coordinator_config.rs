//! The coordinator's settings: the `group.*` keys of the broker's `server.properties`, with
//! Kafka's defaults.

use lab05_broker::ServerProperties;

/// The coordinator's settings, with Kafka's broker keys and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorConfig {
    /// `group.min.session.timeout.ms`.
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`.
    pub max_session_timeout_ms: i32,
    /// `group.initial.rebalance.delay.ms`: a new group waits this long for more members before
    /// its first rebalance completes, so three consumers started together rebalance once.
    pub initial_rebalance_delay_ms: i64,
}

impl CoordinatorConfig {
    /// Lab 07's keys (`group.*`) from the broker's `server.properties`; the defaults for those
    /// not set.
    pub fn from_properties(p: &ServerProperties) -> lab05_broker::Result<CoordinatorConfig> {
        let d = CoordinatorConfig::default();
        let timeout = |key: &str, default: i32| -> lab05_broker::Result<i32> {
            match p.number(key, "a time in ms")? {
                None => Ok(default),
                Some(n) => i32::try_from(n).map_err(|_| p.invalid(key, "out of range")),
            }
        };
        Ok(CoordinatorConfig {
            min_session_timeout_ms: timeout(
                "group.min.session.timeout.ms",
                d.min_session_timeout_ms,
            )?,
            max_session_timeout_ms: timeout(
                "group.max.session.timeout.ms",
                d.max_session_timeout_ms,
            )?,
            initial_rebalance_delay_ms: p
                .number("group.initial.rebalance.delay.ms", "a time in ms")?
                .map_or(d.initial_rebalance_delay_ms, |n| n.max(0)),
        })
    }
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        CoordinatorConfig {
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
            initial_rebalance_delay_ms: 3_000,
        }
    }
}
