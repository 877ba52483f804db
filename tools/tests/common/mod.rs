//! What the tools' cluster tests share (cluster_failover.rs, cluster_kill_leader.rs): brokers
//! of one cluster as `kafka-server-start` processes that can be stopped, killed and started
//! again on the same folder; the test's own ZooKeeper session reading Kafka's znodes; bounded
//! waits that name what they waited for. Here and not in the testkit because it reads znodes
//! with the labs' client, and the testkit depends on no lab.
#![allow(dead_code)]

use kafkalab_testkit as support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lab08_znodes::client::{ClientError, ZkClient};
use lab11_controller::zk_data::{
    decode_controller_epoch, ControllerZNode, LeaderIsrAndControllerEpoch,
};
use support::free_port;

pub const SESSION_TIMEOUT_MS: u64 = 6000;

/// A broker of a cluster as a process. Its log (RUST_LOG=info) goes to `server.log` in its
/// folder; a restart appends to it, so one file tells the broker's whole story.
pub struct Broker {
    child: Child,
    config: PathBuf,
    pub log: PathBuf,
    pub port: u16,
}

impl Broker {
    pub fn start(root: &Path, zk: &str, chroot: &str, id: i32, port: u16, extra: &str) -> Broker {
        let dir = root.join(format!("{}-broker{id}", chroot.trim_start_matches('/')));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("server.properties");
        std::fs::write(
            &config,
            format!(
                "broker.id={id}\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\n\
                 zookeeper.connect={zk}{chroot}\nzookeeper.session.timeout.ms={SESSION_TIMEOUT_MS}\n\
                 controlled.shutdown.retry.backoff.ms=200\n{extra}",
                dir.join("logs").display()
            ),
        )
        .unwrap();
        let log = dir.join("server.log");
        let child = Broker::spawn(&config, &log);
        Broker {
            child,
            config,
            log,
            port,
        }
    }

    fn spawn(config: &Path, log: &Path) -> Child {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let mut child = Command::new(support::tools_bin())
            .arg("kafka-server-start")
            .arg(config)
            .env("RUST_LOG", "info")
            // Plain text (tracing colours its fields otherwise), for the tests' searches.
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        support::wait_for_banner(&mut child, "kafkalab broker started");
        child
    }

    /// `kill -9`: no controlled shutdown, no flush, the ZooKeeper session left to expire.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the broker again on the same configuration and log directory (after
    /// [`kill`](Self::kill) or [`stop`](Self::stop)).
    pub fn restart(&mut self) {
        assert!(
            !matches!(self.child.try_wait(), Ok(None)),
            "restart of a broker that still runs"
        );
        self.child = Broker::spawn(&self.config, &self.log);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGTERM, then waits (bounded) for the exit; returns how long it took.
    pub fn stop(&mut self) -> Duration {
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return started.elapsed();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("broker did not stop within 20 s after SIGTERM");
    }

    pub fn log_count(&self, needle: &str) -> usize {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut text);
        }
        text.matches(needle).count()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The test's own ZooKeeper session under `chroot`.
pub struct Zk {
    runtime: tokio::runtime::Runtime,
    client: ZkClient,
    address: String,
    chroot: String,
}

impl Zk {
    pub fn connect(address: &str, chroot: &str) -> Zk {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = Zk::session(&runtime, address);
        Zk {
            runtime,
            client,
            address: address.to_string(),
            chroot: chroot.to_string(),
        }
    }

    fn session(runtime: &tokio::runtime::Runtime, address: &str) -> ZkClient {
        wait_until("a ZooKeeper session", 20, || {
            runtime
                .block_on(ZkClient::connect(address, 30_000))
                .map_err(|e| e.to_string())
        })
    }

    /// The data of `path`, `None` when it does not exist. This session pings nobody between
    /// calls (its runtime runs only inside them), so after a long pause the server may have
    /// expired it: then one new session, and the read again.
    pub fn get(&mut self, path: &str) -> Option<Vec<u8>> {
        let path = format!("{}{path}", self.chroot);
        for attempt in 0..2 {
            match self.runtime.block_on(self.client.get(&path)) {
                Ok((data, _)) => return Some(data),
                Err(ClientError::Keeper { code, .. })
                    if code == lab08_znodes::Code::NoNode.code() =>
                {
                    return None
                }
                Err(e) if attempt == 1 => panic!("get {path}: {e}"),
                Err(_) => self.client = Zk::session(&self.runtime, &self.address),
            }
        }
        unreachable!("the second attempt returns or panics")
    }

    /// Creates `path` with `data`, and its missing parents empty.
    pub fn create_all(&mut self, path: &str, data: &[u8]) {
        let full = format!("{}{path}", self.chroot);
        let mut at = String::new();
        let parts: Vec<&str> = full.split('/').filter(|s| !s.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            at.push('/');
            at.push_str(part);
            let bytes: &[u8] = if i + 1 == parts.len() { data } else { b"" };
            match self.runtime.block_on(self.client.create(&at, bytes, 0)) {
                Ok(_) => {}
                Err(ClientError::Keeper { code, .. })
                    if code == lab08_znodes::Code::NodeExists.code() && i + 1 < parts.len() => {}
                Err(e) => panic!("create {at}: {e}"),
            }
        }
    }

    /// Holds `/controller` for a broker id no broker has, so that no broker elects itself
    /// until [`release_controller`](Self::release_controller).
    pub fn hold_controller(&mut self) {
        let data = ControllerZNode {
            broker_id: 99,
            timestamp_ms: 0,
        }
        .encode();
        let path = format!("{}/controller", self.chroot);
        self.runtime
            .block_on(self.client.create(&path, &data, 1))
            .unwrap_or_else(|e| panic!("create {path}: {e}"));
    }

    /// Once `n` brokers registered, lets go of `/controller`: they elect one that sees them all.
    pub fn release_controller(&mut self, n: usize) {
        let ids = format!("{}/brokers/ids", self.chroot);
        wait_until(&format!("{n} brokers registered"), 20, || {
            match self.runtime.block_on(self.client.children(&ids)) {
                Ok(c) if c.len() == n => Ok(()),
                other => Err(format!("{other:?}")),
            }
        });
        let path = format!("{}/controller", self.chroot);
        self.runtime
            .block_on(self.client.delete(&path, -1))
            .unwrap_or_else(|e| panic!("delete {path}: {e}"));
    }

    pub fn set(&mut self, path: &str, data: &[u8]) {
        let path = format!("{}{path}", self.chroot);
        self.runtime
            .block_on(self.client.set(&path, data, -1))
            .unwrap_or_else(|e| panic!("set {path}: {e}"));
    }

    pub fn controller_epoch(&mut self) -> Option<i32> {
        Some(decode_controller_epoch(&self.get("/controller_epoch")?).unwrap())
    }

    pub fn controller(&mut self) -> Option<i32> {
        Some(
            ControllerZNode::decode(&self.get("/controller")?)
                .unwrap()
                .broker_id,
        )
    }

    pub fn state(&mut self, topic: &str, p: i32) -> Option<LeaderIsrAndControllerEpoch> {
        let data = self.get(&format!("/brokers/topics/{topic}/partitions/{p}/state"))?;
        Some(LeaderIsrAndControllerEpoch::decode(&data).unwrap())
    }
}

pub fn wait_until<T>(what: &str, secs: u64, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match check() {
            Ok(v) => return v,
            Err(last) if Instant::now() > deadline => {
                panic!("after {secs}s, still not {what}; last seen: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

pub fn wait_for_state(
    zk: &mut Zk,
    topic: &str,
    p: i32,
    secs: u64,
    want: impl Fn(&LeaderIsrAndControllerEpoch) -> bool,
) -> LeaderIsrAndControllerEpoch {
    wait_until(
        &format!("the state {topic}-{p} wanted"),
        secs,
        || match zk.state(topic, p) {
            Some(s) if want(&s) => Ok(s),
            other => Err(format!("{other:?}")),
        },
    )
}

pub fn start_cluster(
    root: &Path,
    address: &str,
    chroot: &str,
    ids: &[i32],
    extra: &str,
) -> BTreeMap<i32, Broker> {
    ids.iter()
        .map(|id| {
            let broker = Broker::start(root, address, chroot, *id, free_port(), extra);
            (*id, broker)
        })
        .collect()
}

/// `kafka-topics --create` of a one-partition topic with `settings` (`--replication-factor`,
/// `--config` …), tried again for a while: right after the brokers start, one may not know the
/// others yet.
pub fn create_topic(bootstrap: &str, topic: &str, settings: &[&str]) {
    wait_until(&format!("topic {topic} created"), 30, || {
        let out = Command::new(support::tools_bin())
            .args(["kafka-topics", "--bootstrap-server", bootstrap])
            .args(["--create", "--topic", topic, "--partitions", "1"])
            .args(settings)
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
}

/// `kafka-producer-perf-test` as fast as it goes: its final line (`N records sent, X
/// records/sec …`) and X.
pub fn producer_perf(
    bootstrap: &str,
    topic: &str,
    acks: &str,
    records: u64,
    size: usize,
) -> (String, f64) {
    let (line, rate, _) = producer_perf_metrics(bootstrap, topic, acks, records, size);
    (line, rate)
}

/// [`producer_perf`] with `--print-metrics`: also the producer's metric lines (requests,
/// batches, records per request), which say how well the records were batched.
pub fn producer_perf_metrics(
    bootstrap: &str,
    topic: &str,
    acks: &str,
    records: u64,
    size: usize,
) -> (String, f64, Vec<String>) {
    let out = Command::new(support::tools_bin())
        .args(["kafka-producer-perf-test", "--topic", topic])
        .args(["--num-records", &records.to_string()])
        .args(["--record-size", &size.to_string()])
        .args(["--print-metrics"])
        .args(["--throughput", "-1", "--seed", "1", "--producer-props"])
        .arg(format!("bootstrap.servers={bootstrap}"))
        .arg(format!("acks={acks}"))
        .output()
        .expect("kafka-producer-perf-test");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .rfind(|l| l.contains("records sent"))
        .unwrap_or("")
        .to_string();
    let rate = line
        .split(" records/sec")
        .next()
        .and_then(|l| l.rsplit(", ").next())
        .and_then(|r| r.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    let metrics = text
        .lines()
        .filter(|l| l.starts_with("producer-metrics:"))
        .map(str::to_string)
        .collect();
    (line, rate, metrics)
}

/// Waits until partition 0 of `topic` has a leader and all three brokers in its ISR. `Err` names the
/// brokers outside it and the last warning each logged, which usually says why.
pub fn whole_isr(
    zk: &mut Zk,
    topic: &str,
    brokers: &BTreeMap<i32, Broker>,
    secs: u64,
) -> Result<LeaderIsrAndControllerEpoch, String> {
    whole_isr_of(zk, topic, 0, brokers, secs)
}

/// [`whole_isr`] of partition `p`.
pub fn whole_isr_of(
    zk: &mut Zk,
    topic: &str,
    p: i32,
    brokers: &BTreeMap<i32, Broker>,
    secs: u64,
) -> Result<LeaderIsrAndControllerEpoch, String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let state = zk.state(topic, p);
        match &state {
            Some(s) if s.leader > 0 && s.isr.len() == 3 => return Ok(s.clone()),
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let isr = state.as_ref().map(|s| s.isr.clone()).unwrap_or_default();
                let mut why = format!("{topic}-{p} for {secs} s: {state:?}");
                for (id, broker) in brokers.iter().filter(|(id, _)| !isr.contains(id)) {
                    let log = std::fs::read_to_string(&broker.log).unwrap_or_default();
                    let last = log.lines().rfind(|l| l.contains(" WARN ")).unwrap_or("");
                    why.push_str(&format!(
                        "\n  broker {id} outside the ISR; its last warning: {last}"
                    ));
                }
                return Err(why);
            }
        }
    }
}
