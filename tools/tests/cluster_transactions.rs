//! Issue 18 in a cluster: transactions. Three `kafka-server-start` processes with
//! `zookeeper.connect`, two topics of 3 partitions with replication factor 3, and a real
//! transactional client (confluent-kafka, `cluster_transactions.py`):
//!
//! - `init_transactions` finds its coordinator (FindCoordinator key type 1: the leader of the
//!   id's `__transaction_state` partition, which the first request creates);
//! - a consume-transform-produce loop commits some transactions and aborts others, each with
//!   `send_offsets_to_transaction`: the markers go to the leaders of the 3 output partitions
//!   (mostly other brokers than the coordinator: WriteTxnMarkers between brokers) and to the
//!   group's `__consumer_offsets` partition;
//! - a `read_committed` consumer sees exactly the committed records, `read_uncommitted` sees
//!   the aborted ones too; the group's committed offsets are those of the last committed
//!   transaction;
//! - a second producer with the same `transactional.id` fences the first, whose commit fails
//!   with a fatal PRODUCER_FENCED / INVALID_PRODUCER_EPOCH error.
//!
//! Then a `kill -9` of the transaction coordinator's broker while a producer runs one
//! transaction after another (`kill_the_coordinator_mid_run`): the controller makes another
//! replica lead the id's `__transaction_state` partition, that broker loads it and finishes
//! what the dead one had decided, the client finds its new coordinator and goes on. Every
//! transaction ends committed or aborted, never half: each one's three records (one per
//! partition, mostly on different leaders) are all visible to `read_committed` or none is.
//!
//! And a `kill -9` of a group's coordinator between TxnOffsetCommit and EndTxn
//! (`kill_the_group_coordinator_mid_transaction`): the offsets are in the group's
//! `__consumer_offsets` partition as a transactional batch, replicated before TxnOffsetCommit
//! was answered; the new leader loads the partition, and the marker makes them the group's
//! offsets (commit) or drops them (abort).
//!
//! Nothing is timed; every wait is bounded. All traffic stays on 127.0.0.1.

mod common;

use kafkalab_testkit as support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::{start_cluster, wait_until, whole_isr_of, Zk};
use serde_json::Value;
use support::coordinator::Coordinator;
use support::real_zookeeper::RealZooKeeper;

const TOPIC: &str = "txn";
const ROUNDS: usize = 4;

fn driver(args: &[&str]) -> Value {
    let out = Command::new("timeout")
        .args(["300", "python3"])
        .arg(support::repo().join("tools/tests/cluster_transactions.py"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        panic!(
            "driver: {e}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `kafka-topics --create` of a topic of 3 partitions with 3 replicas, tried again while the
/// brokers do not all know each other yet.
fn create_topic(bootstrap: &str, topic: &str) {
    wait_until(&format!("topic {topic} created"), 30, || {
        let out = Command::new(support::tools_bin())
            .args(["kafka-topics", "--bootstrap-server", bootstrap])
            .args(["--create", "--topic", topic, "--partitions", "3"])
            .args(["--replication-factor", "3"])
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
}

/// Tells the Python driver its broker was killed, and reads the JSON of what it then saw.
fn driver_after_kill(
    child: &mut std::process::Child,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
) -> Value {
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "killed").unwrap();
    drop(stdin);
    let last = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    let _ = child.wait();
    let answer: Value =
        serde_json::from_str(last.trim()).unwrap_or_else(|e| panic!("driver: {e}: {last}"));
    println!("{answer}");
    answer
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn transactions_in_a_cluster(root: &std::path::Path, address: &str, chroot: &str) {
    let brokers = start_cluster(root, address, chroot, &[1, 2, 3], "");
    let mut zk = Zk::connect(address, chroot);
    let bootstrap = brokers[&1].address();
    for topic in [format!("{TOPIC}-in"), format!("{TOPIC}-out")] {
        create_topic(&bootstrap, &topic);
        for p in 0..3 {
            whole_isr_of(&mut zk, &topic, p, &brokers, 60).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    let all = brokers
        .values()
        .map(|b| b.address())
        .collect::<Vec<_>>()
        .join(",");
    let answer = driver(&["ctp", &all, TOPIC, &ROUNDS.to_string()]);
    println!("{answer}");

    let committed = strings(&answer["committed"]);
    let aborted = strings(&answer["aborted"]);
    assert_eq!(committed.len(), 6 * ROUNDS.div_ceil(2) + 1, "{answer}");
    assert_eq!(strings(&answer["read_committed"]), committed, "{answer}");
    let uncommitted: BTreeSet<String> = strings(&answer["read_uncommitted"]).into_iter().collect();
    for v in committed.iter().chain(&aborted) {
        assert!(
            uncommitted.contains(v),
            "read_uncommitted misses {v}: {answer}"
        );
    }
    assert_eq!(
        answer["committed_offsets"], answer["expected_offsets"],
        "{answer}"
    );
    let fenced = answer["zombie_error"].as_str().unwrap_or_default();
    assert!(
        ["_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"].contains(&fenced),
        "{answer}"
    );
    assert_eq!(answer["zombie_fatal"], true, "{answer}");
    // The markers crossed brokers: some broker answered WriteTxnMarkers for partitions it leads.
    let coordinators: usize = brokers
        .values()
        .map(|b| b.log_count("coordinates __transaction_state-"))
        .sum();
    assert!(
        coordinators > 0,
        "no broker loaded a __transaction_state partition"
    );
}

#[test]
fn transactions_commit_abort_and_fence_in_a_cluster_on_our_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    transactions_in_a_cluster(dir.path(), &coordinator.address(), "/transactions");
}

#[test]
fn transactions_commit_abort_and_fence_in_a_cluster_on_debians_zookeeper() {
    if !RealZooKeeper::installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zk")).unwrap();
    let zookeeper = RealZooKeeper::start(&dir.path().join("zk"));
    transactions_in_a_cluster(dir.path(), &zookeeper.address(), "/transactions");
}

/// `kill -9` of the coordinator of a producer that runs transactions back to back.
fn kill_the_coordinator_mid_run(root: &std::path::Path, address: &str, chroot: &str) {
    let mut brokers = start_cluster(root, address, chroot, &[1, 2, 3], "");
    let mut zk = Zk::connect(address, chroot);
    let topic = format!("{TOPIC}-kill");
    create_topic(&brokers[&1].address(), &topic);
    for p in 0..3 {
        whole_isr_of(&mut zk, &topic, p, &brokers, 60).unwrap_or_else(|e| panic!("{e}"));
    }
    let all = brokers
        .values()
        .map(|b| b.address())
        .collect::<Vec<_>>()
        .join(",");
    let tid = "kill-coordinator";
    let mut child = Command::new("timeout")
        .args(["300", "python3"])
        .arg(support::repo().join("tools/tests/cluster_transactions.py"))
        .args(["loop", &all, &topic, tid])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    assert_eq!(first, "ready", "the producer did not start");

    // The coordinator: the leader of the id's __transaction_state partition, by ZooKeeper.
    let p = lab14_exactly_once::transaction_log::partition_for(tid, 50);
    let state = whole_isr_of(&mut zk, "__transaction_state", p, &brokers, 60)
        .unwrap_or_else(|e| panic!("{e}"));
    let coordinator = state.leader;
    brokers.get_mut(&coordinator).unwrap().kill();
    let new = common::wait_for_state(&mut zk, "__transaction_state", p, 60, |s| {
        s.leader > 0 && s.leader != coordinator
    });
    println!(
        "killed coordinator {coordinator}; {} coordinates __transaction_state-{p}",
        new.leader
    );
    let answer = driver_after_kill(&mut child, &mut lines);

    let committed: BTreeSet<String> = strings(&answer["read_committed"]).into_iter().collect();
    let uncommitted: BTreeSet<String> = strings(&answer["read_uncommitted"]).into_iter().collect();
    let outcomes = answer["outcomes"].as_object().unwrap();
    assert!(answer["after_kill"].as_i64().unwrap_or(0) > 5, "{answer}");
    for (k, outcome) in outcomes {
        let records: Vec<String> = (0..3).map(|p| format!("t{k}-{p}")).collect();
        let visible = records.iter().filter(|r| committed.contains(*r)).count();
        // Never half.
        assert!(
            visible == 0 || visible == 3,
            "transaction {k} half visible: {answer}"
        );
        match outcome.as_str().unwrap() {
            "committed" => assert_eq!(visible, 3, "transaction {k}: {answer}"),
            "aborted" => assert_eq!(visible, 0, "transaction {k}: {answer}"),
            other => panic!("transaction {k} ended {other}: {answer}"),
        }
        if outcome == "aborted" {
            assert!(
                records.iter().all(|r| !committed.contains(r)),
                "transaction {k}: {answer}"
            );
        }
    }
    for r in &committed {
        assert!(uncommitted.contains(r), "{r}: {answer}");
    }
}

#[test]
fn every_transaction_ends_committed_or_aborted_after_kill_9_of_the_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    kill_the_coordinator_mid_run(dir.path(), &coordinator.address(), "/kill-coordinator");
}

/// `kill -9` of the group coordinator (not the transaction coordinator) after the producer's
/// TxnOffsetCommit was answered, before its EndTxn (`outcome`: "commit" or "abort").
fn kill_the_group_coordinator_mid_transaction(
    root: &std::path::Path,
    address: &str,
    chroot: &str,
    outcome: &str,
) {
    let mut brokers = start_cluster(root, address, chroot, &[1, 2, 3], "");
    let mut zk = Zk::connect(address, chroot);
    let topic = format!("{TOPIC}-offsets");
    create_topic(&brokers[&1].address(), &topic);
    let all = brokers
        .values()
        .map(|b| b.address())
        .collect::<Vec<_>>()
        .join(",");
    let tid = format!("offsets-{outcome}");
    driver(&["prepare", &all, &topic, &tid]);
    let p = lab14_exactly_once::transaction_log::partition_for(&tid, 50);
    let txn_coordinator = whole_isr_of(&mut zk, "__transaction_state", p, &brokers, 60)
        .unwrap_or_else(|e| panic!("{e}"))
        .leader;
    // A group whose coordinator is another broker than the transaction coordinator.
    let (group, offsets_partition, group_coordinator) = (0..50)
        .map(|i| format!("offsets-{outcome}-{i}"))
        .find_map(|g| {
            let p = lab07_consumer_groups::offsets::partition_for_group(&g, 50);
            let leader = whole_isr_of(&mut zk, "__consumer_offsets", p, &brokers, 60)
                .unwrap_or_else(|e| panic!("{e}"))
                .leader;
            (leader != txn_coordinator).then_some((g, p, leader))
        })
        .expect("every group on the transaction coordinator");

    let mut child = Command::new("timeout")
        .args(["300", "python3"])
        .arg(support::repo().join("tools/tests/cluster_transactions.py"))
        .args(["offsets", &all, &topic, &tid, &group, outcome])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().and_then(|l| l.ok()).unwrap_or_default();
    assert_eq!(
        first, "offsets-sent",
        "the producer did not send its offsets"
    );
    brokers.get_mut(&group_coordinator).unwrap().kill();
    let new = common::wait_for_state(&mut zk, "__consumer_offsets", offsets_partition, 60, |s| {
        s.leader > 0 && s.leader != group_coordinator
    });
    println!(
        "killed group coordinator {group_coordinator} of {group}; {} leads __consumer_offsets-{offsets_partition}",
        new.leader
    );
    let answer = driver_after_kill(&mut child, &mut lines);
    let expected = match outcome {
        "commit" => serde_json::json!({"0": 42, "1": 7}),
        // No committed offset at all (librdkafka's OFFSET_INVALID).
        _ => serde_json::json!({"0": -1001, "1": -1001}),
    };
    assert_eq!(answer["committed_offsets"], expected, "{answer}");
    assert!(
        brokers[&new.leader].log_count("loaded the group offsets") > 0,
        "the new leader did not load __consumer_offsets-{offsets_partition}"
    );
}

#[test]
fn transactional_offsets_survive_kill_9_of_the_group_coordinator_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    kill_the_group_coordinator_mid_transaction(
        dir.path(),
        &coordinator.address(),
        "/offsets-commit",
        "commit",
    );
}

#[test]
fn transactional_offsets_of_an_aborted_transaction_stay_uncommitted_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    kill_the_group_coordinator_mid_transaction(
        dir.path(),
        &coordinator.address(),
        "/offsets-abort",
        "abort",
    );
}
