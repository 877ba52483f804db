//! Lab 06's steps 10–12 with real clients (issue 17: "missing admin APIs"): confluent-kafka's
//! and kafka-python's admin clients add partitions, change settings and delete records on our
//! broker, and our own `kafka-topics --alter`, `kafka-configs` and `kafka-delete-records` print
//! Kafka's lines. All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::process::{Command, Stdio};

use support::broker::{free_port, Broker};
use support::run_ok;

fn python(script: &str, args: &[&str]) -> serde_json::Value {
    let out = run_ok(
        Command::new("timeout")
            .args(["90", "python3", "-c", script])
            .args(args)
            .stdin(Stdio::null()),
    );
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Runs one of our tools; returns (success, stdout, stderr).
fn tool(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GROW_SCRIPT: &str = r#"
import json, sys
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic, NewPartitions
b = sys.argv[1]
admin = AdminClient({"bootstrap.servers": b})
for f in admin.create_topics([NewTopic("keyed", num_partitions=2, replication_factor=1)]).values():
    f.result(10)
out = {}
def produce(keys):
    p = Producer({"bootstrap.servers": b, "partitioner": "murmur2_random", "linger.ms": 5,
                  "topic.metadata.refresh.interval.ms": 500})
    placed = {}
    def done(err, msg):
        if err is None:
            placed[msg.key().decode()] = msg.partition()
    for k in keys:
        p.produce("keyed", key=k.encode(), value=b"v", on_delivery=done)
    p.flush(30)
    return placed
out["before"] = produce(["old-%d" % i for i in range(50)])
for f in admin.create_partitions([NewPartitions("keyed", 5)]).values():
    f.result(10)
try:
    for f in admin.create_partitions([NewPartitions("keyed", 3)]).values():
        f.result(10)
    out["shrink"] = "shrunk"
except Exception as e:
    out["shrink"] = e.args[0].name()
md = admin.list_topics("keyed", timeout=10).topics["keyed"]
out["partitions"] = sorted(md.partitions.keys())
out["after"] = produce(["new-%d" % i for i in range(200)])
print(json.dumps(out))
"#;

#[test]
fn confluent_adds_partitions_to_a_keyed_topic_and_new_keys_use_them() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let v = python(GROW_SCRIPT, &[&broker.address()]);
    assert_eq!(v["shrink"], "INVALID_PARTITIONS", "{v}");
    assert_eq!(v["partitions"], serde_json::json!([0, 1, 2, 3, 4]), "{v}");
    let placed = |which: &str, n: i32| {
        let map = v[which].as_object().unwrap();
        assert!(!map.is_empty(), "{which}: {v}");
        for (key, partition) in map {
            let ours = lab06_topics::partitioner::partition_for_key(key.as_bytes(), n);
            assert_eq!(partition, ours, "{which}: key {key} with {n} partitions");
        }
        map.values()
            .map(|p| p.as_i64().unwrap())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(placed("before", 2).into_iter().max(), Some(1));
    let after = placed("after", 5);
    assert!(
        after.iter().any(|p| *p >= 2),
        "new keys use the new partitions: {after:?}"
    );
    for p in 2..5 {
        assert!(dir.path().join(format!("logs/keyed-{p}")).is_dir());
    }
}

const CONFIGS_SCRIPT: &str = r#"
import json, sys
client, b = sys.argv[1], sys.argv[2]
out = {}
if client == "confluent-kafka":
    from confluent_kafka.admin import (AdminClient, NewTopic, ConfigResource, ConfigEntry,
                                       AlterConfigOpType)
    admin = AdminClient({"bootstrap.servers": b})
    for f in admin.create_topics([NewTopic("ck-configs", num_partitions=1, replication_factor=1,
                                           config={"retention.ms": "60000"})]).values():
        f.result(10)
    def describe():
        got = {}
        for f in admin.describe_configs([ConfigResource("topic", "ck-configs")]).values():
            for name, e in f.result(10).items():
                got[name] = [e.value, str(e.source)]  # 1 DYNAMIC_TOPIC_CONFIG, 5 DEFAULT_CONFIG
        return got
    for f in admin.alter_configs([ConfigResource("topic", "ck-configs",
                                                 set_config={"segment.bytes": "1048576"})]).values():
        f.result(10)
    out["replaced"] = describe()
    ops = [ConfigEntry("retention.ms", "120000", incremental_operation=AlterConfigOpType.SET),
           ConfigEntry("segment.bytes", None, incremental_operation=AlterConfigOpType.DELETE)]
    for f in admin.incremental_alter_configs([ConfigResource("topic", "ck-configs",
                                                             incremental_configs=ops)]).values():
        f.result(10)
    out["edited"] = describe()
    try:
        for f in admin.alter_configs([ConfigResource("broker", "1",
                                                     set_config={"log.retention.hours": "1"})]).values():
            f.result(10)
        out["broker"] = "changed"
    except Exception as e:
        out["broker"] = [e.args[0].name(), e.args[0].str()]
    try:
        ops = [ConfigEntry("retention.ms", "oops", incremental_operation=AlterConfigOpType.SET)]
        for f in admin.incremental_alter_configs([ConfigResource("topic", "ck-configs",
                                                                 incremental_configs=ops)]).values():
            f.result(10)
        out["bad"] = "accepted"
    except Exception as e:
        out["bad"] = e.args[0].name()
else:
    from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
    admin = KafkaAdminClient(bootstrap_servers=b)
    admin.create_topics([NewTopic("py-configs", 1, 1, topic_configs={"retention.ms": "60000"})])
    def describe():
        # kafka-python 3 answers {"topic": {name: {key: {"value": ..., ...}}}}, changed keys only.
        res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "py-configs")])
        return {k: v["value"] for k, v in res["topic"]["py-configs"].items()}
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "py-configs",
                                        configs={"segment.bytes": "1048576"})], incremental=False)
    out["replaced"] = describe()
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "py-configs",
                                        configs={"retention.ms": "120000", "segment.bytes": ("DELETE", None)})],
                        incremental=True)
    out["edited"] = describe()
print(json.dumps(out, default=str))
"#;

#[test]
fn alter_configs_and_incremental_alter_configs_round_trip_through_describe_configs() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    if support::python_module("confluent_kafka", "pip install confluent-kafka") {
        let v = python(CONFIGS_SCRIPT, &["confluent-kafka", &b]);
        // AlterConfigs replaced the whole set: retention.ms is the broker's again.
        assert_eq!(v["replaced"]["segment.bytes"][0], "1048576", "{v}");
        assert_eq!(v["replaced"]["segment.bytes"][1], "1", "{v}");
        assert_eq!(v["replaced"]["retention.ms"][0], "604800000", "{v}");
        assert_eq!(v["replaced"]["retention.ms"][1], "5", "{v}");
        // IncrementalAlterConfigs changed two keys and left the rest.
        assert_eq!(v["edited"]["retention.ms"][0], "120000", "{v}");
        assert_eq!(v["edited"]["retention.ms"][1], "1", "{v}");
        assert_eq!(v["edited"]["segment.bytes"][0], "1073741824", "{v}");
        assert_eq!(v["broker"][0], "INVALID_REQUEST", "{v}");
        assert!(
            v["broker"][1]
                .as_str()
                .unwrap()
                .contains("Cannot update these configs dynamically"),
            "{v}"
        );
        assert_eq!(v["bad"], "INVALID_REQUEST", "{v}");
        let stored = std::fs::read_to_string(
            dir.path()
                .join("logs/__topic_configs/ck-configs.properties"),
        )
        .unwrap();
        assert_eq!(stored, "retention.ms=120000\n");
    }
    if support::python_module("kafka", "pip install kafka-python") {
        let v = python(CONFIGS_SCRIPT, &["kafka-python", &b]);
        assert_eq!(v["replaced"]["segment.bytes"], "1048576", "{v}");
        // kafka-python sends AlterConfigs with the other changed keys filled in, because the
        // request replaces the whole set (its docs: "AlterConfigsRequest resets any omitted key").
        assert_eq!(v["replaced"]["retention.ms"], "60000", "{v}");
        assert_eq!(v["edited"]["retention.ms"], "120000", "{v}");
        assert!(v["edited"].get("segment.bytes").is_none(), "{v}");
    }
}

const DELETE_RECORDS_SCRIPT: &str = r#"
import json, sys
client, b = sys.argv[1], sys.argv[2]
topic = "trim-" + client
out = {}
if client == "confluent-kafka":
    from confluent_kafka import Producer, Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": b})
    for f in admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]).values():
        f.result(10)
    p = Producer({"bootstrap.servers": b})
    for i in range(10):
        p.produce(topic, value=b"v%d" % i, partition=0)
    p.flush(30)
    for tp, f in admin.delete_records([TopicPartition(topic, 0, 4)]).items():
        out["low_watermark"] = f.result(10).low_watermark
    c = Consumer({"bootstrap.servers": b, "group.id": "trim", "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    out["watermarks"] = list(c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10))
    c.subscribe([topic])
    got = []
    for _ in range(100):
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append([m.offset(), m.value().decode()])
        if len(got) >= 6:
            break
    c.close()
    out["consumed"] = got
else:
    from kafka import KafkaProducer, KafkaConsumer, TopicPartition
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=b)
    admin.create_topics([NewTopic(topic, 1, 1)])
    p = KafkaProducer(bootstrap_servers=b)
    for i in range(10):
        p.send(topic, value=b"v%d" % i, partition=0)
    p.flush()
    tp = TopicPartition(topic, 0)
    r = admin.delete_records({tp: 4})
    out["low_watermark"] = r[tp]["low_watermark"]
    # Reading below the new start: OFFSET_OUT_OF_RANGE, and auto_offset_reset moves on.
    c = KafkaConsumer(bootstrap_servers=b, auto_offset_reset="earliest", enable_auto_commit=False,
                      consumer_timeout_ms=5000)
    c.assign([tp])
    c.seek(tp, 1)
    got = []
    for m in c:
        got.append([m.offset, m.value.decode()])
        if len(got) >= 6:
            break
    out["consumed"] = got
    out["beginning"] = c.beginning_offsets([tp])[tp]
    c.close()
print(json.dumps(out))
"#;

#[test]
fn delete_records_then_consumers_start_at_the_low_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    let want: Vec<serde_json::Value> = (4..10)
        .map(|i| serde_json::json!([i, format!("v{i}")]))
        .collect();
    if support::python_module("confluent_kafka", "pip install confluent-kafka") {
        let v = python(DELETE_RECORDS_SCRIPT, &["confluent-kafka", &b]);
        assert_eq!(v["low_watermark"], 4, "{v}");
        assert_eq!(v["watermarks"], serde_json::json!([4, 10]), "{v}");
        assert_eq!(v["consumed"], serde_json::Value::from(want.clone()), "{v}");
    }
    if support::python_module("kafka", "pip install kafka-python") {
        let v = python(DELETE_RECORDS_SCRIPT, &["kafka-python", &b]);
        assert_eq!(v["low_watermark"], 4, "{v}");
        assert_eq!(v["beginning"], 4, "{v}");
        assert_eq!(v["consumed"], serde_json::Value::from(want), "{v}");
    }
}

#[test]
fn our_tools_alter_topics_configs_and_delete_records_with_kafkas_lines() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    let ok = |args: &[&str]| {
        let (ok, out, err) = tool(args);
        assert!(ok, "{args:?}: {out}{err}");
        out
    };
    ok(&[
        "kafka-topics",
        "--bootstrap-server",
        &b,
        "--create",
        "--topic",
        "t",
        "--partitions",
        "2",
    ]);
    // Kafka 2.6's --alter prints nothing when it worked.
    assert_eq!(
        ok(&[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--alter",
            "--topic",
            "t",
            "--partitions",
            "3"
        ]),
        ""
    );
    let out = ok(&[
        "kafka-topics",
        "--bootstrap-server",
        &b,
        "--describe",
        "--topic",
        "t",
    ]);
    assert!(out.contains("PartitionCount: 3"), "{out}");
    let (success, _, err) = tool(&[
        "kafka-topics",
        "--bootstrap-server",
        &b,
        "--alter",
        "--topic",
        "t",
        "--partitions",
        "2",
    ]);
    assert!(!success);
    assert!(
        err.contains("INVALID_PARTITIONS")
            && err.contains(
                "Topic currently has 3 partitions, which is higher than the requested 2."
            ),
        "{err}"
    );
    let (success, _, _) = tool(&[
        "kafka-topics",
        "--bootstrap-server",
        &b,
        "--alter",
        "--topic",
        "nope",
        "--partitions",
        "2",
        "--if-exists",
    ]);
    assert!(success, "--if-exists: a missing topic is no error");

    let configs = |rest: &[&str]| {
        let mut args = vec![
            "kafka-configs",
            "--bootstrap-server",
            &b,
            "--entity-type",
            "topics",
            "--entity-name",
            "t",
        ];
        args.extend_from_slice(rest);
        tool(&args)
    };
    let (success, out, err) = configs(&[
        "--alter",
        "--add-config",
        "retention.ms=3600000,cleanup.policy=[delete]",
    ]);
    assert!(success, "{out}{err}");
    assert_eq!(out, "Completed updating config for topic t.\n");
    let (_, out, _) = configs(&["--describe"]);
    assert_eq!(
        out,
        "Dynamic configs for topic t are:\n  \
         cleanup.policy=delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=delete, DEFAULT_CONFIG:log.cleanup.policy=delete}\n  \
         retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000, DEFAULT_CONFIG:log.retention.ms=604800000}\n"
    );
    let (success, out, _) = configs(&["--alter", "--delete-config", "cleanup.policy"]);
    assert!(success);
    assert_eq!(out, "Completed updating config for topic t.\n");
    let (success, _, err) = configs(&["--alter", "--delete-config", "cleanup.policy"]);
    assert!(!success);
    assert!(err.contains("Invalid config(s): cleanup.policy"), "{err}");
    let (_, out, _) = configs(&["--describe", "--all"]);
    assert!(out.starts_with("All configs for topic t are:\n"), "{out}");
    assert!(out.contains("  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}"), "{out}");
    let (success, _, err) = configs(&["--alter", "--add-config", "retention.ms=soon"]);
    assert!(!success);
    assert!(
        err.contains("INVALID_REQUEST") && err.contains("retention.ms"),
        "{err}"
    );

    let (success, _, err) = tool(&[
        "kafka-configs",
        "--bootstrap-server",
        &b,
        "--entity-type",
        "brokers",
        "--entity-name",
        "1",
        "--alter",
        "--add-config",
        "log.retention.hours=1",
    ]);
    assert!(!success);
    assert!(
        err.contains("Cannot update these configs dynamically: Set(log.retention.hours)"),
        "{err}"
    );
    let (success, out, _) = tool(&[
        "kafka-configs",
        "--bootstrap-server",
        &b,
        "--entity-type",
        "brokers",
        "--entity-name",
        "1",
        "--describe",
    ]);
    assert!(success);
    assert_eq!(out, "Dynamic configs for broker 1 are:\n");

    // Five records into partition 0, then delete the first three.
    let input = "a\nb\nc\nd\ne\n";
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args([
            "kafka-console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "t",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // A key that murmur2 puts in partition 0 of 3.
        let key = (0..)
            .map(|i| format!("k{i}"))
            .find(|k| lab06_topics::partitioner::partition_for_key(k.as_bytes(), 3) == 0)
            .unwrap();
        for line in input.lines() {
            writeln!(stdin, "{key}:{line}").unwrap();
        }
    }
    assert!(child.wait().unwrap().success());
    let json = dir.path().join("offsets.json");
    std::fs::write(
        &json,
        r#"{"partitions":[{"topic":"t","partition":0,"offset":3},{"topic":"t","partition":1,"offset":7}],"version":1}"#,
    )
    .unwrap();
    let (success, out, _) = tool(&[
        "kafka-delete-records",
        "--bootstrap-server",
        &b,
        "--offset-json-file",
        json.to_str().unwrap(),
    ]);
    assert!(!success, "partition 1 has no offset 7");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "Executing records delete operation",
            "Records delete operation completed:",
            "partition: t-0\tlow_watermark: 3"
        ],
        "{out}"
    );
    assert!(
        lines[3].starts_with("partition: t-1\terror: ") && lines[3].contains("OFFSET_OUT_OF_RANGE"),
        "{out}"
    );

    std::fs::write(&json, r#"{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}],"version":1}"#).unwrap();
    let (success, _, err) = tool(&[
        "kafka-delete-records",
        "--bootstrap-server",
        &b,
        "--offset-json-file",
        json.to_str().unwrap(),
    ]);
    assert!(!success);
    assert!(
        err.contains("Offset json file contains duplicate topic partitions: t-0"),
        "{err}"
    );

    if support::tool("kcat", "apt-get install kcat") {
        let out = run_ok(Command::new("timeout").args([
            "30",
            "kcat",
            "-b",
            &b,
            "-C",
            "-t",
            "t",
            "-p",
            "0",
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%o:%s\n",
        ]));
        assert_eq!(out, "3:d\n4:e\n", "kcat reads from the low watermark");
    }
}
