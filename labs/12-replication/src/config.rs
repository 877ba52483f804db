//! The settings the replica rules read, with Kafka 2.6's names and defaults.

/// `replica.lag.time.max.ms`: a follower that has not caught up with the leader's log end for
/// this long leaves the ISR. Kafka 2.6's default is 30 s: KIP-537 raised it from 10 s in 2.5,
/// with `zookeeper.session.timeout.ms` (6 s → 18 s), because short network or GC hiccups kept
/// shrinking and re-growing ISRs.
pub const DEFAULT_REPLICA_LAG_TIME_MAX_MS: i64 = 30_000;

/// `min.insync.replicas` (a topic or broker setting): how many in-sync replicas an `acks=all`
/// write needs. Kafka's default is 1; the slides' cluster uses 2 with replication factor 3.
pub const DEFAULT_MIN_INSYNC_REPLICAS: usize = 1;

/// `ReplicaManager.IsrChangePropagationBlackOut`: an ISR change is announced once no other
/// change happened for this long…
pub const ISR_CHANGE_PROPAGATION_BLACKOUT_MS: i64 = 5_000;
/// …or once this long has passed since the last announcement (`IsrChangePropagationInterval`),
/// so a flapping ISR cannot delay the news for ever, nor flood the controller.
pub const ISR_CHANGE_PROPAGATION_INTERVAL_MS: i64 = 60_000;
/// How often the `isr-change-propagation` task looks (Kafka schedules it every 2.5 s).
pub const ISR_CHANGE_PROPAGATION_CHECK_MS: i64 = 2_500;

/// The replica rules' settings for one broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaConfig {
    /// `replica.lag.time.max.ms`.
    pub replica_lag_time_max_ms: i64,
    /// `min.insync.replicas`. (Kafka reads it per topic from the log's config; one value for
    /// every partition is a shortcut of this lab.)
    pub min_insync_replicas: usize,
}

impl Default for ReplicaConfig {
    fn default() -> ReplicaConfig {
        ReplicaConfig {
            replica_lag_time_max_ms: DEFAULT_REPLICA_LAG_TIME_MAX_MS,
            min_insync_replicas: DEFAULT_MIN_INSYNC_REPLICAS,
        }
    }
}

impl ReplicaConfig {
    /// How often the `isr-expiration` task runs `maybeShrinkIsr`: half the lag time, as
    /// Kafka's `ReplicaManager.startup` schedules it. A follower therefore leaves the ISR
    /// between `replica.lag.time.max.ms` and 1.5 times that after it stopped catching up.
    pub fn isr_expiration_period_ms(&self) -> i64 {
        (self.replica_lag_time_max_ms / 2).max(1)
    }
}
