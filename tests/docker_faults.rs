//! Faults in the `lab` flavor's cluster in containers (tests/lab_containers: our ensemble on
//! three hosts, our brokers on three more, started through `testcontainers`), each while a
//! real producer (kafka-python) on this machine sends through the brokers' ports on 127.0.0.1 with
//! `acks=all` to a topic of three partitions with three replicas (`min.insync.replicas=2`):
//!
//! - `kill -9`: `docker kill -s KILL` of the broker leading a partition, started again after a
//!   while; then of a ZooKeeper server while zkCli.sh writes through another (`docker exec`);
//! - a network partition: `docker network disconnect` of a leader's container, then `connect`;
//! - a pause: `docker pause` of a leader's container (a stalled server, like a long GC), then
//!   `unpause`.
//!
//! After the fault heals, a consumer reads every partition back. Each test prints the records
//! acknowledged, failed (never acknowledged: allowed) and lost, and fails on any acknowledged
//! record that is not read back, naming it, its partition and offset, and the broker that led.
//! The schedule (which partition, when, how long) comes from a seed, printed; replay one with
//! `KAFKALAB_FAULT_SEED=<seed>`. Every wait is bounded.

mod lab_containers;

use std::time::{Duration, Instant};

use kafkalab_testkit as support;
use lab_containers::acks::{self, Producer, Tally};
use lab_containers::{LabCluster, PartitionState};
use support::sim::Rng;

const TOPIC: &str = "faults";
const PARTITIONS: u32 = 3;
/// The producer's load: about 12 records a second for 30 s.
const RECORDS: u32 = 360;
const PRODUCE_SECONDS: u32 = 30;

/// The seed of a test's schedule: `KAFKALAB_FAULT_SEED`, or the test's own fixed one.
fn seed(default: u64) -> u64 {
    std::env::var("KAFKALAB_FAULT_SEED")
        .map(|s| s.trim().parse().expect("KAFKALAB_FAULT_SEED is a number"))
        .unwrap_or(default)
}

/// One fault's schedule: which partition's leader, when (after the producer starts) and for
/// how long. Held longer than the brokers' 6 s ZooKeeper session (and ZooKeeper's 2 s tick on
/// top), so leadership moves.
#[derive(Debug)]
struct Schedule {
    seed: u64,
    partition: u32,
    start: Duration,
    hold: Duration,
}

impl Schedule {
    fn new(seed: u64) -> Schedule {
        let mut rng = Rng::new(seed);
        Schedule {
            seed,
            partition: rng.below(PARTITIONS as u64) as u32,
            start: Duration::from_millis(2_000 + rng.below(4_000)),
            hold: Duration::from_millis(10_000 + rng.below(6_000)),
        }
    }
}

/// Sleeps until `at` after `zero` (at once if that is past).
fn sleep_until(zero: Instant, at: Duration) {
    if let Some(left) = at.checked_sub(zero.elapsed()) {
        std::thread::sleep(left);
    }
}

/// A cluster with the topic created, and its partitions before any fault.
fn cluster_with_topic(label: &str) -> Option<(LabCluster, Vec<PartitionState>)> {
    if !acks::clients_present() {
        return None;
    }
    let cluster = LabCluster::start(label)?;
    cluster.create_topic(TOPIC, PARTITIONS);
    let before = cluster
        .partitions(TOPIC)
        .expect("the topic's partitions in Metadata");
    Some((cluster, before))
}

/// A fault of one broker: Docker's command that makes it and the one that heals it.
struct Fault {
    what: &'static str,
    inject: (&'static str, fn(&LabCluster, &str)),
    heal: (&'static str, fn(&LabCluster, &str)),
}

/// Starts a cluster and the producer, injects `fault` on the broker leading the schedule's
/// partition, heals it, runs `then` (more faults of its own), and counts.
fn broker_fault(
    label: &str,
    default_seed: u64,
    fault: Fault,
    then: impl FnOnce(&LabCluster, u64, Instant),
) {
    let Some((cluster, before)) = cluster_with_topic(label) else {
        return;
    };
    let schedule = Schedule::new(seed(default_seed));
    let broker = cluster.broker(leader_of(&before, schedule.partition));
    let zero = Instant::now();
    let producer = Producer::start(&cluster, TOPIC, label, RECORDS, PRODUCE_SECONDS);
    sleep_until(zero, schedule.start);
    eprintln!(
        "t={:.1}s {} {broker}",
        zero.elapsed().as_secs_f64(),
        fault.inject.0
    );
    (fault.inject.1)(&cluster, &broker);
    sleep_until(zero, schedule.start + schedule.hold);
    // What the other brokers' Metadata says just before the heal.
    let during = cluster.partitions(TOPIC).unwrap_or_default();
    eprintln!(
        "t={:.1}s {} {broker}",
        zero.elapsed().as_secs_f64(),
        fault.heal.0
    );
    (fault.heal.1)(&cluster, &broker);
    then(&cluster, schedule.seed, zero);

    let after = cluster.wait_for_partitions(TOPIC, PARTITIONS, 2, Duration::from_secs(90));
    let produced = producer.finish();
    let read = acks::read_back(&cluster, TOPIC);
    let tally = Tally::of(&produced, &read, &before);
    // The healed broker catching up is not what this test checks; say how far it got.
    let end = Instant::now() + Duration::from_secs(30);
    let mut last = cluster.partitions(TOPIC).unwrap_or_default();
    while Instant::now() < end && !last.iter().all(|p| p.isr.len() == 3) {
        std::thread::sleep(Duration::from_millis(500));
        last = cluster.partitions(TOPIC).unwrap_or_default();
    }
    eprintln!(
        "{} (seed {}, {schedule:?}, broker {broker}): acknowledged {}, failed {} (never \
         acknowledged), unresolved {}, read back {} of them (complete: {}, high watermarks \
         {}); producer ran {:.1}s\n  partitions before: {before:?}\n  during the fault: \
         {during:?}\n  after the heal: {after:?}\n  in the end: {last:?}\n  in ZooKeeper in \
         the end:\n{}",
        fault.what,
        schedule.seed,
        tally.acknowledged,
        tally.failed,
        tally.unresolved,
        tally.read,
        read.complete,
        read.high_watermarks,
        produced.seconds,
        cluster.zookeeper_view().trim_end(),
    );
    if let Some((i, error)) = produced.failed.iter().next() {
        eprintln!("  first failure: record {i}: {error}");
    }
    assert!(
        tally.acknowledged > 0,
        "{}: nothing was acknowledged at all (seed {})",
        fault.what,
        schedule.seed
    );
    assert!(
        tally.lost.is_empty(),
        "{} (seed {}): {} acknowledged records lost:\n  {}\nreplay with \
         KAFKALAB_FAULT_SEED={}",
        fault.what,
        schedule.seed,
        tally.lost.len(),
        tally.lost.join("\n  "),
        schedule.seed
    );
}

fn leader_of(before: &[PartitionState], partition: u32) -> i64 {
    before
        .iter()
        .find(|p| p.partition == partition)
        .expect("the partition")
        .leader
}

/// A ZooKeeper server (the leader or a follower, by the seed) killed while zkCli.sh writes
/// through one of the two others, then started again: every create acknowledged is on it.
/// The brokers keep their sessions on the other servers meanwhile.
fn kill_a_zookeeper_server(cluster: &LabCluster, seed: u64, zero: Instant) {
    let mut rng = Rng::new(seed ^ 0x2b);
    let zookeepers = cluster.zookeepers();
    let zk_leader = cluster.ensemble_leader();
    let victim = if rng.chance(500) {
        zk_leader.clone()
    } else {
        zookeepers
            .iter()
            .find(|z| **z != zk_leader)
            .unwrap()
            .clone()
    };
    let others: Vec<String> = zookeepers.into_iter().filter(|z| *z != victim).collect();
    eprintln!(
        "t={:.1}s docker kill -s KILL {victim} (the ensemble's leader: {zk_leader})",
        zero.elapsed().as_secs_f64()
    );
    cluster.kill(&victim);
    cluster.wait_for_modes(&others, &["follower", "leader"]);
    let writes = 20;
    let mut script = String::from("create /kafkalab-kill \"\"\n");
    for i in 0..writes {
        script.push_str(&format!("create /kafkalab-kill/w{i:02} {i}\n"));
    }
    let written = support::docker::zk_cli_script_in(&others[0], &script, Duration::from_secs(60));
    let acknowledged = written.matches("Created /kafkalab-kill/").count();
    eprintln!(
        "t={:.1}s docker start {victim}",
        zero.elapsed().as_secs_f64()
    );
    cluster.restart(&victim);
    cluster.wait_for_ensemble(&["follower", "follower", "leader"]);
    // The restarted server catches up from the leader; `sync` makes its read wait for that.
    let listing = support::docker::zk_cli_script_in(
        &victim,
        "sync /kafkalab-kill\nls /kafkalab-kill\n",
        Duration::from_secs(60),
    );
    let lost: Vec<String> = (0..acknowledged)
        .map(|i| format!("w{i:02}"))
        .filter(|w| !listing.contains(w.as_str()))
        .collect();
    eprintln!(
        "ZooKeeper kill -9 (seed {seed}): {acknowledged} of {writes} creates acknowledged \
         through {}, lost on the restarted {victim}: {lost:?}",
        others[0]
    );
    assert_eq!(
        acknowledged, writes,
        "two of three servers are a majority: every create is acknowledged:\n{written}"
    );
    assert!(lost.is_empty(), "{listing}\n{}", cluster.logs(&victim));
}

#[test]
fn kill_9_of_a_leaders_broker_and_of_a_zookeeper_server_loses_no_acknowledged_record() {
    let fault = Fault {
        what: "kill -9",
        inject: ("docker kill -s KILL", LabCluster::kill),
        heal: ("docker start", LabCluster::restart),
    };
    broker_fault("kill", 11, fault, kill_a_zookeeper_server);
}

#[test]
fn a_network_partition_of_a_leaders_broker_loses_no_acknowledged_record() {
    let fault = Fault {
        what: "network partition",
        inject: ("docker network disconnect", LabCluster::disconnect),
        heal: ("docker network connect", LabCluster::connect),
    };
    broker_fault("partition", 12, fault, |_, _, _| {});
}

#[test]
fn a_paused_leaders_broker_loses_no_acknowledged_record() {
    let fault = Fault {
        what: "pause",
        inject: ("docker pause", LabCluster::pause),
        heal: ("docker unpause", LabCluster::unpause),
    };
    broker_fault("pause", 13, fault, |_, _, _| {});
}
