//! The simulation's dice and its knobs.

/// The shared dice (SplitMix64, seeded).
pub use kafkalab_testkit::sim::Rng;

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
