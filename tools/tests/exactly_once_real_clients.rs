//! Lab 14's idempotent producer in the running broker, with real clients: confluent-kafka
//! (librdkafka 2.16) and kafka-python 3, with and without `enable.idempotence`, produce 100
//! records while a loopback proxy drops the broker's answer to the first Produce
//! (`exactly_once_clients.py`). The broker stored the batch; the client never heard, so it sends
//! the same batch again on a new connection. Idempotent: each record is stored once (the
//! retry is answered with the batch's original offset). Not idempotent: the batch is stored
//! twice — the duplicate the issue describes, shown so the test proves its own point.
//! All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use serde_json::Value;
use support::broker::{free_port, Broker};

const RECORDS: usize = 100;

fn driver() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exactly_once_clients.py")
}

/// Produces RECORDS records through a proxy on `proxy_port` that drops one Produce answer;
/// returns the values the partition holds afterwards.
fn produce_with_one_lost_answer(
    proxy_port: u16,
    broker: &Broker,
    client: &str,
    idempotent: bool,
) -> Vec<String> {
    let topic = format!("eos-{client}-{idempotent}");
    let out = support::run_ok(
        Command::new("timeout")
            .args(["180", "python3"])
            .arg(driver())
            .args([
                "produce",
                &proxy_port.to_string(),
                &broker.address(),
                &topic,
            ])
            .args([client, &idempotent.to_string(), "1", &RECORDS.to_string()])
            .stdin(Stdio::null()),
    );
    let answer: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        answer["errors"],
        serde_json::json!([]),
        "{client}: {answer}"
    );
    assert_eq!(
        answer["dropped"], 1,
        "{client}: the proxy dropped one answer"
    );
    answer["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn check(client: &str, module: &str, install: &str) {
    if !support::python_module(module, install) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (port, proxy_port) = (free_port(), free_port());
    // Clients learn the proxy's address from Metadata, so every connection goes through it.
    let broker = Broker::start_with(
        dir.path(),
        port,
        &format!("advertised.listeners=PLAINTEXT://127.0.0.1:{proxy_port}\nnum.partitions=1\n"),
    );
    let expected: BTreeSet<String> = (0..RECORDS).map(|i| format!("v{i}")).collect();

    let values = produce_with_one_lost_answer(proxy_port, &broker, client, true);
    assert_eq!(
        values.len(),
        RECORDS,
        "{client} idempotent: each record once"
    );
    assert_eq!(values.iter().cloned().collect::<BTreeSet<_>>(), expected);

    let values = produce_with_one_lost_answer(proxy_port, &broker, client, false);
    // How many records the resent batch held depends on the client's batching.
    assert!(
        values.len() > RECORDS,
        "{client} without idempotence: the resent batch is stored again ({} records)",
        values.len()
    );
    assert_eq!(values.iter().cloned().collect::<BTreeSet<_>>(), expected);
}

#[test]
fn confluent_kafka_idempotent_producer_stores_a_resent_batch_once() {
    check(
        "confluent",
        "confluent_kafka",
        "pip install confluent-kafka",
    );
}

#[test]
fn kafka_python_idempotent_producer_stores_a_resent_batch_once() {
    // The read-back uses confluent-kafka too.
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    check("kafka-python", "kafka", "pip install kafka-python");
}

/// Transactions with confluent-kafka (`exactly_once_clients.py transactions`): a
/// consume-transform-produce loop commits one transaction and aborts the next; a
/// `read_committed` consumer sees only the committed output, a `read_uncommitted` one both;
/// the group's offset is the committed transaction's; a second instance of a transactional id
/// fences the first (its open transaction is aborted, its next write refused); a transaction
/// left open past `transaction.timeout.ms` is aborted by the coordinator, so
/// `read_committed` consumers get past it; all of it holds after the broker restarts.
/// Runs `exactly_once_clients.py MODE` against `broker` (topics `eos-txn-*`); its JSON.
fn run_driver(broker: &Broker, mode: &str) -> Value {
    let out = support::run_ok(
        Command::new("timeout")
            .args(["300", "python3"])
            .arg(driver())
            .args([mode, "0", &broker.address(), "eos-txn"])
            .stdin(Stdio::null()),
    );
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn strings(answer: &Value, key: &str) -> Vec<String> {
    answer[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: {answer}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn confluent_kafka_transactions_commit_abort_and_fence_a_zombie() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let settings = "num.partitions=1\ntransaction.state.log.num.partitions=4\n\
                    transaction.abort.timed.out.transaction.cleanup.interval.ms=500\n";
    let broker = Broker::start_with(dir.path(), port, settings);
    let answer = run_driver(&broker, "transactions");
    let values = |key: &str| strings(&answer, key);
    let committed: Vec<String> = (0..5).map(|i| format!("o{i}")).collect();
    let aborted: Vec<String> = (5..10).map(|i| format!("o{i}")).collect();
    let mut expected = committed.clone();
    expected.extend(["instance-b".to_string(), "after-hung".to_string()]);
    assert_eq!(values("read_committed"), expected, "{answer}");
    let mut everything = committed;
    everything.extend(aborted);
    everything.extend(["zombie-1", "instance-b", "hung", "after-hung"].map(String::from));
    assert_eq!(values("read_uncommitted"), everything, "{answer}");
    assert_eq!(
        answer["committed_offset"], 5,
        "the committed transaction's offsets only"
    );
    assert_eq!(answer["zombie_error"], "_FENCED", "{answer}");
    assert!(
        values("read_committed_after_timeout").contains(&"after-hung".to_string()),
        "the hung transaction was aborted: {answer}"
    );

    // After a restart: the coordinator reloads __transaction_state (the transactional id
    // starts again at a bumped epoch), and the partition its producer state and .txnindex, so
    // read_committed still skips every aborted record.
    broker.stop();
    let broker = Broker::start_with(dir.path(), port, settings);
    let again = run_driver(&broker, "reinit");
    expected.push("after-restart".to_string());
    assert_eq!(strings(&again, "read_committed"), expected, "{again}");
    everything.push("after-restart".to_string());
    assert_eq!(strings(&again, "read_uncommitted"), everything, "{again}");
}
