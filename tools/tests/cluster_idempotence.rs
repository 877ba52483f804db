//! Issue 18 in a cluster: the idempotent producer's sequence checks follow leadership. Three
//! `kafka-server-start` processes with `zookeeper.connect`, a topic with replication factor 3
//! and `min.insync.replicas=2`, and the very batches a client would retry, written by hand
//! (`cluster_idempotence.py`, so no client library decides to drop or reorder a retry):
//!
//! 1. InitProducerId at a broker that leads nothing: an id with that broker's id in its high
//!    bits (`broker.id << 40 | n`).
//! 2. Two batches to the leader (acks=all), then `kill -9` of the leader. At the new leader,
//!    which only *replicated* them, a retry of either is answered with its original offset and
//!    not stored again (Kafka: `Log.appendAsFollower` updates the producer state); a gap gets
//!    OUT_OF_ORDER_SEQUENCE_NUMBER; a newer epoch starts at 0; the old epoch is then fenced
//!    (INVALID_PRODUCER_EPOCH).
//! 3. The first leader starts again (after a kill -9: its producer state is rebuilt from its
//!    log), catches up, and the second leader is killed: the third leader still knows the
//!    last batch.
//!
//! The kills follow a fixed order; nothing is timed. All traffic stays on 127.0.0.1.

mod common;

use kafkalab_testkit as support;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use common::{create_topic, start_cluster, wait_for_state, wait_until, whole_isr, Broker, Zk};
use serde_json::Value;
use support::coordinator::Coordinator;
use support::real_zookeeper::RealZooKeeper;

const TOPIC: &str = "idempotent";
const NONE: i64 = 0;
const OUT_OF_ORDER_SEQUENCE_NUMBER: i64 = 45;
const INVALID_PRODUCER_EPOCH: i64 = 47;

fn driver(args: &[String]) -> Value {
    let out = Command::new("timeout")
        .args(["60", "python3"])
        .arg(support::repo().join("tools/tests/cluster_idempotence.py"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| {
        Value::String(format!(
            "{e}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

/// One batch of `count` records from `(producer_id, epoch)` starting at `seq`, sent to the
/// leader of partition 0 as ZooKeeper names it; sent again while the answer says the cluster
/// is still settling (not the leader yet, not enough replicas). (error code, base offset).
fn produce(
    zk: &mut Zk,
    brokers: &BTreeMap<i32, Broker>,
    producer: (i64, i16),
    seq: i32,
    count: i32,
) -> (i64, i64) {
    wait_until(&format!("a produce answer for seq {seq}"), 60, || {
        let leader = zk.state(TOPIC, 0).map_or(-1, |s| s.leader);
        let Some(broker) = brokers.get(&leader) else {
            return Err(format!("no live leader ({leader})"));
        };
        let args = [
            "produce".to_string(),
            broker.address(),
            TOPIC.to_string(),
            producer.0.to_string(),
            producer.1.to_string(),
            seq.to_string(),
            count.to_string(),
        ];
        let answer = driver(&args);
        let error = answer["error"].as_i64().ok_or(answer.to_string())?;
        match error {
            // NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS(_AFTER_APPEND)
            6 | 7 | 19 | 20 => Err(answer.to_string()),
            _ => Ok((error, answer["base_offset"].as_i64().unwrap_or(-1))),
        }
    })
}

/// Kills the leader of partition 0 and waits for another one; returns the killed one's id.
fn kill_leader(zk: &mut Zk, brokers: &mut BTreeMap<i32, Broker>) -> i32 {
    let state = whole_isr(zk, TOPIC, brokers, 60).unwrap_or_else(|e| panic!("{e}"));
    let old = state.leader;
    brokers.get_mut(&old).unwrap().kill();
    let new = wait_for_state(zk, TOPIC, 0, 60, |s| s.leader > 0 && s.leader != old);
    println!(
        "killed leader {old}; {} leads (ISR {:?})",
        new.leader, new.isr
    );
    old
}

fn retried_batches_are_stored_once(root: &std::path::Path, address: &str, chroot: &str) {
    let mut brokers = start_cluster(root, address, chroot, &[1, 2, 3], "");
    let mut zk = Zk::connect(address, chroot);
    let bootstrap = brokers[&1].address();
    create_topic(
        &bootstrap,
        TOPIC,
        &[
            "--replication-factor",
            "3",
            "--config",
            "min.insync.replicas=2",
        ],
    );
    let first = whole_isr(&mut zk, TOPIC, &brokers, 60).unwrap_or_else(|e| panic!("{e}"));

    // 1. Any broker hands out ids; this one leads nothing of the topic.
    let (asked, _) = brokers.iter().find(|(id, _)| **id != first.leader).unwrap();
    let init = driver(&["init".to_string(), brokers[asked].address()]);
    assert_eq!(init["error"], 0, "{init}");
    let producer_id = init["producer_id"].as_i64().unwrap();
    assert_eq!(producer_id >> 40, i64::from(*asked), "{init}");
    let epoch0 = (producer_id, 0);
    let epoch1 = (producer_id, 1);

    // 2. Two batches at the first leader; retried at the second.
    assert_eq!(produce(&mut zk, &brokers, epoch0, 0, 5), (NONE, 0));
    assert_eq!(produce(&mut zk, &brokers, epoch0, 5, 5), (NONE, 5));
    let killed = kill_leader(&mut zk, &mut brokers);
    assert_eq!(produce(&mut zk, &brokers, epoch0, 5, 5), (NONE, 5), "retry");
    assert_eq!(produce(&mut zk, &brokers, epoch0, 0, 5), (NONE, 0), "retry");
    assert_eq!(
        produce(&mut zk, &brokers, epoch0, 20, 5).0,
        OUT_OF_ORDER_SEQUENCE_NUMBER,
        "a gap"
    );
    assert_eq!(produce(&mut zk, &brokers, epoch1, 0, 5), (NONE, 10));
    assert_eq!(
        produce(&mut zk, &brokers, epoch0, 10, 5).0,
        INVALID_PRODUCER_EPOCH,
        "the old epoch"
    );

    // 3. The first leader back (rebuilt from its log), the second killed.
    brokers.get_mut(&killed).unwrap().restart();
    let second = kill_leader(&mut zk, &mut brokers);
    assert_eq!(
        produce(&mut zk, &brokers, epoch1, 0, 5),
        (NONE, 10),
        "retry"
    );
    assert_eq!(produce(&mut zk, &brokers, epoch1, 5, 5), (NONE, 15));
    assert_eq!(
        produce(&mut zk, &brokers, epoch1, 5, 5),
        (NONE, 15),
        "retry"
    );
    brokers.get_mut(&second).unwrap().restart();
    whole_isr(&mut zk, TOPIC, &brokers, 60).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn retried_batches_are_stored_once_across_failovers_on_our_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    retried_batches_are_stored_once(dir.path(), &coordinator.address(), "/idempotence");
}

#[test]
fn retried_batches_are_stored_once_across_failovers_on_debians_zookeeper() {
    if !RealZooKeeper::installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zk")).unwrap();
    let zookeeper = RealZooKeeper::start(&dir.path().join("zk"));
    retried_batches_are_stored_once(dir.path(), &zookeeper.address(), "/idempotence");
}
