//! The simulation's dice and its knobs.

/// The shared dice (SplitMix64, seeded).
pub use kafkalab_testkit::sim::Rng;

/// How a follower cuts its log when it gets a new leader. Only `LeaderEpoch` is Kafka 2.6;
/// the others are deliberately broken variants that the checker must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truncation {
    /// OffsetsForLeaderEpoch and the leader epoch cache (KIP-101, KIP-279).
    LeaderEpoch,
    /// Keep the log as it is (to its LEO) and fetch from there: a diverged tail stays.
    KeepLogEnd,
    /// Cut to the own high watermark (Kafka before 0.11).
    HighWatermark,
}

/// How busy and how hostile a run is (chances per tick, in per mille).
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// Ticks with produces and faults; then everything heals and a quiet end.
    pub ticks: i64,
    pub tick_ms: i64,
    /// `replica.lag.time.max.ms`, scaled down.
    pub lag_ms: i64,
    pub min_insync_replicas: usize,
    pub produce: u64,
    pub consume: u64,
    /// A live broker is killed (kill -9: memory lost, its log and checkpoints kept).
    pub kill: u64,
    /// A dead broker restarts.
    pub restart: u64,
    /// A broker is cut from every other broker and from ZooKeeper (its session expires).
    pub isolate: u64,
    /// A broker's disk stalls: it handles nothing until it recovers.
    pub slow_disk: u64,
    pub max_fault_ticks: u64,
    /// A message takes 0..=max_delay ticks, in order per link.
    pub max_delay: u64,
    pub produce_timeout_ms: i64,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election: bool,
    pub truncation: Truncation,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            ticks: 400,
            tick_ms: 100,
            lag_ms: 1_000,
            min_insync_replicas: 2,
            produce: 400,
            consume: 300,
            kill: 8,
            restart: 40,
            isolate: 5,
            slow_disk: 5,
            max_fault_ticks: 40,
            max_delay: 3,
            produce_timeout_ms: 1_500,
            unclean_leader_election: false,
            truncation: Truncation::LeaderEpoch,
        }
    }
}
