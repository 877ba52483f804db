//! Given: the failover keys of `server.properties`, with Kafka 2.6's defaults.
//!
//! | key                                       | default | what                                   |
//! |-------------------------------------------|---------|----------------------------------------|
//! | `unclean.leader.election.enable`          | false   | may an out-of-sync replica lead        |
//! | `controlled.shutdown.enable`              | true    | ask the controller before stopping     |
//! | `controlled.shutdown.max.retries`         | 3       | asks after the first                   |
//! | `controlled.shutdown.retry.backoff.ms`    | 5000    | wait between asks                      |
//! | `auto.leader.rebalance.enable`            | true    | hand leadership back to preferred      |
//! | `leader.imbalance.check.interval.seconds` | 300     | how often the controller checks        |
//! | `leader.imbalance.per.broker.percentage`  | 10      | imbalance tolerated per broker         |

use std::time::Duration;

use lab05_broker::ServerProperties;

use crate::controller_client::ControlledShutdownConfig;
use crate::failover_rules::Kafka26FailoverRules;
use crate::preferred_replica_imbalance::DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverConfig {
    pub rules: Kafka26FailoverRules,
    pub controlled_shutdown: ControlledShutdownConfig,
    /// `leader.imbalance.check.interval.seconds`; `None` when auto rebalance is off.
    pub leader_imbalance_check_interval: Option<Duration>,
}

impl FailoverConfig {
    pub fn from_properties(p: &ServerProperties) -> lab05_broker::Result<FailoverConfig> {
        let mut rules = Kafka26FailoverRules::default();
        let mut shutdown = ControlledShutdownConfig::default();
        if let Some(v) = p.flag("unclean.leader.election.enable")? {
            rules.unclean_leader_election_enable = v;
        }
        if let Some(v) = p.flag("auto.leader.rebalance.enable")? {
            rules.auto_leader_rebalance_enable = v;
        }
        if let Some(v) = p.number("leader.imbalance.per.broker.percentage", "a percentage")? {
            rules.leader_imbalance_per_broker_percentage =
                u32::try_from(v).ok().filter(|v| *v <= 100).ok_or_else(|| {
                    p.invalid("leader.imbalance.per.broker.percentage", "must be 0 to 100")
                })?;
        }
        if let Some(v) = p.flag("controlled.shutdown.enable")? {
            shutdown.enable = v;
        }
        if let Some(v) = p.number("controlled.shutdown.max.retries", "a number")? {
            shutdown.max_retries = u32::try_from(v)
                .ok()
                .filter(|v| *v <= 1000)
                .ok_or_else(|| p.invalid("controlled.shutdown.max.retries", "must be 0 to 1000"))?;
        }
        if let Some(v) = p.number("controlled.shutdown.retry.backoff.ms", "a number of ms")? {
            let ms = u64::try_from(v).map_err(|_| {
                p.invalid(
                    "controlled.shutdown.retry.backoff.ms",
                    "must not be negative",
                )
            })?;
            shutdown.retry_backoff = Duration::from_millis(ms);
        }
        let interval = match p.number("leader.imbalance.check.interval.seconds", "seconds")? {
            None => DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS,
            Some(s) if s >= 1 => s as u64,
            Some(_) => {
                return Err(p.invalid(
                    "leader.imbalance.check.interval.seconds",
                    "must be at least 1",
                ))
            }
        };
        let leader_imbalance_check_interval = rules
            .auto_leader_rebalance_enable
            .then_some(Duration::from_secs(interval));
        Ok(FailoverConfig {
            rules,
            controlled_shutdown: shutdown,
            leader_imbalance_check_interval,
        })
    }
}
