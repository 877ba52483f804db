//! Step 5: the failover checker (issue 14 item 3). Three brokers, a simulated ZooKeeper and
//! controller, kill -9 and restarts, isolations, slow disks; a producer with `acks=all` and
//! `min.insync.replicas=2`, two consumers below the high watermark (see `sim`). After healing,
//! every acknowledged record must be at its offset in every ISR member's log, nothing read may
//! change or vanish, and reads never go backwards. A failure prints its seed;
//! `KAFKALAB_SIM_SEED=<seed>` replays just that one; `KAFKALAB_SIM_SCHEDULES=<n>` soaks longer.

mod sim;

use std::collections::BTreeMap;

use kafkalab_testkit::sim::{replayable, seeds};
use lab13_failover::failover_checker::FailoverChecker;
use sim::{Faults, Sim, Truncation};

const SCHEDULES: u64 = 240;

/// Runs every seed; with `must_hold`, a seed whose check fails panics with its seed.
fn run_all(name: &str, seeds: Vec<u64>, f: Faults, must_hold: bool) -> BTreeMap<&'static str, u64> {
    let mut totals = BTreeMap::new();
    for seed in seeds {
        let (report, stats) = replayable(name, seed, || {
            let mut s = Sim::new(seed, f);
            let report = s.run();
            if must_hold && !report.is_valid() {
                panic!(
                    "{name}: seed {seed} broke the promise: {report:?}\nat the end: {}",
                    s.debug()
                );
            }
            // Only a healed cluster compares all three logs.
            if must_hold && !s.stats.contains_key("schedules settled") {
                panic!(
                    "{name}: seed {seed} did not settle after healing\nat the end: {}",
                    s.debug()
                );
            }
            (report, s.stats)
        });
        *totals.entry("schedules").or_insert(0) += 1;
        if !report.is_valid() {
            *totals.entry("schedules caught").or_insert(0) += 1;
        }
        for (k, v) in stats {
            *totals.entry(k).or_insert(0) += v;
        }
    }
    eprintln!("{name}: {totals:#?}");
    totals
}

#[test]
fn step5_the_checker_counts_lost_changed_duplicated_and_nonmonotonic() {
    let mut c = FailoverChecker::new();
    c.acknowledged(100, 0);
    c.acknowledged(101, 1);
    c.acknowledged(102, 2);
    c.consumed(0, 0, 100);
    c.consumed(0, 1, 101);
    c.consumed(1, 0, 100);
    let good: &[u64] = &[100, 101, 102];
    let report = c.check(&[good, good]);
    assert!(report.is_valid(), "{report:?}");
    assert_eq!((report.acknowledged, report.read), (3, 2));
    // A follower that kept a diverged tail: 102 lost on it, 101 changed (read), 100 twice.
    let bad: &[u64] = &[100, 7, 100];
    let report = c.check(&[good, bad]);
    assert_eq!((report.lost, report.changed, report.duplicated), (2, 1, 1));
    // Reading backwards, and an offset that reads differently the second time.
    c.consumed(0, 1, 999);
    let report = c.check(&[good]);
    assert_eq!((report.nonmonotonic, report.changed), (1, 1));
}

#[test]
fn step5_no_acknowledged_record_is_lost_when_brokers_die() {
    let totals = run_all("failover", seeds(1, SCHEDULES), Faults::default(), true);
    if totals["schedules"] >= 100 {
        for key in [
            "kills",
            "restarts",
            "isolations",
            "slow disks",
            "leader changes",
            "records truncated",
            "acks",
            "read",
        ] {
            assert!(
                totals.get(key).copied().unwrap_or(0) > 0,
                "no {key} in any schedule"
            );
        }
        assert_eq!(totals.get("unclean elections"), None);
    }
}

/// Harsher: slow links, more kills, longer isolations and stalls.
#[test]
fn step5_no_acknowledged_record_is_lost_with_slow_links_and_long_faults() {
    let f = Faults {
        max_delay: 8,
        kill: 15,
        isolate: 10,
        slow_disk: 10,
        max_fault_ticks: 80,
        lag_ms: 3_000,
        produce_timeout_ms: 4_000,
        ..Faults::default()
    };
    run_all("harsh", seeds(1_000_000, SCHEDULES / 3), f, true);
}

/// The checker can fail: a follower that keeps its log to its LEO after a leader change
/// (no OffsetsForLeaderEpoch) keeps a diverged tail, and the checker must see it.
#[test]
fn step5_keeping_a_diverged_tail_is_caught() {
    let f = Faults {
        truncation: Truncation::KeepLogEnd,
        ..Faults::default()
    };
    let totals = run_all("keep the log end", seeds(1, 60), f, false);
    if totals["schedules"] >= 60 {
        assert!(
            totals.get("schedules caught").copied().unwrap_or(0) > 0,
            "{totals:#?}"
        );
    }
}

/// The checker can fail: with `unclean.leader.election.enable=true` an out-of-sync replica
/// may lead, and acknowledged records are lost.
#[test]
fn step5_unclean_leader_election_is_caught_losing_records() {
    let f = Faults {
        unclean_leader_election: true,
        kill: 20,
        restart: 20,
        ..Faults::default()
    };
    let totals = run_all("unclean election", seeds(1, 60), f, false);
    if totals["schedules"] >= 60 {
        assert!(
            totals.get("unclean elections").copied().unwrap_or(0) > 0,
            "{totals:#?}"
        );
        assert!(totals.get("lost").copied().unwrap_or(0) > 0, "{totals:#?}");
    }
}

/// The checker can fail: cutting to the own high watermark (Kafka before 0.11) drops
/// committed records a follower had but its lagging high watermark did not cover; when that
/// follower leads next, they are gone (KIP-101's first scenario).
#[test]
fn step5_truncating_to_the_high_watermark_is_caught() {
    let f = Faults {
        truncation: Truncation::HighWatermark,
        ..Faults::default()
    };
    let totals = run_all("truncate to the HW", seeds(1, SCHEDULES), f, false);
    if totals["schedules"] >= SCHEDULES {
        assert!(
            totals.get("schedules caught").copied().unwrap_or(0) > 0,
            "{totals:#?}"
        );
    }
}
