//! Step 4: the whole protocol under a seeded simulation — 500 schedules of drops, delays,
//! duplicates, partitions and crashes (with unsynced writes lost), each checked for ZAB's
//! promises. A failure prints its seed; `KAFKALAB_SIM_SEED=<seed>` replays just that one.

mod common;
mod sim;

use sim::{Faults, Sim};

const SCHEDULES: u64 = 500;

fn run_seed(seed: u64, f: Faults) {
    let result = std::panic::catch_unwind(|| {
        let mut s = Sim::new(seed, f);
        s.run();
        (s.leaders.len(), s.acked.len())
    });
    if let Err(e) = result {
        eprintln!("simulation failed with seed {seed}: replay with KAFKALAB_SIM_SEED={seed}");
        std::panic::resume_unwind(e);
    }
}

fn seeds(base: u64) -> Vec<u64> {
    match std::env::var("KAFKALAB_SIM_SEED") {
        Ok(s) => vec![s.trim().parse().expect("KAFKALAB_SIM_SEED is a number")],
        Err(_) => (0..SCHEDULES).map(|i| base + i).collect(),
    }
}

#[test]
fn step4_simulated_three_server_ensembles_keep_every_acknowledged_write() {
    for seed in seeds(1) {
        run_seed(seed, Faults::default());
    }
}

#[test]
fn step4_simulated_five_server_ensembles_survive_two_failures() {
    let f = Faults {
        servers: 5,
        ..Faults::default()
    };
    for seed in seeds(1_000_000).into_iter().take(100) {
        run_seed(seed, f);
    }
}
