//! Step 5: the controller under a seeded simulation — 300+ schedules of topic creations and
//! deletions, broker crashes and restarts, lost sessions (lost controllers) and delayed
//! messages, each checked for the controller's promises (see `sim`). A failure prints its
//! seed; `KAFKALAB_SIM_SEED=<seed>` replays just that one; `KAFKALAB_SIM_SCHEDULES=<n>` runs a
//! longer soak.

mod sim;

use std::collections::BTreeMap;

use kafkalab_testkit::sim::{replayable, seeds};
use sim::{Faults, Sim};

const SCHEDULES: u64 = 300;

fn run_seed(seed: u64, f: Faults, totals: &mut BTreeMap<&'static str, u64>) {
    let s = replayable("controller", seed, || {
        let mut s = Sim::new(seed, f);
        s.run();
        s
    });
    *totals.entry("schedules").or_insert(0) += 1;
    for (k, v) in s.stats {
        *totals.entry(k).or_insert(0) += v;
    }
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
