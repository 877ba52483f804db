//! Step 4: the whole protocol under a seeded simulation — 500 schedules of drops, delays,
//! duplicates, partitions and crashes (with unsynced writes lost), each checked for ZAB's
//! promises. A failure prints its seed; `KAFKALAB_SIM_SEED=<seed>` replays just that one.

mod common;
mod sim;

use std::collections::BTreeMap;

use kafkalab_testkit::sim::{replayable, seeds};
use sim::{Faults, Sim};

const SCHEDULES: u64 = 500;

/// Runs one schedule; adds what happened to `totals`.
fn run_seed(seed: u64, f: Faults, totals: &mut BTreeMap<&'static str, u64>) {
    let s = replayable("ZAB", seed, || {
        let mut s = Sim::new(seed, f);
        s.run();
        s
    });
    *totals.entry("schedules").or_insert(0) += 1;
    *totals.entry("epochs established").or_insert(0) += s.leaders.len() as u64;
    *totals.entry("writes acknowledged").or_insert(0) += s.acked.len() as u64;
    for (k, v) in s.stats {
        *totals.entry(k).or_insert(0) += v;
    }
}

/// Runs the schedules and prints what they went through (a figure, not an assertion).
fn run_all(name: &str, seeds: Vec<u64>, f: Faults) {
    let started = std::time::Instant::now();
    let mut totals = BTreeMap::new();
    for seed in seeds {
        run_seed(seed, f, &mut totals);
    }
    eprintln!("{name}: {totals:?} in {:?}", started.elapsed());
}

#[test]
fn step4_simulated_three_server_ensembles_keep_every_acknowledged_write() {
    run_all("three servers", seeds(1, SCHEDULES), Faults::default());
}

#[test]
fn step4_simulated_five_server_ensembles_survive_two_failures() {
    let f = Faults {
        servers: 5,
        ..Faults::default()
    };
    let n = seeds(1_000_000, SCHEDULES).len().div_ceil(5);
    let seeds = seeds(1_000_000, SCHEDULES).into_iter().take(n).collect();
    run_all("five servers", seeds, f);
}
