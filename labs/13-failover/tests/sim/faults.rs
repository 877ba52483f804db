//! The simulation's dice and its knobs.

/// SplitMix64: a tiny seeded generator, enough for schedules.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

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
