//! What the labs' seeded simulations share: their dice.

/// SplitMix64: a tiny seeded generator, enough for schedules. The same seed gives the same
/// schedule on every machine, which is what `KAFKALAB_SIM_SEED` replays.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    // The generator's own word, as the simulations call it; an Iterator that never ends would
    // say less.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// The seeds a simulation test runs: `default` schedules from `base` on, unless
/// `KAFKALAB_SIM_SEED=<seed>` replays just one or `KAFKALAB_SIM_SCHEDULES=<n>` runs `n` (a
/// longer soak than CI's).
pub fn seeds(base: u64, default: u64) -> Vec<u64> {
    if let Ok(s) = std::env::var("KAFKALAB_SIM_SEED") {
        return vec![s.trim().parse().expect("KAFKALAB_SIM_SEED is a number")];
    }
    let n = std::env::var("KAFKALAB_SIM_SCHEDULES")
        .map(|s| {
            s.trim()
                .parse()
                .expect("KAFKALAB_SIM_SCHEDULES is a number")
        })
        .unwrap_or(default);
    (0..n).map(|i| base + i).collect()
}

/// Runs one seeded schedule. If it panics (a promise broken), says which seed and how to
/// replay it before the panic goes on: a schedule that failed once fails the same way again.
pub fn replayable<T>(name: &str, seed: u64, schedule: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(schedule)) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "{name}: simulation failed with seed {seed}: replay with KAFKALAB_SIM_SEED={seed}"
            );
            std::panic::resume_unwind(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_dice() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..5).map(|_| a.below(100)).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.below(100)).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::new(8);
        assert_ne!(xs, (0..5).map(|_| c.below(100)).collect::<Vec<_>>());
    }

    #[test]
    fn replayable_passes_the_value_through_and_the_panic_on() {
        assert_eq!(replayable("t", 3, || 42), 42);
        let caught = std::panic::catch_unwind(|| replayable("t", 3, || panic!("broken")));
        assert!(caught.is_err());
    }
}
