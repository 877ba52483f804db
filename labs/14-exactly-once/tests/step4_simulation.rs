//! Step 4: 300 seeded schedules of transactional producers, zombies, hung producers and
//! coordinator crashes between steps — each checked for exactly-once's promises (see `sim`):
//! after recovery every transaction ends committed or aborted, never half, never mixed, and a
//! zombie's write never commits. A failure prints its seed; `KAFKALAB_SIM_SEED=<seed>` replays
//! just that one; `KAFKALAB_SIM_SCHEDULES=<n>` runs a longer soak.

mod sim;

use std::collections::BTreeMap;

use kafkalab_testkit::sim::{replayable, seeds};

const SCHEDULES: u64 = 300;

#[test]
fn step4_simulated_crashes_never_leave_a_transaction_half_done() {
    let mut totals: BTreeMap<&'static str, u64> = BTreeMap::new();
    for seed in seeds(1, SCHEDULES) {
        let stats = replayable("transactions", seed, || {
            let mut s = sim::Sim::new(seed);
            s.run();
            s.stats
        });
        for (k, v) in stats {
            *totals.entry(k).or_default() += v;
        }
    }
    eprintln!("{totals:#?}");
    // The schedules must exercise what they check (unless one seed is replayed).
    if totals["schedules"] >= 100 {
        for key in [
            "coordinator crashes",
            "transactions committed",
            "transactions aborted",
            "InitProducerId fenced an open transaction",
            "zombie writes refused",
            "appends lost in a crash",
        ] {
            assert!(
                totals.get(key).copied().unwrap_or(0) > 0,
                "no schedule had {key}: {totals:#?}"
            );
        }
    }
}
