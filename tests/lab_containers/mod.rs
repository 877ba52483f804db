//! The `lab` flavor's cluster in containers started through `testcontainers`: three ZooKeeper
//! hosts running our coordinator (lab 10) and three broker hosts running our broker (labs
//! 11-13), the book's layout (`vagrant/topologies/book.yaml`: zk01..03, kafka01..03), from
//! the image docker/build-images.sh builds on this machine.
//!
//! - **No registry.** The image is built (or found by its content hash) first and checked to be
//!   there; `testcontainers` pulls only when Docker says an image is missing, so it never does.
//! - **Names of its own.** Every container is `kafkalab-tc-<pid>-<label>-<host>` and the
//!   settings name the hosts that way, so another test, or a learner's cluster, is left alone.
//! - **A network of its own.** `testcontainers` creates it with the first container and removes
//!   it with the last; Docker's DNS resolves the container names on it.
//! - **127.0.0.1 only.** Each broker listens on a free port, published on 127.0.0.1 under the
//!   same number. Our broker serves one listener, the first of `listeners` (the INTERNAL one,
//!   advertised under its container name); the EXTERNAL one the install writes for Apache
//!   Kafka is not served. So clients here reach the advertised `NAME:PORT` as `127.0.0.1:PORT`
//!   ([`LabCluster::hosts`]: what an /etc/hosts line would do, given to the client alone).
//!
//! Faults are Docker's own commands, as a learner would type them: `docker kill -s KILL`,
//! `docker network disconnect`/`connect`, `docker pause`/`unpause`.

// Each test binary uses part of it.
#![allow(dead_code)]

pub mod acks;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use kafkalab_testkit as support;
use support::docker::{wait_for, Flavor};
use testcontainers::core::ContainerPort;
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

/// The book's hosts, named as in its topology file.
const ZOOKEEPERS: [&str; 3] = ["peter-zk01", "peter-zk02", "peter-zk03"];
const BROKERS: [&str; 3] = ["peter-kafka01", "peter-kafka02", "peter-kafka03"];

/// The timers the faults race against, shorter than Kafka's defaults so each fault resolves
/// in seconds: a broker that stops answering loses its ZooKeeper session (and so its
/// leaderships) after 6 s; a follower that stops fetching leaves the ISR after 5 s.
const BROKER_TIMERS: &str = "zookeeper.session.timeout.ms=6000 replica.lag.time.max.ms=5000";

/// ZooKeeper's tick in ms (the book's is 2000): elections and a follower's sync limit
/// (`syncLimit` ticks) take a quarter of the time. Sessions may last 2 to 20 ticks: the
/// brokers' 6 s fit.
const ZK_TICK_MS: &str = "500";

/// One partition as Metadata shows it (`kcat -L`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: u32,
    pub leader: i64,
    pub replicas: BTreeSet<i64>,
    pub isr: BTreeSet<i64>,
}

pub struct LabCluster {
    prefix: String,
    network: String,
    image: String,
    /// Broker id (1..3) → its port, inside its container and on 127.0.0.1.
    ports: Vec<u16>,
    /// Dropped last to first: the brokers, then the ensemble, then (with the last) the network.
    containers: Vec<Container<GenericImage>>,
    /// Containers killed, cut off or paused: Metadata is asked of the others.
    unreachable: std::cell::RefCell<BTreeSet<String>>,
    /// Containers ever hurt: asked last, as a healed broker may still serve a stale Metadata.
    hurt: std::cell::RefCell<BTreeSet<String>>,
    paused: std::cell::RefCell<BTreeSet<String>>,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl LabCluster {
    /// Builds the `lab` image and starts the six containers; waits until the ensemble has one
    /// leader and two followers and every broker's Metadata lists the three brokers. `None`
    /// when Docker is missing outside CI (under `KAFKALAB_REQUIRE_ALL=1` that fails instead).
    pub fn start(label: &str) -> Option<LabCluster> {
        if !support::docker::can_build_images() || !support::tool("kcat", "apt-get install kcat") {
            return None;
        }
        let turn = support::docker::take_turn();
        // One build (or cache lookup) per test process; the image stays for the next run.
        static IMAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let image = IMAGE
            .get_or_init(|| support::docker::build_image("book", Flavor::Lab))
            .clone();
        // testcontainers would pull an image Docker does not have: make sure it has it.
        support::run_ok(Command::new("docker").args(["image", "inspect", &image]));
        let prefix = format!("kafkalab-tc-{}-{label}-", std::process::id());
        let mut cluster = LabCluster {
            network: format!("{prefix}net"),
            prefix,
            image,
            ports: BROKERS.iter().map(|_| support::free_port()).collect(),
            containers: Vec::new(),
            unreachable: Default::default(),
            hurt: Default::default(),
            paused: Default::default(),
            _turn: turn,
        };
        for host in ZOOKEEPERS.iter().chain(&BROKERS) {
            let container = cluster.request(host).start().unwrap_or_else(|e| {
                panic!(
                    "starting {} from {}: {e}",
                    cluster.container(host),
                    cluster.image
                )
            });
            cluster.containers.push(container);
        }
        cluster.wait_for_ensemble(&["follower", "follower", "leader"]);
        cluster.wait_for_brokers();
        Some(cluster)
    }

    /// The container of a host of the book's topology, as `testcontainers` would start it.
    fn request(&self, host: &str) -> testcontainers::ContainerRequest<GenericImage> {
        let (name, tag) = self.image.split_once(':').unwrap();
        let mut request = GenericImage::new(name, tag)
            .with_container_name(self.container(host))
            .with_hostname(self.container(host))
            .with_network(&self.network)
            .with_startup_timeout(Duration::from_secs(60));
        for (key, value) in support::topology_env("book", host, "docker") {
            request = request.with_env_var(key, self.rename(&value));
        }
        request = request.with_env_var("KL_ZK_TICK_TIME", ZK_TICK_MS);
        if let Some(id) = BROKERS.iter().position(|b| *b == host) {
            let port = self.ports[id];
            request = request
                .with_env_var("KL_KAFKA_PORT", port.to_string())
                .with_env_var("KL_KAFKA_EXTERNAL_PORT", support::free_port().to_string())
                .with_env_var("KL_KAFKA_EXTRA_PROPERTIES", BROKER_TIMERS)
                .with_mapped_port(port, ContainerPort::Tcp(port));
        }
        // testcontainers publishes on every address of the host; ours go to 127.0.0.1 only,
        // and nothing else is published.
        request.with_host_config_modifier(|config| {
            config.publish_all_ports = Some(false);
            for bindings in config.port_bindings.iter_mut().flat_map(|m| m.values_mut()) {
                for binding in bindings.iter_mut().flatten() {
                    binding.host_ip = Some("127.0.0.1".into());
                }
            }
        })
    }

    /// A topology value with the book's host names replaced by this cluster's container names.
    fn rename(&self, value: &str) -> String {
        value.replace("peter-", &self.prefix)
    }

    /// The container of a host (`peter-zk01` → `kafkalab-tc-<pid>-<label>-zk01`).
    pub fn container(&self, host: &str) -> String {
        self.rename(host)
    }

    /// The container of broker `id` (1..3).
    pub fn broker(&self, id: i64) -> String {
        self.container(BROKERS[id as usize - 1])
    }

    /// The ZooKeeper containers.
    pub fn zookeepers(&self) -> Vec<String> {
        ZOOKEEPERS.iter().map(|h| self.container(h)).collect()
    }

    /// Every broker's `127.0.0.1:PORT`, comma separated, for a client's bootstrap list.
    pub fn bootstrap(&self) -> String {
        let all: Vec<String> = self
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        all.join(",")
    }

    /// `NAME=127.0.0.1` for each broker's container name, for tests/docker_faults_clients.py.
    pub fn hosts(&self) -> String {
        let all: Vec<String> = BROKERS
            .iter()
            .map(|b| format!("{}=127.0.0.1", self.container(b)))
            .collect();
        all.join(" ")
    }

    /// `127.0.0.1:PORT` of broker `id`.
    pub fn address(&self, id: i64) -> String {
        format!("127.0.0.1:{}", self.ports[id as usize - 1])
    }

    /// The ensemble's chroot of the brokers (`/kafka3` in the book).
    pub fn chroot(&self) -> String {
        let env = support::topology_env("book", BROKERS[0], "docker");
        let connect = &env
            .iter()
            .find(|(k, _)| k == "KL_KAFKA_ZK_CONNECT")
            .unwrap()
            .1;
        format!("/{}", connect.split_once('/').unwrap().1)
    }

    /// `leader`/`follower` of each ZooKeeper container, `none` when it serves no clients.
    pub fn ensemble_modes(&self, containers: &[String]) -> Vec<String> {
        let mut modes: Vec<String> = containers
            .iter()
            .map(|c| mode_of(&support::docker::srvr_in(c)))
            .collect();
        modes.sort();
        modes
    }

    pub fn wait_for_ensemble(&self, expected: &[&str]) {
        let all = self.zookeepers();
        self.wait_for_modes(&all, expected);
    }

    pub fn wait_for_modes(&self, containers: &[String], expected: &[&str]) {
        wait_for(
            &format!("{containers:?} to be {expected:?}"),
            Duration::from_secs(120),
            || {
                let now = self.ensemble_modes(containers);
                (now == expected).then(|| format!("{now:?}"))
            },
        );
    }

    /// The ZooKeeper container whose server leads.
    pub fn ensemble_leader(&self) -> String {
        self.zookeepers()
            .into_iter()
            .find(|c| mode_of(&support::docker::srvr_in(c)) == "leader")
            .expect("a ZooKeeper leader")
    }

    /// Waits until each broker's Metadata lists all three brokers (the controller's
    /// UpdateMetadata reached it).
    pub fn wait_for_brokers(&self) {
        for id in 1..=3 {
            let address = self.address(id);
            wait_for(
                &format!("broker {id} ({address}) to list three brokers"),
                Duration::from_secs(120),
                || {
                    let listing = kcat_list(&address, None)?;
                    listing
                        .contains(" 3 brokers:")
                        .then(|| "3 brokers".to_string())
                },
            );
        }
    }

    /// Creates `topic` with `partitions` partitions of three replicas (our kafka-topics from
    /// this build) and waits until every partition has a leader and three in-sync replicas.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        wait_for(
            &format!("topic {topic} created"),
            Duration::from_secs(60),
            || {
                let out = Command::new(support::built_tools_bin())
                    .args(["kafka-topics", "--bootstrap-server", &self.address(1)])
                    .args(["--create", "--topic", topic, "--partitions"])
                    .arg(partitions.to_string())
                    .args(["--replication-factor", "3"])
                    .output()
                    .unwrap();
                let text = support::docker::output_text(&out);
                (out.status.success() || text.contains("already exists")).then_some(text)
            },
        );
        self.wait_for_partitions(topic, partitions, 3, Duration::from_secs(60));
    }

    /// Waits until every one of `count` partitions of `topic` has a leader and `isr` in-sync
    /// replicas, as Metadata from any broker that answers shows it; returns what it saw.
    pub fn wait_for_partitions(
        &self,
        topic: &str,
        count: u32,
        isr: usize,
        limit: Duration,
    ) -> Vec<PartitionState> {
        let mut seen = Vec::new();
        wait_for(
            &format!("every partition of {topic} to have a leader and {isr} in-sync replicas"),
            limit,
            || {
                seen = self.partitions(topic)?;
                let ok = seen.len() == count as usize
                    && seen.iter().all(|p| p.leader > 0 && p.isr.len() >= isr);
                ok.then(|| format!("{seen:?}"))
            },
        );
        seen
    }

    /// The partitions of `topic` from the first broker whose Metadata answers; brokers never
    /// hurt by a fault first.
    pub fn partitions(&self, topic: &str) -> Option<Vec<PartitionState>> {
        let mut ids: Vec<i64> = (1..=3)
            .filter(|id| !self.unreachable.borrow().contains(&self.broker(*id)))
            .collect();
        ids.sort_by_key(|id| self.hurt.borrow().contains(&self.broker(*id)));
        ids.into_iter()
            .find_map(|id| kcat_list(&self.address(id), Some(topic)))
            .map(|listing| parse_partitions(&listing))
            .filter(|p| !p.is_empty())
    }

    /// What ZooKeeper holds (the controller's decisions), as `kafka-topics --describe` lines:
    /// our `zookeeper-cluster-state` run in a ZooKeeper container that is not hurt.
    pub fn zookeeper_view(&self) -> String {
        let Some(zk) = self
            .zookeepers()
            .into_iter()
            .find(|z| !self.unreachable.borrow().contains(z))
        else {
            return "no ZooKeeper server reachable".into();
        };
        let connect = format!("127.0.0.1:2181{}", self.chroot());
        let out = Command::new("docker")
            .args(["exec", &zk, "/opt/kafkalab/bin/kafkalab-tools"])
            .args(["zookeeper-cluster-state", "--zookeeper", &connect])
            .output()
            .unwrap();
        support::docker::output_text(&out)
    }

    /// `docker kill -s KILL`: the process dies at once, as in a power cut; nothing is flushed.
    pub fn kill(&self, container: &str) {
        docker(&["kill", "-s", "KILL", container]);
        self.hurt(container);
    }

    /// `docker start` of a killed container: the same file system, so the same data.
    pub fn restart(&self, container: &str) {
        docker(&["start", container]);
        self.unreachable.borrow_mut().remove(container);
    }

    /// `docker network disconnect`: the container runs on, alone; nobody reaches it, not even
    /// through its published port.
    pub fn disconnect(&self, container: &str) {
        docker(&["network", "disconnect", &self.network, container]);
        self.hurt(container);
    }

    /// `docker network connect`: back on the network under its name (Docker's DNS resolves
    /// container names on a network of the user's).
    pub fn connect(&self, container: &str) {
        docker(&["network", "connect", &self.network, container]);
        self.unreachable.borrow_mut().remove(container);
    }

    /// `docker pause`: every process of the container is frozen (the cgroup freezer), as in a
    /// long garbage-collection pause; its sockets stay open and nothing answers.
    pub fn pause(&self, container: &str) {
        docker(&["pause", container]);
        self.paused.borrow_mut().insert(container.to_string());
        self.hurt(container);
    }

    pub fn unpause(&self, container: &str) {
        docker(&["unpause", container]);
        self.paused.borrow_mut().remove(container);
        self.unreachable.borrow_mut().remove(container);
    }

    fn hurt(&self, container: &str) {
        self.unreachable.borrow_mut().insert(container.to_string());
        self.hurt.borrow_mut().insert(container.to_string());
    }

    /// The last lines of a container's log, for failure messages.
    pub fn logs(&self, container: &str) -> String {
        let out = Command::new("docker")
            .args(["logs", "--tail", "40", container])
            .output()
            .unwrap();
        support::docker::output_text(&out)
    }
}

impl LabCluster {
    /// The last lines each container printed, on stderr.
    fn print_logs(&self) {
        for host in ZOOKEEPERS.iter().chain(&BROKERS) {
            let name = self.container(host);
            match Command::new("docker")
                .args(["logs", "--tail", "40", &name])
                .output()
            {
                Ok(out) => eprintln!(
                    "--- last lines of {name}:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) => eprintln!("--- docker logs {name}: {e}"),
            }
        }
    }
}

impl Drop for LabCluster {
    fn drop(&mut self) {
        // A paused container cannot be removed: thaw it first.
        for container in self.paused.borrow().iter() {
            let _ = Command::new("docker").args(["unpause", container]).output();
        }
        // A failed test shows what each server said last: a wait that gives up names only
        // what it waited for, and the containers are gone once dropped.
        if std::thread::panicking() {
            self.print_logs();
        }
        // Removes the containers (testcontainers' drop), then the network with the last one.
        while let Some(container) = self.containers.pop() {
            drop(container);
        }
    }
}

fn docker(args: &[&str]) {
    support::run_ok(Command::new("docker").args(args));
}

/// `leader` or `follower` from a `srvr` answer; `none` when there is no `Mode:` line.
fn mode_of(srvr: &str) -> String {
    srvr.lines()
        .find_map(|l| l.strip_prefix("Mode: "))
        .unwrap_or("none")
        .trim()
        .to_string()
}

/// `kcat -L` against one broker (5 s at most); `None` when it does not answer.
fn kcat_list(address: &str, topic: Option<&str>) -> Option<String> {
    let mut kcat = Command::new("timeout");
    kcat.args(["10", "kcat", "-b", address, "-L", "-m", "5"]);
    if let Some(topic) = topic {
        kcat.args(["-t", topic]);
    }
    let out = kcat.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `partition 0, leader 2, replicas: 2,3,1, isrs: 2,3,1` lines of `kcat -L`.
fn parse_partitions(listing: &str) -> Vec<PartitionState> {
    let ids =
        |s: &str| -> BTreeSet<i64> { s.split(',').filter_map(|x| x.trim().parse().ok()).collect() };
    listing
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("partition ")?;
            let (partition, rest) = rest.split_once(", leader ")?;
            let (leader, rest) = rest.split_once(", replicas: ")?;
            let (replicas, rest) = rest.split_once(", isrs: ")?;
            let isr = rest
                .split(',')
                .take_while(|s| !s.contains("Broker"))
                .collect::<Vec<_>>()
                .join(",");
            Some(PartitionState {
                partition: partition.trim().parse().ok()?,
                leader: leader.trim().parse().ok()?,
                replicas: ids(replicas),
                isr: ids(&isr),
            })
        })
        .collect()
}
