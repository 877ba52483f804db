//! The Kafka-style tools and lab 06's topic APIs with real clients: `kafkalab kafka-topics`,
//! the console producer and consumer and the perf tests against our broker, checked with kcat;
//! kafka-python's and confluent-kafka's admin clients creating, describing and deleting topics
//! on our broker; and librdkafka's Java-compatible partitioner (`murmur2_random`) putting each
//! key where ours does. All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::broker::{free_port, Broker};
use support::run_ok;

fn kafkalab(args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"));
    c.args(args);
    c
}

/// Runs a kafkalab tool with `input` on stdin; returns (success, stdout, stderr).
fn tool(args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = kafkalab(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn partition_for_key(key: &str, n: i32) -> i32 {
    lab06_topics::partitioner::partition_for_key(key.as_bytes(), n)
}

#[test]
fn topics_console_tools_and_kcat_agree() {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();

    let (ok, out, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "orders",
            "--partitions",
            "3",
            "--replication-factor",
            "1",
            "--config",
            "retention.ms=3600000",
        ],
        "",
    );
    assert!(ok && out.trim() == "Created topic orders.", "{out}{err}");
    let (ok, _, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "orders",
            "--partitions",
            "3",
        ],
        "",
    );
    assert!(!ok && err.contains("TOPIC_ALREADY_EXISTS"), "{err}");
    let (ok, _, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "wide",
            "--replication-factor",
            "3",
        ],
        "",
    );
    assert!(
        !ok && err.contains("Replication factor: 3 larger than available brokers: 1."),
        "{err}"
    );
    let (ok, _, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "odd",
            "--config",
            "cleanup.policy=shred",
        ],
        "",
    );
    assert!(
        !ok && err.contains("INVALID_CONFIG") && err.contains("cleanup.policy"),
        "{err}"
    );

    let (_, out, _) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--describe",
            "--topic",
            "orders",
        ],
        "",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "Topic: orders\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=3600000"
    );
    assert_eq!(
        lines[1],
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1"
    );
    assert_eq!(lines.len(), 4);
    // kcat sees the topic the tool created.
    let listing =
        run_ok(Command::new("timeout").args(["20", "kcat", "-b", &b, "-L", "-t", "orders"]));
    assert!(
        listing.contains("topic \"orders\" with 3 partitions"),
        "{listing}"
    );

    // The console producer with keys; kcat reads every line back from the partition murmur2 names.
    let input: String = (0..300)
        .map(|i| format!("user-{}:event-{i}\n", i % 40))
        .collect();
    let (ok, _, err) = tool(
        &[
            "kafka-console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "orders",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ],
        &input,
    );
    assert!(ok, "{err}");
    let out = run_ok(Command::new("timeout").args([
        "30",
        "kcat",
        "-b",
        &b,
        "-C",
        "-t",
        "orders",
        "-e",
        "-q",
        "-f",
        "%p %k %s\n",
    ]));
    let mut seen = 0;
    for line in out.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let partition: i32 = parts[0].parse().unwrap();
        assert_eq!(partition, partition_for_key(parts[1], 3), "{line}");
        seen += 1;
    }
    assert_eq!(seen, 300);
    // A line without the separator is an error, and the good lines still go.
    let (ok, _, err) = tool(
        &[
            "kafka-console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "orders",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ],
        "good:1\nno separator here\n",
    );
    assert!(!ok && err.contains("no key found on line 2"), "{err}");

    // kcat produces; the console consumer prints key<TAB>value, in order within a partition.
    let mut kcat = Command::new("timeout")
        .args([
            "30", "kcat", "-b", &b, "-P", "-t", "orders", "-p", "1", "-K", ":",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    kcat.stdin
        .take()
        .unwrap()
        .write_all(b"a:first\nb:second\nc:third\n")
        .unwrap();
    assert!(kcat.wait().unwrap().success());
    let end_of_1 = out.lines().filter(|l| l.starts_with("1 ")).count();
    let (ok, out, err) = tool(
        &[
            "kafka-console-consumer",
            "--bootstrap-server",
            &b,
            "--topic",
            "orders",
            "--partition",
            "1",
            "--offset",
            &end_of_1.to_string(),
            "--max-messages",
            "3",
            "--property",
            "print.key=true",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "a\tfirst\nb\tsecond\nc\tthird\n");
    assert!(err.contains("Processed a total of 3 messages"), "{err}");
    let (ok, out, _) = tool(
        &[
            "kafka-console-consumer",
            "--bootstrap-server",
            &b,
            "--topic",
            "orders",
            "--from-beginning",
            "--max-messages",
            "303",
        ],
        "",
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 303);
    let (ok, _, err) = tool(
        &[
            "kafka-console-consumer",
            "--bootstrap-server",
            &b,
            "--topic",
            "orders",
            "--offset",
            "5",
        ],
        "",
    );
    assert!(!ok && err.contains("--offset needs --partition"), "{err}");

    let (ok, _, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--delete",
            "--topic",
            "orders",
        ],
        "",
    );
    assert!(ok, "{err}");
    let (_, out, _) = tool(&["kafka-topics", "--bootstrap-server", &b, "--list"], "");
    assert!(!out.lines().any(|l| l == "orders"), "{out}");
    assert!(!dir.path().join("logs/orders-0").exists());
}

#[test]
fn perf_tools_print_kafkas_lines() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    let (ok, out, err) = tool(
        &[
            "kafka-producer-perf-test",
            "--topic",
            "perf",
            "--num-records",
            "20000",
            "--record-size",
            "100",
            "--throughput",
            "-1",
            "--producer-props",
            &format!("bootstrap.servers={b}"),
            "acks=1",
            "--seed",
            "7",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    let last = out.lines().last().unwrap();
    let re = regex_lite::Regex::new(
        r"^20000 records sent, [0-9.]+ records/sec \([0-9.]+ MB/sec\), [0-9.]+ ms avg latency, [0-9.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$",
    )
    .unwrap();
    assert!(re.is_match(last), "{last}");
    assert!(err.contains("seed 7"), "{err}");

    let (ok, out, err) = tool(
        &[
            "kafka-consumer-perf-test",
            "--bootstrap-server",
            &b,
            "--topic",
            "perf",
            "--messages",
            "20000",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
    let fields: Vec<&str> = lines[1].split(", ").collect();
    assert_eq!(fields.len(), 10, "{}", lines[1]);
    assert_eq!(fields[2], "1.9073", "20000 × 100 bytes in MiB");
    assert_eq!(fields[4], "20000");
    // Asking for more than there is times out with Kafka's warning and a failure exit.
    let (ok, _, err) = tool(
        &[
            "kafka-consumer-perf-test",
            "--bootstrap-server",
            &b,
            "--topic",
            "perf",
            "--messages",
            "20001",
            "--timeout",
            "500",
        ],
        "",
    );
    assert!(
        !ok && err.contains("Exiting before consuming the expected number of messages"),
        "{err}"
    );
}

const ADMIN_SCRIPT: &str = r#"
import json, sys
which, bootstrap = sys.argv[1], sys.argv[2]
out = {}
if which == "kafka-python":
    from kafka.admin import KafkaAdminClient, NewTopic, ConfigResource, ConfigResourceType
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    admin.create_topics([NewTopic("py-admin", 4, 1, topic_configs={"segment.bytes": "1048576"})])
    try:
        admin.create_topics([NewTopic("py-admin", 4, 1)])
        out["again"] = "created twice"
    except Exception as e:
        out["again"] = type(e).__name__
    res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "py-admin")])
    # kafka-python 3 answers {"topic": {name: {key: {"value": ..., "config_source": ...}}}}.
    described = res["topic"]["py-admin"]
    out["configs"] = {k: v["value"] for k, v in described.items()}
    out["source"] = described["segment.bytes"]["config_source"]
    out["topics"] = sorted(admin.list_topics())
    admin.delete_topics(["py-admin"])
    out["after"] = sorted(admin.list_topics())
else:
    from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic("ck-admin", num_partitions=4, replication_factor=1, config={"segment.bytes": "1048576"})]).values():
        f.result(10)
    try:
        for f in admin.create_topics([NewTopic("ck-admin", num_partitions=4, replication_factor=1)]).values():
            f.result(10)
        out["again"] = "created twice"
    except Exception as e:
        out["again"] = e.args[0].name()
    configs = {}
    for f in admin.describe_configs([ConfigResource("topic", "ck-admin")]).values():
        for name, entry in f.result(10).items():
            configs[name] = entry.value
    out["configs"] = configs
    out["topics"] = sorted(t for t in admin.list_topics(timeout=10).topics)
    for f in admin.delete_topics(["ck-admin"], operation_timeout=10).values():
        f.result(10)
    out["after"] = sorted(t for t in admin.list_topics(timeout=10).topics)
print(json.dumps(out))
"#;

#[test]
fn real_admin_clients_create_describe_and_delete_topics() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    for (client, module, topic, exists) in [
        (
            "kafka-python",
            "kafka",
            "py-admin",
            "TopicAlreadyExistsError",
        ),
        (
            "confluent-kafka",
            "confluent_kafka",
            "ck-admin",
            "TOPIC_ALREADY_EXISTS",
        ),
    ] {
        if !support::python_module(module, &format!("pip install {client}")) {
            continue;
        }
        let out =
            run_ok(Command::new("timeout").args(["60", "python3", "-c", ADMIN_SCRIPT, client, &b]));
        let v: serde_json::Value =
            serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{client}: {e}: {out}"));
        assert_eq!(v["again"], exists, "{client}: {v}");
        assert_eq!(v["configs"]["segment.bytes"], "1048576", "{client}: {v}");
        if client == "kafka-python" {
            // kafka-python 3 leaves out settings that are at their defaults.
            assert_eq!(
                v["source"], "DYNAMIC_TOPIC_CONFIG",
                "the topic's own setting: {v}"
            );
        } else {
            assert_eq!(v["configs"]["cleanup.policy"], "delete", "{client}: {v}");
        }
        assert!(
            v["topics"].as_array().unwrap().iter().any(|t| t == topic),
            "{client}: {v}"
        );
        assert!(
            !v["after"].as_array().unwrap().iter().any(|t| t == topic),
            "{client}: {v}"
        );
        assert!(
            !dir.path().join(format!("logs/{topic}-0")).exists(),
            "{client}"
        );
    }
}

const PARTITIONER_SCRIPT: &str = r#"
import json, sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "partitioner": "murmur2_random", "linger.ms": 5})
placed = {}
def done(err, msg):
    if err is None:
        placed[msg.key().decode()] = msg.partition()
for i in range(500):
    p.produce("placed", key=("key-%d" % i).encode(), value=b"v", on_delivery=done)
p.flush(30)
print(json.dumps(placed))
"#;

#[test]
fn librdkafka_java_compatible_partitioner_agrees_with_ours() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    let (ok, _, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "placed",
            "--partitions",
            "7",
        ],
        "",
    );
    assert!(ok, "{err}");
    let out = run_ok(Command::new("timeout").args(["60", "python3", "-c", PARTITIONER_SCRIPT, &b]));
    let placed: std::collections::BTreeMap<String, i32> = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(placed.len(), 500);
    for (key, partition) in placed {
        assert_eq!(partition, partition_for_key(&key, 7), "{key}");
    }
}

const COMPRESSED_SCRIPT: &str = r#"
import sys
from confluent_kafka import Producer
for codec in ["gzip", "snappy", "zstd", "lz4"]:
    p = Producer({"bootstrap.servers": sys.argv[1], "compression.type": codec, "linger.ms": 50})
    for i in range(200):
        p.produce("packed", value=("%s-%d-" % (codec, i) + "z" * 80).encode(), partition=0)
    if p.flush(30) != 0:
        sys.exit("not all records were delivered")
"#;

/// Compression codec (attributes & 7) of every batch in a partition's first segment.
fn stored_codecs(partition_dir: &std::path::Path) -> Vec<i16> {
    let log = partition_dir.join("00000000000000000000.log");
    let bytes = std::fs::read(&log).unwrap();
    let mut rest = &bytes[..];
    let mut codecs = Vec::new();
    while !rest.is_empty() {
        let header = lab01_record_batch::BatchHeader::parse(rest).unwrap();
        codecs.push(i16::from_be_bytes([rest[21], rest[22]]) & 7);
        rest = &rest[header.total_size()..];
    }
    codecs
}

#[test]
fn compressed_batches_are_stored_and_served_unchanged() {
    if !support::tool("kcat", "apt-get install kcat")
        || !support::python_module("confluent_kafka", "pip install confluent-kafka")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    let (ok, _, err) = tool(
        &[
            "kafka-topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "packed",
            "--partitions",
            "1",
        ],
        "",
    );
    assert!(ok, "{err}");
    // librdkafka sends all four (it enables lz4 only for brokers that answer FindCoordinator,
    // which kafka-server-start does since lab 07); our own producer sends lz4 batches too.
    run_ok(Command::new("timeout").args(["60", "python3", "-c", COMPRESSED_SCRIPT, &b]));
    let lines: String = (0..200)
        .map(|i| format!("lz4-{i}-{}\n", "z".repeat(80)))
        .collect();
    let (ok, _, err) = tool(
        &[
            "kafka-console-producer",
            "--bootstrap-server",
            &b,
            "--topic",
            "packed",
            "--compression-codec",
            "lz4",
        ],
        &lines,
    );
    assert!(ok, "{err}");

    let mut codecs = stored_codecs(&dir.path().join("logs/packed-0"));
    codecs.dedup();
    assert_eq!(
        codecs,
        [1, 2, 4, 3],
        "gzip, snappy, zstd, lz4 batches are stored as sent"
    );

    let expected: std::collections::BTreeSet<String> = ["gzip", "snappy", "zstd", "lz4"]
        .iter()
        .flat_map(|c| (0..200).map(move |i| format!("{c}-{i}-{}", "z".repeat(80))))
        .collect();
    let out = run_ok(
        Command::new("timeout").args(["30", "kcat", "-b", &b, "-C", "-t", "packed", "-e", "-q"]),
    );
    let by_kcat: std::collections::BTreeSet<String> = out.lines().map(str::to_string).collect();
    assert_eq!(by_kcat, expected, "kcat decompresses every batch");
    let (ok, out, _) = tool(
        &[
            "kafka-console-consumer",
            "--bootstrap-server",
            &b,
            "--topic",
            "packed",
            "--from-beginning",
            "--max-messages",
            "1000",
        ],
        "",
    );
    assert!(ok);
    let by_us: std::collections::BTreeSet<String> = out.lines().map(str::to_string).collect();
    assert_eq!(by_us, expected, "our consumer decompresses every batch");
}
