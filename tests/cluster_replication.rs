//! Lab 12 with real processes: `kafkalab cluster` (three brokers, our ensemble, then Debian's
//! ZooKeeper 3.8) with `replica.lag.time.max.ms=3000` and the install's `min.insync.replicas=2`,
//! a topic with replication factor 3, and kcat (librdkafka) as the producer and consumer.
//!
//! - acks=all produces are acknowledged, and every broker's segment file holds the same
//!   bytes: followers copy the leader's batches as they are, offsets kept;
//! - a follower stopped with SIGSTOP keeps the high watermark where it was: a record appended
//!   with acks=1 is not shown to a consumer until the follower has left the ISR
//!   (`replica.lag.time.max.ms`), which the leader writes to ZooKeeper and the controller
//!   sends to every broker's Metadata; acks=all still works with two in-sync replicas;
//! - a second follower stopped: acks=all is refused with NOT_ENOUGH_REPLICAS;
//! - both resumed: they catch up and the ISR grows back to three, in ZooKeeper and Metadata.
//!
//! All traffic stays on 127.0.0.1.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{free_block, kafkalab, ok, status, text, Down};
use kafkalab_testkit as support;
use serde_json::Value;

const TOPIC: &str = "replicated";

/// `zookeeper-cluster-state --json`: (leader, ISR) of partition 0 of [`TOPIC`].
fn zk_partition(zookeeper: &str) -> Option<(i64, BTreeSet<i64>)> {
    let out = kafkalab()
        .args([
            "zookeeper-cluster-state",
            "--json",
            "--zookeeper",
            zookeeper,
        ])
        .output()
        .unwrap();
    let state: Value = serde_json::from_slice(&out.stdout).ok()?;
    let p = state["topics"]
        .as_array()?
        .iter()
        .filter(|t| t["name"] == TOPIC)
        .flat_map(|t| t["partitions"].as_array().into_iter().flatten())
        .find(|p| p["partition"] == 0)?
        .clone();
    let isr = p["isr"]
        .as_array()?
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    Some((p["leader"].as_i64()?, isr))
}

/// The ISR of partition 0 as `kcat -L` shows it from `broker` (its Metadata cache).
fn metadata_isr(broker: &str) -> Option<BTreeSet<i64>> {
    let out = Command::new("kcat")
        .args(["-b", broker, "-L", "-t", TOPIC, "-m", "5"])
        .output()
        .ok()?;
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = listing.lines().find(|l| l.contains("partition 0,"))?;
    let isrs = line.split("isrs:").nth(1)?;
    Some(
        isrs.split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
    )
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        match done() {
            Ok(()) => return,
            Err(seen) if Instant::now() >= deadline => {
                panic!("{what}: not within {limit:?}; last seen: {seen}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// kcat produces `values` to partition 0 with `acks`; its exit status and output.
fn produce(broker: &str, acks: &str, values: &[String]) -> (bool, String) {
    let mut child = Command::new("timeout")
        .args(["30", "kcat", "-P", "-b", broker, "-t", TOPIC, "-p", "0"])
        .args(["-X", &format!("acks={acks}")])
        .args(["-X", "message.timeout.ms=8000", "-X", "retries=0"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for v in values {
            writeln!(stdin, "{v}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), text(&out))
}

/// Every value a consumer reads from partition 0 now (to the high watermark).
fn consume(broker: &str) -> Vec<String> {
    let out = support::run_ok(Command::new("timeout").args([
        "20",
        "kcat",
        "-C",
        "-b",
        broker,
        "-t",
        TOPIC,
        "-p",
        "0",
        "-o",
        "beginning",
        "-e",
        "-q",
    ]));
    out.lines().map(str::to_string).collect()
}

/// Partition 0's first segment on broker `n`.
fn segment(dir: &Path, n: i64) -> Vec<u8> {
    let path = dir.join(format!(
        "broker{n}/kafka-logs/{TOPIC}-0/00000000000000000000.log"
    ));
    std::fs::read(path).unwrap_or_default()
}

fn same_logs(dir: &Path) -> Result<(), String> {
    let logs: Vec<Vec<u8>> = (1..=3).map(|n| segment(dir, n)).collect();
    if logs[0].is_empty() || logs.iter().any(|l| *l != logs[0]) {
        return Err(format!(
            "segment sizes {:?}",
            logs.iter().map(Vec::len).collect::<Vec<_>>()
        ));
    }
    Ok(())
}

/// SIGCONT for the paused brokers when the test ends, before `Down` stops them.
struct Resume(Vec<u32>);

impl Drop for Resume {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status();
        }
    }
}

fn signal(pid: u32, sig: &str) {
    assert!(Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

fn replication_on_a_cluster(extra: &[&str]) {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("cluster");
    let base = free_block().to_string();
    let mut args = vec!["up", "--base-port", &base];
    args.extend_from_slice(extra);
    let _down = Down(dir.clone());
    ok(&dir, &args);
    // The lag limit small, so that the test sees the ISR shrink within seconds (Kafka's
    // default is 30 s); each broker restarts with it.
    for n in 1..=3 {
        let path = dir.join(format!("broker{n}/server.properties"));
        let mut properties = std::fs::read_to_string(&path).unwrap();
        assert!(properties.contains("min.insync.replicas=2"), "{properties}");
        properties.push_str("replica.lag.time.max.ms=3000\n");
        std::fs::write(&path, properties).unwrap();
        ok(&dir, &["stop", &format!("broker{n}")]);
        ok(&dir, &["start", &format!("broker{n}")]);
    }
    let rows = status(&dir);
    let address = |n: i64| {
        rows.iter()
            .find(|r| r.server == format!("broker{n}"))
            .unwrap()
            .address
            .clone()
    };
    let pid = |n: i64| {
        rows.iter()
            .find(|r| r.server == format!("broker{n}"))
            .and_then(|r| r.pid)
            .unwrap()
    };
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
    let bootstrap = (1..=3).map(address).collect::<Vec<_>>().join(",");

    // Right after the restarts a broker's Metadata may not list all three yet.
    wait_until(
        "the topic created with three replicas",
        Duration::from_secs(20),
        || {
            let created = kafkalab()
                .args(["kafka-topics", "--bootstrap-server", &bootstrap])
                .args(["--create", "--topic", TOPIC, "--partitions", "1"])
                .args(["--replication-factor", "3"])
                .output()
                .unwrap();
            if created.status.success() {
                Ok(())
            } else {
                Err(text(&created))
            }
        },
    );
    let all: BTreeSet<i64> = [1, 2, 3].into();
    let mut leader = 0;
    wait_until(
        "partition 0 led, ISR of three",
        Duration::from_secs(20),
        || match zk_partition(&zookeeper) {
            Some((l, isr)) if l > 0 && isr == all => {
                leader = l;
                Ok(())
            }
            seen => Err(format!("{seen:?}")),
        },
    );
    // The follower paused first must not be the controller: a paused controller sends no
    // UpdateMetadata, so Metadata would not change until its session expired.
    let controller = rows
        .iter()
        .find(|r| r.role == "broker (controller)")
        .and_then(|r| r.server.strip_prefix("broker"))
        .and_then(|n| n.parse::<i64>().ok());
    let mut followers: Vec<i64> = (1..=3).filter(|n| *n != leader).collect();
    if Some(followers[0]) == controller {
        followers.swap(0, 1);
    }
    let at_leader = address(leader);
    let _resume = Resume(followers.iter().map(|n| pid(*n)).collect());

    // acks=all with the whole ISR: acknowledged, and every broker holds the same bytes.
    let first: Vec<String> = (0..100).map(|i| format!("record-{i}")).collect();
    let (sent, said) = produce(&at_leader, "all", &first);
    assert!(sent, "acks=all with three in sync: {said}");
    wait_until(
        "the followers copy the leader's log",
        Duration::from_secs(10),
        || same_logs(&dir),
    );
    assert_eq!(consume(&at_leader), first);

    // One follower paused: a record appended with acks=1 stays above the HW (invisible)
    // until the follower leaves the ISR.
    signal(pid(followers[0]), "-STOP");
    let (sent, said) = produce(&at_leader, "1", &["above-the-hw".to_string()]);
    assert!(sent, "acks=1: {said}");
    let seen = consume(&at_leader);
    assert_eq!(
        seen, first,
        "a consumer reads only below the high watermark"
    );
    let two: BTreeSet<i64> = [leader, followers[1]].into();
    wait_until(
        "the ISR shrinks in ZooKeeper",
        Duration::from_secs(15),
        || match zk_partition(&zookeeper) {
            Some((_, isr)) if isr == two => Ok(()),
            seen => Err(format!("{seen:?}")),
        },
    );
    println!("ISR {two:?} in ZooKeeper after {:?}", started.elapsed());
    let visible = consume(&at_leader);
    assert_eq!(
        visible.len(),
        101,
        "committed once the ISR shrank: {visible:?}"
    );
    let (sent, said) = produce(&at_leader, "all", &["with-two".to_string()]);
    assert!(
        sent,
        "acks=all with two in sync and min.insync.replicas=2: {said}"
    );
    wait_until(
        "Metadata shows the smaller ISR",
        Duration::from_secs(15),
        || match metadata_isr(&address(followers[1])) {
            Some(isr) if isr == two => Ok(()),
            seen => Err(format!("{seen:?}")),
        },
    );

    // kafka-topics' filters (Kafka 2.6): the partition is under-replicated, not unavailable.
    let describe = |filter: &str| {
        let out = kafkalab()
            .args(["kafka-topics", "--bootstrap-server", &address(followers[1])])
            .args(["--describe", "--topic", TOPIC, filter])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let under = describe("--under-replicated-partitions");
    assert_eq!(under.lines().count(), 1, "{under}");
    assert!(under.contains("Partition: 0\tLeader: "), "{under}");
    let unavailable = describe("--unavailable-partitions");
    assert_eq!(unavailable.trim(), "", "it has a leader: {unavailable}");

    // The second follower paused: once it lags and leaves, acks=all is refused.
    signal(pid(followers[1]), "-STOP");
    let (sent, said) = produce(&at_leader, "1", &["lagging".to_string()]);
    assert!(sent, "acks=1 still works: {said}");
    let alone: BTreeSet<i64> = [leader].into();
    wait_until(
        "the ISR is the leader alone",
        Duration::from_secs(15),
        || match zk_partition(&zookeeper) {
            Some((_, isr)) if isr == alone => Ok(()),
            seen => Err(format!("{seen:?}")),
        },
    );
    let (sent, said) = produce(&at_leader, "all", &["refused".to_string()]);
    assert!(!sent, "acks=all with one in sync must fail: {said}");
    assert!(
        said.contains("Not enough in-sync replicas"),
        "NOT_ENOUGH_REPLICAS: {said}"
    );

    // Both resumed: they catch up, the ISR grows back, acks=all works again.
    signal(pid(followers[0]), "-CONT");
    signal(pid(followers[1]), "-CONT");
    wait_until(
        "the ISR grows back to three",
        Duration::from_secs(20),
        || match zk_partition(&zookeeper) {
            Some((_, isr)) if isr == all => Ok(()),
            seen => Err(format!("{seen:?}")),
        },
    );
    let (sent, said) = produce(&at_leader, "all", &["back".to_string()]);
    assert!(sent, "acks=all with three in sync again: {said}");
    wait_until("every log the same again", Duration::from_secs(10), || {
        same_logs(&dir)
    });
    wait_until(
        "Metadata shows three again",
        Duration::from_secs(15),
        || match metadata_isr(&address(leader)) {
            Some(isr) if isr == all => Ok(()),
            seen => Err(format!("{seen:?}")),
        },
    );
    let under = kafkalab()
        .args(["kafka-topics", "--bootstrap-server", &at_leader])
        .args(["--describe", "--under-replicated-partitions"])
        .output()
        .unwrap();
    assert_eq!(text(&under).trim(), "", "nothing under-replicated any more");
    let last = consume(&at_leader);
    assert_eq!(last.len(), 104, "{last:?}");
    assert!(
        !last.contains(&"refused".to_string()),
        "NOT_ENOUGH_REPLICAS is answered before the append: {last:?}"
    );
    println!("done in {:?}", started.elapsed());
}

#[test]
fn replication_on_our_ensemble_and_three_brokers() {
    replication_on_a_cluster(&[]);
}

#[test]
fn replication_on_debians_zookeeper_and_three_brokers() {
    if !support::tool_path("/usr/share/java/zookeeper.jar", "apt-get install zookeeper")
        || !support::tool("java", "apt-get install openjdk-17-jre-headless")
    {
        return;
    }
    replication_on_a_cluster(&["--zookeeper", "debian"]);
}
