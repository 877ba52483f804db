//! Static membership (KIP-345, lab 07 step 8) with a real client: two confluent-kafka
//! (librdkafka) consumers with a `group.instance.id` share a topic; one is closed (a static
//! member's client sends no LeaveGroup) and a new consumer with the same instance id takes its
//! place within `session.timeout.ms`. The broker hands it the old partitions and the other
//! member sees no rebalance: no revoke, no new assignment. All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::process::Command;

use serde_json::Value;
use support::broker::{free_port, Broker};
use support::run_ok;

/// Prints the assignments and every assign or revoke callback as JSON. Every loop is bounded
/// by a count of polls; no assertion depends on how long anything took.
const BOUNCE: &str = r#"
import json, sys
from confluent_kafka import Consumer
bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
events = {"a": [], "b": [], "b2": []}
def make(name, instance):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.instance.id": instance,
                  "session.timeout.ms": 60000, "heartbeat.interval.ms": 300,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    def on_assign(consumer, parts):
        events[name].append(["assign", sorted(p.partition for p in parts)])
    def on_revoke(consumer, parts):
        events[name].append(["revoke", sorted(p.partition for p in parts)])
    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    return c
def parts(c):
    return sorted(p.partition for p in c.assignment())
a, b = make("a", "static-a"), make("b", "static-b")
# Settled: both own a share, together all 6, unchanged over 20 polls of each (many heartbeats).
steady = 0
for _ in range(600):
    a.poll(0.1)
    b.poll(0.1)
    if parts(a) and parts(b) and len(parts(a)) + len(parts(b)) == 6:
        steady += 1
        if steady == 20:
            break
    else:
        steady = 0
out = {"before": [parts(a), parts(b)], "a_events_before": list(events["a"])}
# b's process stops: a static member's close sends no LeaveGroup. A new one takes its place.
b.close()
b2 = make("b2", "static-b")
for _ in range(600):
    a.poll(0.1)
    b2.poll(0.1)
    if parts(b2):
        break
# A rebalance would have reached a by now (it heartbeats every 300 ms); poll on to see one.
for _ in range(20):
    a.poll(0.1)
    b2.poll(0.1)
out["after"] = [parts(a), parts(b2)]
out["a_events"] = list(events["a"])
out["b2_events"] = list(events["b2"])
a.close()
b2.close()
print(json.dumps(out))
"#;

#[test]
fn confluent_kafka_static_member_restart_is_not_a_rebalance_for_the_others() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    let created = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args([
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "static",
            "--partitions",
            "6",
        ])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let out = run_ok(
        Command::new("timeout")
            .args(["180", "python3", "-c", BOUNCE])
            .args([&b, "static", "g-static"]),
    );
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let before: Vec<Vec<i64>> = serde_json::from_value(v["before"].clone()).unwrap();
    let after: Vec<Vec<i64>> = serde_json::from_value(v["after"].clone()).unwrap();
    assert!(
        !before[0].is_empty() && !before[1].is_empty(),
        "the group settled with both members: {v}"
    );
    assert_eq!(
        after[1], before[1],
        "the restarted member gets its old partitions: {v}"
    );
    assert_eq!(after[0], before[0], "the other member keeps its own: {v}");
    assert_eq!(
        v["a_events"], v["a_events_before"],
        "no revoke and no new assignment for the other member: {v}"
    );
    assert_eq!(
        v["b2_events"],
        serde_json::json!([["assign", before[1]]]),
        "one assignment for the new incarnation, the old one's: {v}"
    );
}
