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
        self.next() % n
    }
    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// How busy and how hostile a run is (chances per tick, in per mille).
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// Ticks with produces and faults; then a quiet end.
    pub ticks: i64,
    pub tick_ms: i64,
    /// `replica.lag.time.max.ms`, scaled down so a one-minute schedule sees several shrinks.
    pub lag_ms: i64,
    pub min_insync_replicas: usize,
    pub produce: u64,
    pub consume: u64,
    /// Per follower and tick.
    pub pause: u64,
    pub max_pause_ticks: u64,
    /// The controller writes the next leader epoch and sends LeaderAndIsr.
    pub controller_bump: u64,
    /// A message takes 0..=max_delay ticks, in order per link.
    pub max_delay: u64,
    /// `timeout.ms` of a produce.
    pub produce_timeout_ms: i64,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            ticks: 600,
            tick_ms: 100,
            lag_ms: 3_000,
            min_insync_replicas: 2,
            produce: 200,
            consume: 200,
            pause: 6,
            max_pause_ticks: 120,
            controller_bump: 4,
            max_delay: 3,
            produce_timeout_ms: 2_000,
        }
    }
}
