//! Issue 18: the book's chapter 5 (실전 카프카 개발부터 운영까지, P164–P179) with our tools,
//! against three of our brokers on loopback, with the book's command arguments — only the
//! host:port and the data paths differ:
//!
//! - P164–165: `producer.config` (enable.idempotence, max.in.flight, retries) and
//!   `kafka-console-producer --topic peter-test04 --producer.config producer.config`;
//! - P166: a restart writes the producer snapshot, and `kafka-dump-log --print-data-log
//!   --files …/peter-test04-0/00000000000000000001.snapshot` lists the idempotent producer;
//! - P175: `kafka-topics --create --topic peter-test05 --partitions 1 --replication-factor 3`;
//! - P176: the Java `ExactlyOnceProducer.jar` cannot run here (no Maven registry);
//!   `book_chapter5.py`, confluent-kafka with the same settings, commits one transaction;
//! - P177: `leader-epoch-checkpoint`, `kafka-topics --list` shows `__transaction_state`, and
//!   `kafka-console-consumer --consumer.config consumer.config --formatter
//!   "kafka.coordinator.transaction.TransactionLog$TransactionLogMessageFormatter"
//!   --from-beginning` shows the transactional id in CompleteCommit;
//! - P179: `kafka-dump-log --print-data-log --files …/peter-test05-0/00000000000000000000.log`
//!   shows the transactional batch and the control batch with `endTxnMarker: COMMIT`.
//!
//! Nothing is timed; every wait is bounded. All traffic stays on 127.0.0.1.

mod common;

use kafkalab_testkit as support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{start_cluster, wait_until, whole_isr_of, Broker, Zk};
use support::coordinator::Coordinator;

const CHROOT: &str = "/book5";
const PAYLOAD: &str = "Apache Kafka is a distributed streaming platform - 0";

fn tool(args: &[&str]) -> Output {
    Command::new(support::tools_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `/data/kafka-logs/<partition>` of the book, on broker `id` here.
fn partition_dir(root: &Path, id: i32, partition: &str) -> PathBuf {
    root.join(format!("{}-broker{id}", CHROOT.trim_start_matches('/')))
        .join("logs")
        .join(partition)
}

/// P164–P166: the idempotent console producer, then its producer in the snapshot.
fn idempotent_console_producer(
    root: &Path,
    brokers: &mut std::collections::BTreeMap<i32, Broker>,
    zk: &mut Zk,
) {
    let bootstrap = brokers[&1].address();
    // P164: the book's producer.config (예제 5-1).
    let config = root.join("producer.config");
    std::fs::write(
        &config,
        "enable.idempotence=true\nmax.in.flight.requests.per.connection=5\nretries=5",
    )
    .unwrap();
    // P165: one line typed, as in the book.
    let mut child = Command::new(support::tools_bin())
        .args(["kafka-console-producer", "--bootstrap-server", &bootstrap])
        .args(["--topic", "peter-test04", "--producer.config"])
        .arg(&config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"exactly once\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "console producer: {stdout} {stderr}");
    assert!(
        !stderr.contains("WARN"),
        "the book's keys are all known: {stderr}"
    );

    // P166: the snapshot is written on a roll or a clean shutdown; the book restarts the
    // broker when there is none yet. The leader's copy is the one the book lists.
    let leader = zk
        .state("peter-test04", 0)
        .expect("peter-test04-0 exists")
        .leader;
    let broker = brokers.get_mut(&leader).unwrap();
    broker.stop();
    let snapshot =
        partition_dir(root, leader, "peter-test04-0").join("00000000000000000001.snapshot");
    let out = tool(&[
        "kafka-dump-log",
        "--print-data-log",
        "--files",
        snapshot.to_str().unwrap(),
    ]);
    let (stdout, stderr) = text(&out);
    println!("P166 kafka-dump-log:\n{stdout}{stderr}");
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("producerId: "))
        .unwrap_or_else(|| panic!("no producer in the snapshot: {stdout}"));
    let pid: i64 = line.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(pid >= 0, "{line}");
    assert!(
        line.ends_with(&format!(
            "producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: None \
             firstSequence: 0 lastSequence: 0 lastOffset: 0 offsetDelta: 0 timestamp: {}",
            line.rsplit(' ').next().unwrap()
        )),
        "{line}"
    );
    broker.restart();
}

/// The console consumer of P177 runs until stopped, as in the book: its lines are read until
/// one shows the committed transaction, then it is killed.
fn transaction_state_line(bootstrap: &str, consumer_config: &Path) -> String {
    let mut child = Command::new(support::tools_bin())
        .args(["kafka-console-consumer", "--bootstrap-server", bootstrap])
        .args(["--topic", "__transaction_state", "--consumer.config"])
        .arg(consumer_config)
        .args([
            "--formatter",
            "kafka.coordinator.transaction.TransactionLog$TransactionLogMessageFormatter",
            "--from-beginning",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let found = loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let done = line.contains("state=CompleteCommit");
                seen.push(line);
                if done {
                    break seen.last().cloned();
                }
            }
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    println!("P177 kafka-console-consumer:\n{}", seen.join("\n"));
    found.unwrap_or_else(|| {
        panic!(
            "no CompleteCommit within 60 s; saw {seen:?}; stderr {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn the_books_chapter_5(root: &Path, address: &str) {
    let mut brokers = start_cluster(root, address, CHROOT, &[1, 2, 3], "");
    let mut zk = Zk::connect(address, CHROOT);
    let bootstrap = brokers[&1].address();

    idempotent_console_producer(root, &mut brokers, &mut zk);

    // P175.
    wait_until("peter-test05 created", 30, || {
        let out = tool(&[
            "kafka-topics",
            "--bootstrap-server",
            &bootstrap,
            "--create",
            "--topic",
            "peter-test05",
            "--partitions",
            "1",
            "--replication-factor",
            "3",
        ]);
        out.status
            .success()
            .then_some(())
            .ok_or_else(|| text(&out).1)
    });
    let state =
        whole_isr_of(&mut zk, "peter-test05", 0, &brokers, 60).unwrap_or_else(|e| panic!("{e}"));

    // P176: the stand-in for ExactlyOnceProducer.jar.
    let all = brokers
        .values()
        .map(|b| b.address())
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new("timeout")
        .args(["180", "python3"])
        .arg(support::repo().join("tools/tests/book_chapter5.py"))
        .arg(&all)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "ExactlyOnceProducer stand-in: {stdout} {stderr}"
    );
    assert_eq!(stdout.trim(), "Message sent successfully");

    // P177: the leader epoch file of the new partition, the topic list, the transaction log.
    let epochs = std::fs::read_to_string(
        partition_dir(root, state.leader, "peter-test05-0").join("leader-epoch-checkpoint"),
    )
    .unwrap();
    println!("P177 leader-epoch-checkpoint:\n{epochs}");
    assert!(epochs.starts_with("0\n"), "version 0 first: {epochs}");
    let out = tool(&["kafka-topics", "--bootstrap-server", &bootstrap, "--list"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.lines().any(|l| l == "__transaction_state"),
        "{stdout}"
    );
    let consumer_config = root.join("consumer.config");
    std::fs::write(&consumer_config, "exclude.internal.topics=false\n").unwrap();
    let line = transaction_state_line(&bootstrap, &consumer_config);
    assert!(
        line.starts_with(
            "peter-transaction-01::TransactionMetadata(transactionalId=peter-transaction-01, producerId="
        ),
        "{line}"
    );
    assert!(
        line.contains(", producerEpoch=0, txnTimeoutMs=60000, state=CompleteCommit, pendingState=None, topicPartitions=Set(), txnStartTimestamp="),
        "{line}"
    );

    // P179: the data and the marker in the leader's segment. The marker is written after the
    // client's commit returns, so the dump is taken again until it shows it (bounded).
    let segment =
        partition_dir(root, state.leader, "peter-test05-0").join("00000000000000000000.log");
    let dump = wait_until("the commit marker in peter-test05-0", 30, || {
        let out = tool(&[
            "kafka-dump-log",
            "--print-data-log",
            "--files",
            segment.to_str().unwrap(),
        ]);
        let (stdout, stderr) = text(&out);
        if stdout.contains("endTxnMarker: COMMIT") {
            Ok((stdout, stderr))
        } else {
            Err(format!("{stdout}{stderr}"))
        }
    });
    println!("P179 kafka-dump-log:\n{}{}", dump.0, dump.1);
    let lines: Vec<&str> = dump.0.lines().collect();
    assert_eq!(lines[1], "Starting offset: 0");
    let data = lines
        .iter()
        .position(|l| l.contains("isTransactional: true isControl: false"))
        .unwrap_or_else(|| panic!("no transactional batch: {}", dump.0));
    assert!(
        lines[data].starts_with(
            "baseOffset: 0 lastOffset: 0 count: 1 baseSequence: 0 lastSequence: 0 producerId: "
        ),
        "{}",
        lines[data]
    );
    assert!(lines[data].ends_with("isvalid: true"), "{}", lines[data]);
    assert!(
        lines[data + 1].starts_with("| offset: 0 CreateTime: ")
            && lines[data + 1].ends_with(&format!("sequence: 0 headerKeys: [] payload: {PAYLOAD}")),
        "{}",
        lines[data + 1]
    );
    let marker = lines
        .iter()
        .position(|l| l.contains("isTransactional: true isControl: true"))
        .unwrap_or_else(|| panic!("no control batch: {}", dump.0));
    assert!(
        lines[marker]
            .starts_with("baseOffset: 1 lastOffset: 1 count: 1 baseSequence: -1 lastSequence: -1 "),
        "{}",
        lines[marker]
    );
    assert!(
        lines[marker + 1].starts_with("| offset: 1 CreateTime: ")
            && lines[marker + 1].contains(" keysize: 4 valuesize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: "),
        "{}",
        lines[marker + 1]
    );
    assert_eq!(dump.1, "", "nothing damaged");

    // The same segment torn in its marker, as a crash mid-write leaves it, dumped before the
    // whole one: the torn file is reported and the next file is still dumped.
    let bytes = std::fs::read(&segment).unwrap();
    let torn = root.join("00000000000000000000.log");
    std::fs::write(&torn, &bytes[..bytes.len() - 30]).unwrap();
    let files = format!("{},{}", torn.display(), segment.display());
    let out = tool(&["kafka-dump-log", "--print-data-log", "--files", &files]);
    let (stdout, _) = text(&out);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("Found 48 invalid bytes at the end of 00000000000000000000.log"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("endTxnMarker: COMMIT").count(),
        1,
        "{stdout}"
    );
}

/// The errors a learner meets first, without a broker: a typo in a config file, a formatter
/// class we do not have, and a key no client reads.
#[test]
fn config_file_and_formatter_mistakes_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let nobody = format!("127.0.0.1:{}", support::free_port());
    let config = dir.path().join("producer.config");
    std::fs::write(&config, "enable.idempotence=true\nacks all\n").unwrap();
    let out = Command::new(support::tools_bin())
        .args(["kafka-console-producer", "--bootstrap-server", &nobody])
        .args(["--topic", "peter-test04", "--producer.config"])
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("producer.config line 2: `acks all` is not key=value"),
        "{stderr}"
    );

    let consumer_config = dir.path().join("consumer.config");
    std::fs::write(
        &consumer_config,
        "exclude.internal.topics=false\nlinger.ms=5\n",
    )
    .unwrap();
    let consume = |formatter: &str| {
        Command::new(support::tools_bin())
            .args(["kafka-console-consumer", "--bootstrap-server", &nobody])
            .args(["--topic", "__transaction_state", "--consumer.config"])
            .arg(&consumer_config)
            .args(["--formatter", formatter, "--from-beginning"])
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = consume("kafka.tools.LoggingMessageFormatter");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--formatter kafka.tools.LoggingMessageFormatter: not a formatter")
            && stderr.contains("TransactionLog$TransactionLogMessageFormatter"),
        "{stderr}"
    );
    // A known class: the unknown key is warned about as Kafka does, then the missing broker
    // is the error.
    let out =
        consume("kafka.coordinator.transaction.TransactionLog$TransactionLogMessageFormatter");
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr
            .contains("WARN The configuration 'linger.ms' was supplied but isn't a known config."),
        "{stderr}"
    );
    assert!(
        !stderr.contains("exclude.internal.topics' was supplied"),
        "{stderr}"
    );
}

#[test]
fn the_books_chapter_5_exactly_once_steps_run_with_our_tools() {
    if !support::python_module("confluent_kafka", "pip install confluent-kafka") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    the_books_chapter_5(dir.path(), &coordinator.address());
}
