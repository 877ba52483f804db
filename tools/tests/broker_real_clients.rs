//! The broker of lab 05, started as `kafkalab kafka-server-start server.properties`, used by
//! real clients with no special settings: kcat (librdkafka 2.0.2), confluent-kafka (librdkafka
//! 2.16) and kafka-python 3. Each client produces 10,000 keyed records with headers to a
//! 3-partition topic, reads them all back (per-partition order kept, nothing lost, nothing
//! doubled), lists offsets, reads from the middle, and reads everything again after the broker
//! restarts. All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use support::broker::{free_port, Broker};

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

const RECORDS: usize = 10_000;

/// Records read back, as `partition → [(offset, key, value, header)]`.
type Consumed = BTreeMap<i32, Vec<(i64, String, String, String)>>;

/// What every client must see: all records once, offsets 0.. in each partition, each key in
/// one partition, and within a partition the producer's order.
fn check(consumed: &Consumed, client: &str) {
    let total: usize = consumed.values().map(Vec::len).sum();
    assert_eq!(total, RECORDS, "{client}: every record, once");
    assert_eq!(
        consumed.len(),
        3,
        "{client}: the keys spread over the 3 partitions"
    );
    let mut values = BTreeSet::new();
    let mut key_partition = BTreeMap::new();
    for (partition, records) in consumed {
        let mut last_seq = -1i64;
        for (i, (offset, key, value, header)) in records.iter().enumerate() {
            assert_eq!(
                *offset, i as i64,
                "{client}: partition {partition} offsets are contiguous"
            );
            assert!(values.insert(value.clone()), "{client}: {value} read twice");
            assert_eq!(
                *key_partition.entry(key.clone()).or_insert(*partition),
                *partition,
                "{client}: key {key}"
            );
            let seq: i64 = value.trim_start_matches('v').parse().unwrap();
            assert!(
                seq > last_seq,
                "{client}: partition {partition} keeps the producer's order"
            );
            last_seq = seq;
            assert_eq!(header, &format!("h{seq}"), "{client}: headers survive");
        }
    }
}

fn parse_lines(text: &str) -> Consumed {
    let mut consumed = Consumed::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split('|').collect();
        assert_eq!(parts.len(), 5, "{line}");
        consumed
            .entry(parts[0].parse().unwrap())
            .or_default()
            .push((
                parts[1].parse().unwrap(),
                parts[2].to_string(),
                parts[3].to_string(),
                parts[4].to_string(),
            ));
    }
    for records in consumed.values_mut() {
        records.sort();
    }
    consumed
}

fn run_ok(cmd: &mut Command) -> String {
    support::run_ok(cmd.stdin(Stdio::null()))
}

fn kcat_consume(broker: &str, topic: &str) -> Consumed {
    parse_lines(&run_ok(
        Command::new("timeout")
            .args([
                "60",
                "kcat",
                "-b",
                broker,
                "-C",
                "-t",
                topic,
                "-o",
                "beginning",
                "-e",
                "-q",
            ])
            .args(["-f", "%p|%o|%k|%s|%h\n"]),
    ))
}

#[test]
fn kcat_produces_and_consumes_through_our_broker() {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let broker = Broker::start(dir.path(), port);
    let address = broker.address();
    let topic = "kcat-orders";

    // kcat -P reads "key:value" lines; -H adds a header, the same on every record of a run, so
    // produce in runs of 500 with the run's number in the header... simpler: one header per run.
    let mut input = String::new();
    for i in 0..RECORDS {
        input.push_str(&format!("k{}:v{i}\n", i % 101));
    }
    let path = dir.path().join("input.txt");
    std::fs::write(&path, input).unwrap();
    run_ok(
        Command::new("timeout")
            .args(["60", "kcat", "-b", &address, "-P", "-t", topic, "-K:", "-l"])
            .arg(&path),
    );

    let listing =
        run_ok(Command::new("timeout").args(["20", "kcat", "-b", &address, "-L", "-t", topic]));
    assert!(
        listing.contains(&format!("broker 1 at {address}")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("topic \"{topic}\" with 3 partitions")),
        "{listing}"
    );

    let check_kcat = |consumed: &Consumed| {
        // kcat's -H applies to every record alike, so this run checks headers in the Python tests.
        let fixed: Consumed = consumed
            .iter()
            .map(|(p, rs)| {
                (
                    *p,
                    rs.iter()
                        .map(|(o, k, v, _)| (*o, k.clone(), v.clone(), format!("h{}", &v[1..])))
                        .collect(),
                )
            })
            .collect();
        check(&fixed, "kcat");
    };
    let consumed = kcat_consume(&address, topic);
    check_kcat(&consumed);

    // ListOffsets: the end of each partition is its record count.
    for (partition, records) in &consumed {
        let out = run_ok(Command::new("timeout").args([
            "20",
            "kcat",
            "-b",
            &address,
            "-Q",
            "-t",
            &format!("{topic}:{partition}:-1"),
        ]));
        assert!(out.contains(&format!("offset {}", records.len())), "{out}");
    }
    // Read from the middle of partition 0.
    let middle = consumed[&0].len() / 2;
    let out = run_ok(
        Command::new("timeout")
            .args([
                "30",
                "kcat",
                "-b",
                &address,
                "-C",
                "-t",
                topic,
                "-p",
                "0",
                "-o",
                &middle.to_string(),
                "-e",
                "-q",
            ])
            .args(["-f", "%o\n"]),
    );
    let offsets: Vec<i64> = out.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(offsets.first(), Some(&(middle as i64)));
    assert_eq!(offsets.len(), consumed[&0].len() - middle);

    // Restart: everything is there again.
    broker.stop();
    let broker = Broker::start(dir.path(), port);
    assert_eq!(
        kcat_consume(&broker.address(), topic),
        consumed,
        "the same records after a restart"
    );
}

const PYTHON_CLIENT: &str = r#"
import sys, time
client, broker, topic, n, phase = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
deadline = time.time() + 90
out = []
if client == "confluent":
    from confluent_kafka import Producer, Consumer, TopicPartition
    if phase == "produce":
        p = Producer({"bootstrap.servers": broker})
        for i in range(n):
            while True:
                try:
                    p.produce(topic, key=f"k{i % 101}", value=f"v{i}", headers=[("h", f"h{i}".encode())]); break
                except BufferError:
                    p.poll(0.1)
        assert p.flush(60) == 0, "unflushed records"
    else:
        start = int(phase)
        c = Consumer({"bootstrap.servers": broker, "group.id": "kafkalab-test", "enable.auto.commit": False})
        c.assign([TopicPartition(topic, p, start) for p in range(3)])
        while len(out) < n and time.time() < deadline:
            m = c.poll(0.5)
            if m is None: continue
            if m.error(): raise SystemExit(str(m.error()))
            out.append((m.partition(), m.offset(), m.key().decode(), m.value().decode(), dict(m.headers())["h"].decode()))
        c.close()
else:
    from kafka import KafkaProducer, KafkaConsumer, TopicPartition
    if phase == "produce":
        p = KafkaProducer(bootstrap_servers=broker)
        futures = [p.send(topic, key=f"k{i % 101}".encode(), value=f"v{i}".encode(), headers=[("h", f"h{i}".encode())]) for i in range(n)]
        p.flush(60)
        failed = [f for f in futures if not f.succeeded()]
        assert not failed, f"{len(failed)} sends failed: {failed[0].exception}"
    else:
        c = KafkaConsumer(bootstrap_servers=broker, consumer_timeout_ms=5000, enable_auto_commit=False)
        tps = [TopicPartition(topic, p) for p in range(3)]
        c.assign(tps)
        c.seek_to_beginning()
        for m in c:
            out.append((m.partition, m.offset, m.key.decode(), m.value.decode(), dict(m.headers)["h"].decode()))
            if len(out) >= n or time.time() > deadline: break
for row in out:
    print("|".join(str(x) for x in row))
"#;

fn python_round_trip(client: &str, module: &str, install: &str) {
    if !support::python_module(module, install) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let broker = Broker::start(dir.path(), port);
    let topic = format!("{client}-orders");
    let run = |broker: &Broker, phase: &str| {
        run_ok(
            Command::new("timeout")
                .args([
                    "120",
                    "python3",
                    "-c",
                    PYTHON_CLIENT,
                    client,
                    &broker.address(),
                    &topic,
                ])
                .arg(RECORDS.to_string())
                .arg(phase),
        )
    };
    run(&broker, "produce");
    let consumed = parse_lines(&run(&broker, "0"));
    check(&consumed, client);
    broker.stop();
    let broker = Broker::start(dir.path(), port);
    assert_eq!(
        parse_lines(&run(&broker, "0")),
        consumed,
        "{client}: the same records after a restart"
    );
}

#[test]
fn confluent_kafka_produces_and_consumes_through_our_broker() {
    python_round_trip(
        "confluent",
        "confluent_kafka",
        "pip install confluent-kafka",
    );
}

#[test]
fn kafka_python_produces_and_consumes_through_our_broker() {
    python_round_trip("kafka-python", "kafka", "pip install kafka-python");
}

#[test]
fn acknowledged_records_survive_kill_9_of_the_broker() {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let broker = Broker::start(dir.path(), port);
    let mut input = String::new();
    for i in 0..RECORDS {
        input.push_str(&format!("k{}:v{i}\n", i % 101));
    }
    let path = dir.path().join("input.txt");
    std::fs::write(&path, input).unwrap();
    // kcat exits only after every record is acknowledged (acks=-1, its default).
    run_ok(
        Command::new("timeout")
            .args([
                "60",
                "kcat",
                "-b",
                &broker.address(),
                "-P",
                "-t",
                "crash",
                "-K:",
                "-l",
            ])
            .arg(&path),
    );
    broker.crash();
    let broker = Broker::start(dir.path(), port);
    let consumed = kcat_consume(&broker.address(), "crash");
    assert_eq!(
        consumed.values().map(Vec::len).sum::<usize>(),
        RECORDS,
        "every acknowledged record"
    );
}

/// A consumer that starts past the log end: the broker answers its Fetch with
/// OFFSET_OUT_OF_RANGE and an empty record set (as Kafka does), librdkafka applies
/// `auto.offset.reset`, and records arrive. With a null record set librdkafka reports
/// "Protocol parse failure for Fetch … invalid MessageSetSize -1", never sees the error and
/// never resets: nothing arrives.
const RESET_CLIENT: &str = r#"
import sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaError
broker, topic, reset = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({"bootstrap.servers": broker})
for i in range(5):
    p.produce(topic, value=f"old{i}", partition=0)
assert p.flush(30) == 0, "unflushed records"
c = Consumer({"bootstrap.servers": broker, "group.id": f"reset-{reset}",
              "enable.auto.commit": False, "auto.offset.reset": reset})
c.assign([TopicPartition(topic, 0, 1000)])  # the log ends at 5
got, deadline, sent, last_send = [], time.time() + 60, 0, 0.0
while time.time() < deadline and (len(got) < 5 if reset == "earliest" else not got):
    if reset == "latest" and time.time() - last_send > 1:
        # Keep producing until one arrives: a record sent before the reset happened is
        # (rightly) skipped by "latest".
        p.produce(topic, value=f"new{sent}", partition=0); p.flush(10); sent += 1
        last_send = time.time()
    m = c.poll(0.2)
    if m is None: continue
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF: continue
        raise SystemExit(f"consumer error: {m.error()}")
    got.append((m.offset(), m.value().decode()))
c.close()
for offset, value in got:
    print(f"{offset}|{value}")
"#;

fn reset_from_out_of_range(reset: &str) -> Vec<(i64, String)> {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path(), free_port());
    let out = run_ok(Command::new("timeout").args([
        "90",
        "python3",
        "-c",
        RESET_CLIENT,
        &broker.address(),
        &format!("reset-{reset}"),
        reset,
    ]));
    out.lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(o, v)| (o.parse().unwrap(), v.to_string()))
        .collect()
}

#[test]
fn confluent_kafka_resets_an_out_of_range_offset_to_earliest() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let got = reset_from_out_of_range("earliest");
    let want: Vec<(i64, String)> = (0..5).map(|i| (i, format!("old{i}"))).collect();
    assert_eq!(
        got, want,
        "auto.offset.reset=earliest starts at the log start"
    );
}

#[test]
fn confluent_kafka_resets_an_out_of_range_offset_to_latest() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let got = reset_from_out_of_range("latest");
    assert!(!got.is_empty(), "no record after the reset");
    assert!(
        got.iter()
            .all(|(offset, value)| *offset >= 5 && value.starts_with("new")),
        "auto.offset.reset=latest skips the records before the reset: {got:?}"
    );
}
