//! Topic settings and log compaction (issue 17, items 4 and 5) seen by real clients:
//! confluent-kafka (librdkafka 2.16) and kafka-python 3 create topics with `--config`-style
//! settings through CreateTopics, then check what the broker did:
//!
//! - `message.timestamp.type=LogAppendTime`: records come back stamped by the broker
//!   (timestamp type LOG_APPEND_TIME), whatever time the producer set;
//! - `compression.type=lz4`: a gzip batch is stored as lz4 (read from the segment file) and
//!   still reads back whole; `max.message.bytes` refuses a larger batch (MESSAGE_TOO_LARGE);
//! - `cleanup.policy=compact`: a keyless record is refused with INVALID_RECORD (87); after the
//!   log cleaner ran (the broker's timer, `log.cleaner.backoff.ms=100`), the topic holds the
//!   latest value of every key and, once `delete.retention.ms` has passed, no tombstone.
//!
//! All traffic stays on 127.0.0.1. Every wait is a bounded poll loop.

use kafkalab_testkit as support;

use serde_json::Value;
use support::broker::{free_port, Broker};
use support::run_ok;

use std::process::{Command, Stdio};

/// Settings that make the cleaner run often; Kafka's defaults are minutes apart.
const CLEANER: &str = "log.cleaner.backoff.ms=100\n";

fn python(script: &str, args: &[&str]) -> Value {
    let out = run_ok(
        Command::new("timeout")
            .args(["120", "python3", "-c", script])
            .args(args)
            .stdin(Stdio::null()),
    );
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// confluent-kafka: create `topic` with `configs` (JSON object), produce records, and report.
const CONFLUENT_CREATE: &str = r#"
import json, sys
from confluent_kafka.admin import AdminClient, NewTopic
broker, topic, configs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
admin = AdminClient({"bootstrap.servers": broker})
fs = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=configs)])
fs[topic].result(timeout=30)
print(json.dumps({"created": topic}))
"#;

fn create_topic(broker: &str, topic: &str, configs: &str) {
    let v = python(CONFLUENT_CREATE, &[broker, topic, configs]);
    assert_eq!(v["created"], topic, "{v}");
}

const CONFLUENT_LOG_APPEND_TIME: &str = r#"
import json, sys, time
from confluent_kafka import Producer, Consumer, TIMESTAMP_LOG_APPEND_TIME, TIMESTAMP_CREATE_TIME
broker, topic = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": broker, "linger.ms": 0})
reports = []
p.produce(topic, key=b"k", value=b"v", timestamp=1000, on_delivery=lambda e, m: reports.append((str(e) if e else None, m.timestamp())))
p.flush(30)
c = Consumer({"bootstrap.servers": broker, "group.id": "lat", "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.assign([__import__("confluent_kafka").TopicPartition(topic, 0, 0)])
got = None
deadline = time.time() + 30
while got is None and time.time() < deadline:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got = m.timestamp()
c.close()
print(json.dumps({"report": reports, "consumed": got, "lat": TIMESTAMP_LOG_APPEND_TIME, "now": int(time.time() * 1000)}))
"#;

const KAFKA_PYTHON_LOG_APPEND_TIME: &str = r#"
import json, sys, time
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
broker, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=broker)
meta = p.send(topic, key=b"k2", value=b"v2", timestamp_ms=2000).get(timeout=30)
p.close()
c = KafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False, consumer_timeout_ms=10000)
tp = TopicPartition(topic, 0)
c.assign([tp]); c.seek_to_beginning(tp)
records = [(r.timestamp, r.timestamp_type) for r in c]
c.close()
print(json.dumps({"meta_timestamp": meta.timestamp, "records": records, "now": int(time.time() * 1000)}))
"#;

#[test]
fn log_append_time_topics_are_stamped_by_the_broker() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka")
        || !support::python_module("kafka", "pip install kafka-python")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    create_topic(
        &b,
        "stamped",
        r#"{"message.timestamp.type": "LogAppendTime"}"#,
    );

    let v = python(CONFLUENT_LOG_APPEND_TIME, &[&b, "stamped"]);
    let now = v["now"].as_i64().unwrap();
    let lat = v["lat"].as_i64().unwrap();
    // (type, timestamp): the broker's clock, not the producer's 1000.
    let report = &v["report"][0];
    assert!(report[0].is_null(), "{v}");
    assert_eq!(
        report[1][0].as_i64(),
        Some(lat),
        "the produce response carries LogAppendTime: {v}"
    );
    let consumed = &v["consumed"];
    assert_eq!(
        consumed[0].as_i64(),
        Some(lat),
        "confluent-kafka: LOG_APPEND_TIME: {v}"
    );
    let ts = consumed[1].as_i64().unwrap();
    assert!(ts > 1000 && ts <= now, "stamped by the broker: {v}");

    let v = python(KAFKA_PYTHON_LOG_APPEND_TIME, &[&b, "stamped"]);
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{v}");
    for r in records {
        assert_eq!(
            r[1].as_i64(),
            Some(1),
            "kafka-python: timestamp_type 1 is LogAppendTime: {v}"
        );
        assert!(r[0].as_i64().unwrap() > 2000, "{v}");
    }
    assert!(v["meta_timestamp"].as_i64().unwrap() > 2000, "{v}");
    broker.stop();
}

const CONFLUENT_PRODUCE: &str = r#"
import json, sys
from confluent_kafka import Producer
broker, topic, codec, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = Producer({"bootstrap.servers": broker, "compression.type": codec, "linger.ms": 50})
errors = []
for i in range(n):
    p.produce(topic, key=b"k%d" % i, value=(b"value %d " % i) * 20, on_delivery=lambda e, m: e and errors.append(str(e)))
p.flush(30)
print(json.dumps({"errors": errors}))
"#;

const CONFLUENT_CONSUME_ALL: &str = r#"
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, KafkaError
broker, topic = sys.argv[1], sys.argv[2]
c = Consumer({"bootstrap.servers": broker, "group.id": "all", "enable.auto.commit": False, "enable.partition.eof": True})
c.assign([TopicPartition(topic, 0, 0)])
out = []
deadline = time.time() + 30
while time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF:
            break
        continue
    v = m.value()
    out.append([m.offset(), m.key().decode() if m.key() else None, v.decode() if v is not None else None])
c.close()
print(json.dumps(out))
"#;

/// Batches of the segment files of `topic`'s partition 0: their attribute codecs (bits 0-2).
fn stored_codecs(logs: &std::path::Path, topic: &str) -> Vec<i16> {
    let dir = logs.join(format!("{topic}-0"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    names.sort();
    let mut codecs = Vec::new();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        let mut rest = &bytes[..];
        while rest.len() >= 61 {
            let header = lab01_record_batch::BatchHeader::parse(rest).unwrap();
            codecs.push(i16::from_be_bytes([rest[21], rest[22]]) & 7);
            rest = &rest[header.total_size()..];
        }
    }
    codecs
}

#[test]
fn an_lz4_topic_stores_a_gzip_batch_as_lz4() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let b = broker.address();
    create_topic(&b, "squeezed", r#"{"compression.type": "lz4"}"#);
    create_topic(&b, "as-sent", r#"{"compression.type": "producer"}"#);
    for topic in ["squeezed", "as-sent"] {
        let v = python(CONFLUENT_PRODUCE, &[&b, topic, "gzip", "200"]);
        assert_eq!(v["errors"], serde_json::json!([]), "{v}");
        let records = python(CONFLUENT_CONSUME_ALL, &[&b, topic]);
        let records = records.as_array().unwrap();
        assert_eq!(records.len(), 200, "{topic}: every record reads back");
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r[0].as_i64(), Some(i as i64));
            assert_eq!(r[2].as_str().unwrap(), format!("value {i} ").repeat(20));
        }
    }
    // max.message.bytes per topic: a batch over it is MESSAGE_TOO_LARGE (10).
    create_topic(&b, "small", r#"{"max.message.bytes": "300"}"#);
    let v = python(CONFLUENT_PRODUCE, &[&b, "small", "none", "5"]);
    let errors = v["errors"].as_array().unwrap();
    assert!(
        !errors.is_empty()
            && errors
                .iter()
                .all(|e| e.as_str().unwrap().contains("MSG_SIZE_TOO_LARGE")),
        "{v}"
    );
    let logs = dir.path().join("logs");
    let lz4 = stored_codecs(&logs, "squeezed");
    assert!(
        !lz4.is_empty() && lz4.iter().all(|c| *c == 3),
        "stored as lz4 (3): {lz4:?}"
    );
    let gzip = stored_codecs(&logs, "as-sent");
    assert!(
        !gzip.is_empty() && gzip.iter().all(|c| *c == 1),
        "kept as gzip (1): {gzip:?}"
    );
    broker.stop();
}

const KEYLESS: &str = r#"
import json, sys
from confluent_kafka import Producer
broker, topic = sys.argv[1], sys.argv[2]
p = Producer({"bootstrap.servers": broker, "linger.ms": 0, "retries": 0})
codes = []
# One batch each: Kafka refuses a whole batch when one of its records has no key.
p.produce(topic, value=b"no key", on_delivery=lambda e, m: codes.append(e.code() if e else 0))
p.flush(30)
p.produce(topic, key=b"k", value=b"keyed", on_delivery=lambda e, m: codes.append(e.code() if e else 0))
p.flush(30)
from kafka import KafkaProducer
from kafka.errors import InvalidRecordError
kp = KafkaProducer(bootstrap_servers=broker, retries=0)
try:
    kp.send(topic, value=b"no key either").get(timeout=30)
    kafka_python = "accepted"
except InvalidRecordError as e:
    kafka_python = "InvalidRecordError"
kp.close()
print(json.dumps({"confluent": codes, "kafka_python": kafka_python}))
"#;

/// Produces `key=value` records one batch each (`None` value: a tombstone).
const PRODUCE_EACH: &str = r#"
import json, sys
from confluent_kafka import Producer
broker, topic, records = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
p = Producer({"bootstrap.servers": broker, "linger.ms": 0})
errors = []
for k, v in records:
    p.produce(topic, key=k.encode(), value=v.encode() if v is not None else None, on_delivery=lambda e, m: e and errors.append(str(e)))
    p.flush(30)
print(json.dumps({"errors": errors}))
"#;

#[test]
fn a_compacted_topic_keeps_the_latest_value_per_key_and_drops_old_tombstones() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka")
        || !support::python_module("kafka", "pip install kafka-python")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start_with(dir.path(), free_port(), CLEANER);
    let b = broker.address();
    create_topic(
        &b,
        "changelog",
        r#"{"cleanup.policy": "compact", "segment.bytes": "600", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "500"}"#,
    );

    let v = python(KEYLESS, &[&b, "changelog"]);
    assert_eq!(
        v["confluent"],
        serde_json::json!([87, 0]),
        "INVALID_RECORD, then a keyed record goes in: {v}"
    );
    assert_eq!(v["kafka_python"], "InvalidRecordError", "{v}");

    // Five rounds of updates to k0..k4, then k3 deleted: the latest values are v4 (k3: none).
    let mut records = Vec::new();
    for round in 0..5 {
        for k in 0..5 {
            records.push(serde_json::json!([format!("k{k}"), format!("v{round}")]));
        }
    }
    records.push(serde_json::json!(["k3", null]));
    let v = python(
        PRODUCE_EACH,
        &[&b, "changelog", &Value::from(records).to_string()],
    );
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");

    // The active segment is never cleaned: keep writing a `pad` key so segments roll and the
    // cleaner (every 100 ms) finds dirty segments; stop once the log reads compacted. Bounded:
    // 60 rounds.
    let mut last = Value::Null;
    for round in 0..60 {
        let pad = serde_json::json!([["pad", format!("p{round}")], ["pad", format!("q{round}")]]);
        python(PRODUCE_EACH, &[&b, "changelog", &pad.to_string()]);
        last = python(CONFLUENT_CONSUME_ALL, &[&b, "changelog"]);
        let records = last.as_array().unwrap();
        let of = |key: &str| -> Vec<Option<String>> {
            records
                .iter()
                .filter(|r| r[1] == key)
                .map(|r| r[2].as_str().map(str::to_string))
                .collect()
        };
        let latest_only = ["k0", "k1", "k2", "k4"]
            .iter()
            .all(|k| of(k) == [Some("v4".to_string())]);
        if latest_only && of("k3").is_empty() && of("k").len() == 1 {
            // Offsets were kept: the survivors are not renumbered from 0.
            let k4 = records.iter().find(|r| r[1] == "k4").unwrap();
            assert_eq!(k4[0].as_i64(), Some(25), "offsets never change: {last}");
            broker.stop();
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("the topic was not compacted after 60 rounds: {last}");
}
