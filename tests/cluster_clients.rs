//! Real clients on `kafkalab cluster` (lab 11): a fresh cluster of three brokers with our
//! ensemble, and again with Debian's ZooKeeper. kcat sees three brokers; a 6-partition topic's
//! leaders are spread over the three, and `kafka-topics --describe` through any broker shows
//! every topic with its settings, also one that lives on another broker; confluent-kafka (librdkafka, murmur2 partitioner) and
//! kafka-python put every key where murmur2 says and read everything back, through a consumer
//! group whose coordinator is the leader of its `__consumer_offsets` partition. After
//! `cluster kill broker2` (replication factor 1) its partitions are leaderless and a producer
//! gets retriable errors within its delivery timeout, not a hang; after `cluster start broker2`
//! every partition is served again. All traffic stays on 127.0.0.1.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{free_block, kafkalab, ok, status, text, Down};
use kafkalab_testkit as support;
use serde_json::Value;

const PER_CLIENT: usize = 300;

fn python(args: &[&str]) -> Value {
    let script = support::repo().join("tests/cluster_clients.py");
    let out = support::run_ok(
        Command::new("timeout")
            .args(["150", "python3"])
            .arg(script)
            .args(args),
    );
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `zookeeper-cluster-state --json` through the runner.
fn zk_state(zookeeper: &str) -> Value {
    let out = kafkalab()
        .args([
            "zookeeper-cluster-state",
            "--json",
            "--zookeeper",
            zookeeper,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Partition → leader (−1 for none) of `topic`.
fn leaders(state: &Value, topic: &str) -> BTreeMap<i64, i64> {
    state["topics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == topic)
        .flat_map(|t| t["partitions"].as_array().unwrap().iter())
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["leader"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        match done() {
            Ok(()) => return,
            Err(seen) if Instant::now() >= deadline => {
                panic!("{what}: not within {limit:?}; last seen: {seen}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

fn clients_on_a_cluster(extra: &[&str]) {
    if !support::tool("kcat", "apt-get install kcat")
        || !support::python_module("confluent_kafka", "pip install confluent-kafka")
        || !support::python_module("kafka", "pip install kafka-python")
    {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("cluster");
    let base = free_block();
    let base_arg = base.to_string();
    let mut args = vec!["up", "--base-port", &base_arg];
    args.extend_from_slice(extra);
    let _down = Down(dir.clone());
    println!("{}", ok(&dir, &args));
    let rows = status(&dir);
    let brokers: Vec<String> = rows
        .iter()
        .filter(|r| r.server.starts_with("broker"))
        .map(|r| r.address.clone())
        .collect();
    let zk: Vec<String> = rows
        .iter()
        .filter(|r| r.server.starts_with("zk"))
        .map(|r| r.address.clone())
        .collect();
    let chroot = std::fs::read_to_string(dir.join("broker1/server.properties"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("zookeeper.connect="))
        .and_then(|v| v.find('/').map(|i| v[i..].to_string()))
        .unwrap_or_default();
    let zookeeper = format!("{}{chroot}", zk.join(","));
    let bootstrap = brokers.join(",");
    assert_eq!(
        rows.iter()
            .filter(|r| r.role == "broker (controller)")
            .count(),
        1,
        "one broker is the controller: {rows:?}"
    );

    let metadata =
        support::run_ok(Command::new("kcat").args(["-b", &brokers[0], "-L", "-m", "10"]));
    assert!(metadata.contains(" 3 brokers:"), "kcat -L: {metadata}");
    for (i, address) in brokers.iter().enumerate() {
        assert!(
            metadata.contains(&format!("broker {} at {address}", i + 1)),
            "kcat -L: {metadata}"
        );
    }

    let topics = |args: &[&str]| {
        kafkalab()
            .args(["kafka-topics", "--bootstrap-server", &bootstrap])
            .args(args)
            .output()
            .unwrap()
    };
    let too_many = topics(&[
        "--create",
        "--topic",
        "wide",
        "--partitions",
        "1",
        "--replication-factor",
        "4",
    ]);
    assert!(!too_many.status.success());
    assert!(
        text(&too_many).contains("larger than available brokers: 3"),
        "{}",
        text(&too_many)
    );
    let created = topics(&[
        "--create",
        "--topic",
        "spread",
        "--partitions",
        "6",
        "--replication-factor",
        "1",
    ]);
    assert!(created.status.success(), "{}", text(&created));
    let state = zk_state(&zookeeper);
    let led = leaders(&state, "spread");
    assert_eq!(led.len(), 6, "{state}");
    let mut per_broker: BTreeMap<i64, usize> = BTreeMap::new();
    for leader in led.values() {
        *per_broker.entry(*leader).or_default() += 1;
    }
    assert_eq!(
        per_broker,
        BTreeMap::from([(1, 2), (2, 2), (3, 2)]),
        "two leaders per broker: {state}"
    );
    let described = topics(&["--describe", "--topic", "spread"]);
    let described = String::from_utf8_lossy(&described.stdout).into_owned();
    for (p, leader) in &led {
        let line = format!("Partition: {p}\tLeader: {leader}\tReplicas: {leader}\tIsr: {leader}");
        assert!(described.contains(&line), "{line} in {described}");
    }
    // A topic that lives on one broker, described through each broker in turn: every broker
    // knows it from the controller's metadata, and its settings from ZooKeeper.
    let created = topics(&[
        "--create",
        "--topic",
        "single",
        "--partitions",
        "1",
        "--replication-factor",
        "1",
        "--config",
        "retention.ms=123456",
    ]);
    assert!(created.status.success(), "{}", text(&created));
    let leader = leaders(&zk_state(&zookeeper), "single")[&0];
    for broker in &brokers {
        let described = kafkalab()
            .args(["kafka-topics", "--bootstrap-server", broker])
            .args(["--describe", "--topic", "single"])
            .output()
            .unwrap();
        let out = text(&described);
        assert!(
            described.status.success(),
            "describing a topic led by broker {leader} through {broker}: {out}"
        );
        for want in [
            "Configs: retention.ms=123456".to_string(),
            format!("Partition: 0\tLeader: {leader}\tReplicas: {leader}\tIsr: {leader}"),
        ] {
            assert!(out.contains(&want), "{want} through {broker} in {out}");
        }
    }
    // Adding partitions or changing settings would change only the asked broker's logs: both
    // are refused with the reason, and the topic stays as it was.
    let grown = topics(&["--alter", "--topic", "single", "--partitions", "3"]);
    assert!(!grown.status.success(), "{}", text(&grown));
    assert!(
        text(&grown).contains("cannot add partitions to topic single in a cluster yet"),
        "{}",
        text(&grown)
    );
    let changed = kafkalab()
        .args(["kafka-configs", "--bootstrap-server", &bootstrap])
        .args(["--entity-type", "topics", "--entity-name", "single"])
        .args(["--alter", "--add-config", "retention.ms=1000"])
        .output()
        .unwrap();
    assert!(!changed.status.success(), "{}", text(&changed));
    assert!(
        text(&changed).contains("cannot change the settings of topic single in a cluster yet"),
        "{}",
        text(&changed)
    );
    let unchanged = text(&topics(&["--describe", "--topic", "single"]));
    assert!(
        unchanged.contains("PartitionCount: 1\tReplicationFactor: 1\tConfigs: retention.ms=123456"),
        "{unchanged}"
    );
    // Partitions placed by hand, as `kafka-topics --replica-assignment` places them: the first
    // replica of each partition is its leader.
    let placed = topics(&[
        "--create",
        "--topic",
        "placed",
        "--replica-assignment",
        "3,2",
    ]);
    assert!(placed.status.success(), "{}", text(&placed));
    assert_eq!(
        leaders(&zk_state(&zookeeper), "placed"),
        BTreeMap::from([(0, 3), (1, 2)]),
        "the leaders of --replica-assignment 3,2"
    );

    let produced = python(&["produce", &bootstrap, "spread", &PER_CLIENT.to_string()]);
    println!("produced: {produced}");
    assert_eq!(produced["acknowledged"], 2 * PER_CLIENT, "{produced}");
    assert_eq!(
        produced["not_where_murmur2_says"],
        Value::Array(vec![]),
        "{produced}"
    );
    let consumed = python(&[
        "consume",
        &bootstrap,
        "spread",
        &(2 * PER_CLIENT).to_string(),
    ]);
    println!("consumed: {consumed}");
    assert_eq!(consumed["group_consumer"], 2 * PER_CLIENT, "{consumed}");
    assert_eq!(consumed["kafka_python"], 2 * PER_CLIENT, "{consumed}");

    // Broker 2 dies: its partitions have no other replica, so the controller leaves them
    // without a leader once broker 2's ZooKeeper session expires.
    let on_two: BTreeSet<i64> = led
        .iter()
        .filter(|(_, l)| **l == 2)
        .map(|(p, _)| *p)
        .collect();
    ok(&dir, &["kill", "broker2"]);
    wait_until(
        "broker 2's partitions leaderless",
        Duration::from_secs(60),
        || {
            let now = leaders(&zk_state(&zookeeper), "spread");
            let ok = on_two.iter().all(|p| now[p] == -1);
            if ok {
                Ok(())
            } else {
                Err(format!("{now:?}"))
            }
        },
    );
    let table = ok(&dir, &["status"]);
    assert!(table.contains("offline (no leader)"), "{table}");
    let alive_bootstrap = format!("{},{}", brokers[0], brokers[2]);
    let outage = python(&["outage", &alive_bootstrap, "spread"]);
    println!("during the outage: {outage}");
    assert_eq!(outage["unflushed"], 0, "every send ends: {outage}");
    for p in 0..6i64 {
        let r = &outage["per_partition"][p.to_string()];
        if on_two.contains(&p) {
            assert_eq!(r["retriable"], true, "partition {p}: {outage}");
        } else {
            assert!(r["offset"].is_i64(), "partition {p} still served: {outage}");
        }
    }

    ok(&dir, &["start", "broker2"]);
    wait_until("every partition led again", Duration::from_secs(60), || {
        let now = leaders(&zk_state(&zookeeper), "spread");
        if now.values().all(|l| *l >= 1) {
            Ok(())
        } else {
            Err(format!("{now:?}"))
        }
    });
    let after = python(&["outage", &bootstrap, "spread"]);
    for p in 0..6i64 {
        assert!(
            after["per_partition"][p.to_string()]["offset"].is_i64(),
            "partition {p} served after broker 2 returned: {after}"
        );
    }
}

#[test]
fn real_clients_on_our_ensemble_and_three_brokers() {
    clients_on_a_cluster(&[]);
}

#[test]
fn real_clients_on_debians_zookeeper_and_three_brokers() {
    if !support::tool_path("/usr/share/java/zookeeper.jar", "apt-get install zookeeper")
        || !support::tool("java", "apt-get install openjdk-17-jre-headless")
    {
        return;
    }
    clients_on_a_cluster(&["--zookeeper", "debian"]);
}
