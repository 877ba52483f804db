//! Consumer groups with real clients against our broker (labs 05–07 behind
//! `kafkalab kafka-server-start`): kafka-python and confluent-kafka (librdkafka) consumers with
//! a `group.id` share a 6-partition topic, take over when a member leaves, and resume from
//! committed offsets after the broker restarts — with manual commits after processing, no
//! record is lost or read twice. `kafkalab kafka-consumer-groups --describe` shows the lag.
//! All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use support::broker::{free_port, Broker};
use support::run_ok;

const RECORDS: usize = 600;

/// Runs `script` with python3 for `client`, with the broker address and arguments; returns its
/// JSON output.
fn python(script: &str, args: &[&str]) -> Value {
    let out = run_ok(
        Command::new("timeout")
            .args(["240", "python3", "-c", script])
            .args(args),
    );
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn kafkalab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A topic of 6 partitions with RECORDS keyed records "v0".."v599".
fn topic_with_records(b: &str, topic: &str) {
    let (ok, _, err) = kafkalab(&[
        "kafka-topics",
        "--bootstrap-server",
        b,
        "--create",
        "--topic",
        topic,
        "--partitions",
        "6",
    ]);
    assert!(ok, "{err}");
    let input: String = (0..RECORDS).map(|i| format!("k{i}:v{i}\n")).collect();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args([
            "kafka-console-producer",
            "--bootstrap-server",
            b,
            "--topic",
            topic,
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// Two members share the topic, then one leaves and the other takes every partition. Each
/// member processes one record at a time and commits it before the next (at-least-once with
/// nothing left uncommitted), consuming `limit` records in all.
const TWO_MEMBERS: &str = r#"
import json, sys, time
client, bootstrap, topic, group, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
strategy = sys.argv[6]
out = {"values": []}
if client == "confluent-kafka":
    from confluent_kafka import Consumer
    def make():
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                      "enable.auto.commit": False, "partition.assignment.strategy": strategy})
        c.subscribe([topic])
        return c
    def poll(c):
        m = c.poll(0.2)
        if m is None or m.error():
            return None
        c.commit(message=m, asynchronous=False)
        return m.value().decode()
    def assigned(c):
        return sorted(p.partition for p in c.assignment())
else:
    from kafka import KafkaConsumer, TopicPartition, OffsetAndMetadata
    def make():
        return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, max_poll_records=1)
    def poll(c):
        for tp, records in c.poll(timeout_ms=200, max_records=1).items():
            for r in records:
                c.commit({tp: OffsetAndMetadata(r.offset + 1, "", -1)})
                return r.value.decode()
        return None
    def assigned(c):
        return sorted(p.partition for p in c.assignment())
# Each member polls in a thread of its own, as an application would: a client that blocks in
# a rebalance (kafka-python joins inside poll) must not stop the other member from rejoining.
import threading
lock = threading.Lock()
seen = {"a": [], "b": []}
stop = {"a": threading.Event(), "b": threading.Event()}
deadline = time.time() + 180
errors = []
def member(name):
    c = make()
    try:
        while not stop[name].is_set() and time.time() < deadline:
            v = poll(c)
            with lock:
                # Every record polled was committed: keep it, whatever the count.
                if v is not None:
                    out["values"].append(v)
                seen[name] = assigned(c)
    except Exception as e:
        errors.append(f"member {name}: {e!r}")
        stop["a"].set()
        stop["b"].set()
    c.close()
threads = {n: threading.Thread(target=member, args=(n,)) for n in ("a", "b")}
for t in threads.values():
    t.start()
def wait_until(done):
    while time.time() < deadline:
        with lock:
            if done():
                return
        time.sleep(0.05)
# Share: both members end up with disjoint parts covering all 6 partitions.
wait_until(lambda: seen["a"] and seen["b"] and len(seen["a"]) + len(seen["b"]) == 6
           and len(out["values"]) >= limit // 2)
with lock:
    out["shared"] = [list(seen["a"]), list(seen["b"])]
stop["b"].set()
threads["b"].join()
# Take over: a alone gets every partition.
wait_until(lambda: len(seen["a"]) == 6)
with lock:
    out["alone"] = list(seen["a"])
wait_until(lambda: len(out["values"]) >= limit)
stop["a"].set()
threads["a"].join()
if errors:
    sys.exit("; ".join(errors))
print(json.dumps(out))
"#;

/// Reads the rest of the topic for the group after a restart (one member), committing each.
const RESUME: &str = r#"
import json, sys, time
client, bootstrap, topic, group, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
values = []
deadline = time.time() + 60
if client == "confluent-kafka":
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    while time.time() < deadline and len(values) < limit:
        m = c.poll(0.2)
        if m is not None and not m.error():
            values.append(m.value().decode())
            c.commit(message=m, asynchronous=False)
    # Nothing more arrives: the group has read everything.
    end = time.time() + 2
    while time.time() < end:
        m = c.poll(0.2)
        if m is not None and not m.error():
            values.append(m.value().decode())
    c.close()
else:
    from kafka import KafkaConsumer
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False)
    while time.time() < deadline and len(values) < limit:
        for tp, records in c.poll(timeout_ms=200).items():
            values.extend(r.value.decode() for r in records)
        c.commit()
    end = time.time() + 2
    while time.time() < end:
        for tp, records in c.poll(timeout_ms=200).items():
            values.extend(r.value.decode() for r in records)
    c.close()
print(json.dumps({"values": values}))
"#;

fn group_test(client: &str, module: &str, strategy: &str) {
    if !support::python_module(module, &format!("pip install {client}")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let broker = Broker::start(dir.path(), port);
    let b = broker.address();
    let topic = "shared";
    topic_with_records(&b, topic);

    let first = python(TWO_MEMBERS, &[client, &b, topic, "g1", "400", strategy]);
    let shared: Vec<Vec<i64>> = serde_json::from_value(first["shared"].clone()).unwrap();
    let (x, y): (BTreeSet<i64>, BTreeSet<i64>) = (
        shared[0].iter().copied().collect(),
        shared[1].iter().copied().collect(),
    );
    assert!(
        !x.is_empty() && !y.is_empty() && x.is_disjoint(&y),
        "{client}: {shared:?}"
    );
    assert_eq!(
        x.union(&y).count(),
        6,
        "{client}: every partition owned once: {shared:?}"
    );
    assert_eq!(
        first["alone"],
        serde_json::json!([0, 1, 2, 3, 4, 5]),
        "{client}: the survivor takes over"
    );
    let phase1: Vec<String> = serde_json::from_value(first["values"].clone()).unwrap();
    // At least 400: records that arrive while the survivor takes over are processed too.
    assert!(
        phase1.len() >= 400 && phase1.len() < RECORDS,
        "{client}: {}",
        phase1.len()
    );

    // What the tool reports: 600 records, as many committed as were processed. A partition without a commit shows "-"
    // (as Kafka's tool does); the others' lag is their log end minus their committed offset.
    let (ok, out, err) = kafkalab(&[
        "kafka-consumer-groups",
        "--bootstrap-server",
        &b,
        "--describe",
        "--group",
        "g1",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip_while(|l| !l.starts_with("GROUP"))
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    // The members have left: the group is empty, and its committed partitions are listed.
    assert!(
        out.contains("Consumer group 'g1' has no active members."),
        "{client}:\n{out}"
    );
    assert!(!rows.is_empty() && rows.len() <= 6, "{client}:\n{out}");
    let (mut committed, mut log_end) = (0i64, 0i64);
    for r in &rows {
        let end: i64 = r[4].parse().unwrap();
        log_end += end;
        if r[3] != "-" {
            let current: i64 = r[3].parse().unwrap();
            committed += current;
            assert_eq!(
                r[5].parse::<i64>().unwrap(),
                end - current,
                "{client}: lag column:\n{out}"
            );
        }
    }
    assert_eq!(committed, phase1.len() as i64, "{client}:\n{out}");
    assert!(
        log_end <= RECORDS as i64 && log_end >= committed,
        "{client}:\n{out}"
    );

    // Restart the broker: the committed offsets come back from __consumer_offsets.
    broker.stop();
    let broker = Broker::start(dir.path(), port);
    let rest = (RECORDS - phase1.len()).to_string();
    let second = python(RESUME, &[client, &broker.address(), topic, "g1", &rest]);
    let phase2: Vec<String> = serde_json::from_value(second["values"].clone()).unwrap();
    let mut all: Vec<String> = phase1.iter().chain(&phase2).cloned().collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        total,
        RECORDS,
        "{client}: nothing read twice ({} after restart)",
        phase2.len()
    );
    assert_eq!(all.len(), RECORDS, "{client}: nothing lost");
}

#[test]
fn confluent_kafka_group_shares_takes_over_and_resumes_after_restart() {
    group_test("confluent-kafka", "confluent_kafka", "range");
}

/// librdkafka's incremental protocol runs over the same classic group APIs: the coordinator
/// treats the assignor's name and data as opaque, so it must not break it.
#[test]
fn confluent_kafka_cooperative_sticky_group_works_too() {
    group_test("confluent-kafka", "confluent_kafka", "cooperative-sticky");
}

#[test]
fn kafka_python_group_shares_takes_over_and_resumes_after_restart() {
    group_test("kafka-python", "kafka", "range");
}

fn console_group(b: &str, group: &str, max: usize) -> Vec<String> {
    let (ok, out, err) = kafkalab(&[
        "kafka-console-consumer",
        "--bootstrap-server",
        b,
        "--topic",
        "shared",
        "--group",
        group,
        "--from-beginning",
        "--max-messages",
        &max.to_string(),
        "--timeout-ms",
        "20000",
    ]);
    assert!(ok, "{err}");
    out.lines().map(str::to_string).collect()
}

#[test]
fn our_tools_consume_as_a_group_describe_lag_reset_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    topic_with_records(&b, "shared");

    // The console consumer as a group member reads 250 and commits exactly those.
    let mut seen = console_group(&b, "cg", 250);
    assert_eq!(seen.len(), 250);

    // Our group consumer joins the same group, goes on from the commits, reads 100 more.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (member_id, more) = rt.block_on(async {
        use lab06_topics::client::consumer::ConsumerConfig;
        use lab07_consumer_groups::client::{GroupConsumer, GroupConsumerConfig};
        let mut member = GroupConsumer::connect(GroupConsumerConfig {
            consumer: ConsumerConfig {
                bootstrap_servers: b.clone(),
                fetch_max_wait_ms: 100,
                auto_offset_reset: lab06_topics::client::consumer::OffsetReset::Earliest,
                ..ConsumerConfig::default()
            },
            group_id: "cg".into(),
            enable_auto_commit: false,
            ..GroupConsumerConfig::default()
        })
        .await
        .unwrap();
        member.subscribe(&["shared"]);
        let mut got = Vec::new();
        let mut done = std::collections::BTreeMap::new();
        for _ in 0..200 {
            for r in member.poll().await.unwrap() {
                if got.len() < 100 {
                    got.push(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
                    done.insert((r.topic.to_string(), r.partition), r.offset + 1);
                }
            }
            if got.len() >= 100 {
                break;
            }
        }
        let offsets: Vec<(String, i32, i64)> =
            done.into_iter().map(|((t, p), o)| (t, p, o)).collect();
        member.commit_offsets(&offsets).await.unwrap();
        // Describe while the member is in the group: it owns every partition.
        let id = member.member_id().to_string();
        let (ok, out, err) = kafkalab(&[
            "kafka-consumer-groups",
            "--bootstrap-server",
            &b,
            "--describe",
            "--group",
            "cg",
        ]);
        assert!(ok, "{err}");
        let rows: Vec<Vec<String>> = out
            .lines()
            .skip_while(|l| !l.starts_with("GROUP"))
            .skip(1)
            .map(|l| l.split_whitespace().map(str::to_string).collect())
            .collect();
        assert_eq!(rows.len(), 6, "{out}");
        let committed: i64 = rows
            .iter()
            .filter(|r| r[3] != "-")
            .map(|r| r[3].parse::<i64>().unwrap())
            .sum();
        let lag: i64 = rows
            .iter()
            .filter(|r| r[5] != "-")
            .map(|r| r[5].parse::<i64>().unwrap())
            .sum();
        let unread: i64 = rows
            .iter()
            .filter(|r| r[3] == "-")
            .map(|r| r[4].parse::<i64>().unwrap())
            .sum();
        assert_eq!(committed, 350, "{out}");
        assert_eq!(lag + unread, 250, "{out}");
        assert!(
            rows.iter().all(|r| r[6] == id),
            "every partition owned by {id}:\n{out}"
        );
        member.leave().await.unwrap();
        (id, got)
    });
    assert!(!member_id.is_empty());
    seen.extend(more);
    seen.extend(console_group(&b, "cg", 250));
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(
        (seen.len(), distinct.len()),
        (600, 600),
        "the group read everything once"
    );

    // An inactive group's offsets can be reset; then it can be deleted.
    let (ok, out, err) = kafkalab(&[
        "kafka-consumer-groups",
        "--bootstrap-server",
        &b,
        "--reset-offsets",
        "--group",
        "cg",
        "--topic",
        "shared",
        "--to-earliest",
        "--execute",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("cg ")).count(),
        6,
        "{out}"
    );
    assert_eq!(
        console_group(&b, "cg", 10).len(),
        10,
        "after the reset the group reads from the start"
    );
    let (ok, _, err) = kafkalab(&["kafka-consumer-groups", "--bootstrap-server", &b, "--list"]);
    assert!(ok, "{err}");
    let (ok, out, err) = kafkalab(&[
        "kafka-consumer-groups",
        "--bootstrap-server",
        &b,
        "--delete",
        "--group",
        "cg",
    ]);
    assert!(
        ok && out.contains("Deletion of requested consumer groups ('cg') was successful."),
        "{out}{err}"
    );
    let (_, out, _) = kafkalab(&["kafka-consumer-groups", "--bootstrap-server", &b, "--list"]);
    assert!(!out.lines().any(|l| l == "cg"), "{out}");
    // Unknown group and bad requests get Kafka's answers, not a crash.
    let (ok, _, err) = kafkalab(&[
        "kafka-consumer-groups",
        "--bootstrap-server",
        &b,
        "--describe",
        "--group",
        "nobody",
    ]);
    assert!(!ok && err.contains("does not exist"), "{err}");
    let (ok, _, err) = kafkalab(&[
        "kafka-consumer-groups",
        "--bootstrap-server",
        &b,
        "--delete",
        "--group",
        "nobody",
    ]);
    assert!(!ok && err.contains("GROUP_ID_NOT_FOUND"), "{err}");
}
