//! Step 4: 300 seeded schedules of transactional producers, zombies, hung producers and
//! coordinator crashes between steps — each checked for exactly-once's promises (see `sim`):
//! after recovery every transaction ends committed or aborted, never half, never mixed, and a
//! zombie's write never commits. A failure prints its seed; `KAFKALAB_SIM_SEED=<seed>` replays
//! just that one; `KAFKALAB_SIM_SCHEDULES=<n>` runs a longer soak.

mod sim;

use std::collections::BTreeMap;

const SCHEDULES: u64 = 300;

fn seeds() -> Vec<u64> {
    if let Ok(s) = std::env::var("KAFKALAB_SIM_SEED") {
        return vec![s.trim().parse().expect("KAFKALAB_SIM_SEED is a number")];
    }
    let n = std::env::var("KAFKALAB_SIM_SCHEDULES")
        .map(|s| {
            s.trim()
                .parse()
                .expect("KAFKALAB_SIM_SCHEDULES is a number")
        })
        .unwrap_or(SCHEDULES);
    (1..=n).collect()
}

#[test]
fn step4_simulated_crashes_never_leave_a_transaction_half_done() {
    let mut totals: BTreeMap<&'static str, u64> = BTreeMap::new();
    for seed in seeds() {
        let result = std::panic::catch_unwind(|| {
            let mut s = sim::Sim::new(seed);
            s.run();
            s.stats
        });
        match result {
            Ok(stats) => {
                for (k, v) in stats {
                    *totals.entry(k).or_default() += v;
                }
            }
            Err(e) => {
                eprintln!("transaction simulation failed with seed {seed}: replay with KAFKALAB_SIM_SEED={seed}");
                std::panic::resume_unwind(e);
            }
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
