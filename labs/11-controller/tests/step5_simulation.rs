//! Step 5: the controller under a seeded simulation — 300+ schedules of topic creations and
//! deletions, broker crashes and restarts, lost sessions (lost controllers) and delayed
//! messages, each checked for the controller's promises (see `sim`). A failure prints its
//! seed; `KAFKALAB_SIM_SEED=<seed>` replays just that one; `KAFKALAB_SIM_SCHEDULES=<n>` runs a
//! longer soak.

mod sim;

use std::collections::BTreeMap;

use sim::{Faults, Sim};

const SCHEDULES: u64 = 300;

fn run_seed(seed: u64, f: Faults, totals: &mut BTreeMap<&'static str, u64>) {
    let result = std::panic::catch_unwind(|| {
        let mut s = Sim::new(seed, f);
        s.run();
        s
    });
    match result {
        Ok(s) => {
            *totals.entry("schedules").or_insert(0) += 1;
            for (k, v) in s.stats {
                *totals.entry(k).or_insert(0) += v;
            }
        }
        Err(e) => {
            eprintln!("simulation failed with seed {seed}: replay with KAFKALAB_SIM_SEED={seed}");
            std::panic::resume_unwind(e);
        }
    }
}

fn seeds(base: u64, default: u64) -> Vec<u64> {
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

fn run_all(name: &str, seeds: Vec<u64>, f: Faults) {
    let mut totals = BTreeMap::new();
    for seed in seeds {
        run_seed(seed, f, &mut totals);
    }
    eprintln!("{name}: {totals:?}");
}

#[test]
fn step5_simulated_three_broker_clusters_keep_brokers_and_zookeeper_in_agreement() {
    run_all("three brokers", seeds(1, SCHEDULES), Faults::default());
}

#[test]
fn step5_simulated_five_broker_clusters_with_more_faults() {
    let f = Faults {
        brokers: 5,
        fault_ticks: 80,
        crash: 80,
        expire_session: 60,
        max_delay: 8,
        ..Faults::default()
    };
    run_all("five brokers", seeds(1_000_000, SCHEDULES / 3), f);
}
