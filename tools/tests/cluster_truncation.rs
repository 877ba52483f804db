//! Lab 13's follower truncation in the running cluster (real `kafka-server-start` processes on
//! our coordinator, kafka-python as the producer, all on 127.0.0.1) — KIP-101's second
//! scenario, which kept diverging logs before the brokers used leader epochs:
//!
//! ```text
//! broker 1 (leader, epoch 0)  a0..a4 (acks=all: broker 2 has them too), then x0..x2 (acks=1)
//! broker 2                    SIGSTOPped while x0..x2 are written: it never gets them
//! kill -9 broker 1, SIGCONT 2 → the controller makes broker 2 leader at epoch 1
//! broker 2                    b0..b3 at offsets 5..8
//! restart broker 1            OffsetsForLeaderEpoch(epoch 0) → 5: it cuts x0..x2, fetches b0..b3
//! ```
//!
//! Without truncation broker 1 kept x0..x2 at offsets 5..7 and fetched from 8 on: its log and
//! broker 2's held different records at the same offsets. The test reads both brokers'
//! segment files record by record (offsets and values) and checks that each partition
//! directory has a `leader-epoch-checkpoint` in Kafka's format.

use kafkalab_testkit as support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lab01_record_batch::{BatchHeader, RecordBatch};
use lab08_znodes::client::ZkClient;
use lab11_controller::zk_data::LeaderIsrAndControllerEpoch;
use support::coordinator::Coordinator;
use support::free_port;

const CHROOT: &str = "/trunc";

/// A broker process (RUST_LOG=info into `server.log` in its folder).
struct Broker {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Broker {
    fn start(dir: &Path, zk: &str, id: i32, port: u16) -> Broker {
        std::fs::create_dir_all(dir).unwrap();
        let config = dir.join("server.properties");
        std::fs::write(
            &config,
            format!(
                "broker.id={id}\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\n\
                 zookeeper.connect={zk}{CHROOT}\nzookeeper.session.timeout.ms=10000\n\
                 replica.lag.time.max.ms=60000\nunclean.leader.election.enable=true\n",
                dir.join("logs").display()
            ),
        )
        .unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let mut child = Command::new(support::tools_bin())
            .arg("kafka-server-start")
            .arg(&config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("kafkalab broker started"), "{line:?}");
        Broker {
            child,
            dir: dir.to_path_buf(),
            port,
        }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn partition_dir(&self) -> PathBuf {
        self.dir.join("logs").join("d-0")
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        self.kill9();
    }
}

/// Writes topic `d` (one partition on brokers 1 and 2) and its state (leader 1, epoch 0, ISR
/// both) before the brokers start, as a restarted cluster finds them: leadership is then
/// known without depending on the controller's placement.
fn seed_topic(zk: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = ZkClient::connect(zk, 30_000).await.unwrap();
        let state = LeaderIsrAndControllerEpoch {
            leader: 1,
            leader_epoch: 0,
            isr: vec![1, 2],
            controller_epoch: 0,
        }
        .encode();
        let topic =
            br#"{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{}}"#;
        let nodes: [(&str, &[u8]); 6] = [
            ("", b""),
            ("/brokers", b""),
            ("/brokers/topics", b""),
            ("/brokers/topics/d", topic),
            ("/brokers/topics/d/partitions", b""),
            ("/brokers/topics/d/partitions/0", b""),
        ];
        for (path, data) in nodes {
            client
                .create(&format!("{CHROOT}{path}"), data, 0)
                .await
                .unwrap();
        }
        let state_path = format!("{CHROOT}/brokers/topics/d/partitions/0/state");
        client.create(&state_path, &state, 0).await.unwrap();
    });
}

/// The partition's state znode.
fn state(zk: &str) -> Result<LeaderIsrAndControllerEpoch, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = ZkClient::connect(zk, 30_000)
            .await
            .map_err(|e| e.to_string())?;
        let path = format!("{CHROOT}/brokers/topics/d/partitions/0/state");
        let (data, _) = client.get(&path).await.map_err(|e| e.to_string())?;
        LeaderIsrAndControllerEpoch::decode(&data).map_err(|e| e.to_string())
    })
}

/// kafka-python sends each value as its own batch (waiting for each answer) to the leader it
/// finds through `bootstrap`; prints the offsets.
const PRODUCE: &str = r#"
import sys
from kafka import KafkaProducer
bootstrap, acks = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=[bootstrap], acks=(acks if acks == 'all' else int(acks)),
                  linger_ms=0, retries=5, retry_backoff_ms=500, request_timeout_ms=15000,
                  metadata_max_age_ms=500)
for v in sys.argv[3:]:
    print(p.send('d', v.encode()).get(timeout=30).offset, flush=True)
p.close()
"#;

fn produce(bootstrap: &str, acks: &str, values: &[&str]) -> Vec<i64> {
    let out = Command::new("python3")
        .args(["-c", PRODUCE, bootstrap, acks])
        .args(values)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kafka-python producing {values:?} to {bootstrap}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

/// Every record in the `.log` files of `dir`, as (offset, value), in file order.
fn records_on_disk(dir: &Path) -> Vec<(i64, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let mut at = 0;
        while let Ok(header) = BatchHeader::parse(&bytes[at..]) {
            let size = header.total_size();
            if size == 0 || at + size > bytes.len() {
                break;
            }
            let batch = RecordBatch::decode(&bytes[at..at + size]).unwrap();
            for r in &batch.records {
                let value = String::from_utf8(r.value.clone().unwrap_or_default()).unwrap();
                out.push((batch.base_offset + i64::from(r.offset_delta), value));
            }
            at += size;
        }
    }
    out
}

#[test]
fn a_restarted_old_leader_cuts_what_the_new_leader_never_got() {
    if !support::python_module("kafka", "pip install kafka-python") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("zk")).unwrap();
    let coordinator = Coordinator::start(&root.path().join("zk"), "");
    let zk = coordinator.address();
    seed_topic(&zk);
    let (port1, port2) = (free_port(), free_port());
    let mut b1 = Broker::start(&root.path().join("broker1"), &zk, 1, port1);
    let b2 = Broker::start(&root.path().join("broker2"), &zk, 2, port2);

    let a: Vec<&str> = vec!["a0", "a1", "a2", "a3", "a4"];
    assert_eq!(produce(&b1.address(), "all", &a), vec![0, 1, 2, 3, 4]);

    // Broker 2 stops fetching; a fetch it had in flight is answered within the leader's
    // `replica.fetch.wait.max.ms` (500 ms), so records written after that never reach it.
    b2.signal("-STOP");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        produce(&b1.address(), "1", &["x0", "x1", "x2"]),
        vec![5, 6, 7]
    );
    b1.kill9();
    b2.signal("-CONT");

    let s = support::wait::until("broker 2 leads d-0", 60, || match state(&zk) {
        Ok(s) if s.leader == 2 => Ok(s),
        other => Err(format!("{other:?}")),
    });
    assert!(s.leader_epoch >= 1, "{s:?}");
    let b = ["b0", "b1", "b2", "b3"];
    assert_eq!(produce(&b2.address(), "1", &b), vec![5, 6, 7, 8]);

    let before = records_on_disk(&b1.partition_dir());
    assert_eq!(
        before.len(),
        8,
        "broker 1 holds a0..a4 and x0..x2: {before:?}"
    );
    let b1 = Broker::start(&root.path().join("broker1"), &zk, 1, port1);
    let expected: Vec<(i64, String)> = a
        .iter()
        .chain(b.iter())
        .enumerate()
        .map(|(i, v)| (i as i64, v.to_string()))
        .collect();
    assert_eq!(records_on_disk(&b2.partition_dir()), expected);
    let after = support::wait::until("broker 1 caught up with broker 2", 60, || {
        let seen = records_on_disk(&b1.partition_dir());
        if seen.len() >= expected.len() && !seen.iter().any(|(_, v)| v.starts_with('x')) {
            Ok(seen)
        } else {
            Err(format!("{seen:?}"))
        }
    });
    assert_eq!(
        after, expected,
        "the old leader's log is the new leader's, record by record"
    );

    // The high watermark reaches the follower and both brokers' `replication-offset-checkpoint`
    // (written every 5 s).
    for broker in [&b1, &b2] {
        let path = broker
            .dir
            .join("logs")
            .join("replication-offset-checkpoint");
        support::wait::until("the high watermark 9 checkpointed", 30, || {
            match std::fs::read_to_string(&path) {
                Ok(text) if text == "0\n1\nd 0 9\n" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        });
    }

    // Both keep Kafka's `leader-epoch-checkpoint`: the first leader's epoch from offset 0,
    // broker 2's from offset 5 (the epochs themselves depend on the controller's elections).
    for broker in [&b1, &b2] {
        let text = std::fs::read_to_string(broker.partition_dir().join("leader-epoch-checkpoint"))
            .unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text:?}");
        assert_eq!(lines[..2], ["0", "2"], "{text:?}");
        let first: Vec<i64> = lines[2].split(' ').map(|n| n.parse().unwrap()).collect();
        assert_eq!(first[1], 0, "{text:?}");
        assert!(first[0] < i64::from(s.leader_epoch), "{text:?}");
        assert_eq!(lines[3], format!("{} 5", s.leader_epoch), "{text:?}");
    }
}

/// The leader's check of a follower's `current_leader_epoch` in Fetch (KIP-320, Kafka 2.6's
/// `Partition.checkCurrentLeaderEpoch`), which the running brokers apply to replica fetches.
#[test]
fn a_follower_fetching_with_another_leader_epoch_is_told_which_way() {
    use lab12_replication::replication_service::check_current_leader_epoch;
    use lab12_replication::ErrorCode;
    assert_eq!(check_current_leader_epoch(3, 3), ErrorCode::None);
    assert_eq!(
        check_current_leader_epoch(-1, 3),
        ErrorCode::None,
        "no check"
    );
    assert_eq!(
        check_current_leader_epoch(2, 3),
        ErrorCode::FencedLeaderEpoch
    );
    assert_eq!(
        check_current_leader_epoch(4, 3),
        ErrorCode::UnknownLeaderEpoch
    );
}
