//! The study topology's ZooKeeper ensemble, for real: three containers built offline from
//! Debian's packages by the same provisioning scripts as the VMs, started from
//! docker/compose.study.yml. One leader and two followers form; a write through one server is
//! read through another; the ensemble keeps its quorum when one server stops, loses it when two
//! stop, and recovers with every write when they come back.
//!
//! All traffic stays on this machine: the checks run inside the containers with `docker exec`.
//! Every wait is bounded and says what it waited for when it gives up.
//!
//! The test runs a copy of the Compose file that differs in names and ports only: container and
//! network names get this process's id, and ports are published on free ports of 127.0.0.1, so
//! a learner's running cluster, or another `cargo test` on the same machine, is left alone.

use kafkalab_testkit as support;

use std::process::Command;
use std::time::{Duration, Instant};

const HOSTS: [&str; 3] = ["kafka01", "kafka02", "kafka03"];

/// What this test run puts before the Compose file's names: `kafkalab-` becomes
/// `kafkalab-test-<pid>-`.
fn prefix() -> String {
    format!("kafkalab-test-{}-", std::process::id())
}

/// The container of a host: the Compose files name them `kafkalab-<topology>-<host>`.
fn container(host: &str) -> String {
    let topology = if host.starts_with("peter-") {
        "book"
    } else {
        "study"
    };
    format!("{}{topology}-{host}", prefix())
}

/// The Compose file of `topology` as this test runs it: the same services, image, settings and
/// health checks; container and network names made unique, and each `127.0.0.1:PORT:PORT`
/// published on a free port instead (`127.0.0.1::PORT`).
fn compose_file_for_test(topology: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let original = support::repo().join(format!("docker/compose.{topology}.yml"));
    let text = std::fs::read_to_string(&original).unwrap();
    let mut changed = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            if let Some(name) = trimmed
                .strip_prefix("container_name: kafkalab-")
                .or_else(|| trimmed.strip_prefix("name: kafkalab-"))
            {
                changed += 1;
                let key = trimmed.split(':').next().unwrap();
                format!("{indent}{key}: {}{name}", prefix())
            } else if let Some(ports) = trimmed.strip_prefix("- \"127.0.0.1:") {
                changed += 1;
                let container_port = ports.trim_end_matches('"').rsplit(':').next().unwrap();
                format!("{indent}- \"127.0.0.1::{container_port}\"")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(
        changed >= 7,
        "{}: expected container names, a network name and published ports to rename",
        original.display()
    );
    let path = dir.join(format!("compose.{topology}.yml"));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The two layouts share the image build and a 2-core machine, so the tests (threads of one
/// process) take turns.
static ONE_CLUSTER_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Cluster {
    compose: Vec<String>,
    image: String,
    topology: &'static str,
    file: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Cluster {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.compose[0]);
        cmd.args(&self.compose[1..])
            .arg("-f")
            .arg(&self.file)
            .args(["-p", &format!("{}{}", prefix(), self.topology)])
            .env("KAFKALAB_IMAGE", &self.image);
        cmd
    }

    fn compose(&self, args: &[&str]) {
        support::run_ok(self.command().args(args));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Always clean up, also when an assertion failed half way.
        let _ = self
            .command()
            .args(["down", "-v", "--remove-orphans"])
            .output();
    }
}

/// What `srvr` says on `host`'s client port, asked from inside its container.
fn srvr(host: &str) -> String {
    let out = Command::new("docker")
        .args([
            "exec",
            &container(host),
            "sh",
            "-c",
            "printf srvr | nc -w 2 127.0.0.1 2181",
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn mode(host: &str) -> Option<String> {
    srvr(host)
        .lines()
        .find_map(|l| l.strip_prefix("Mode: ").map(str::to_string))
}

/// The modes of `hosts`, sorted, e.g. ["follower", "follower", "leader"].
fn modes(hosts: &[&str]) -> Vec<String> {
    let mut m: Vec<String> = hosts
        .iter()
        .map(|h| mode(h).unwrap_or_else(|| "none".into()))
        .collect();
    m.sort();
    m
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> Option<String>) {
    let start = Instant::now();
    loop {
        if let Some(detail) = done() {
            eprintln!(
                "ok after {:.1}s: {what}: {detail}",
                start.elapsed().as_secs_f64()
            );
            return;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {}s waiting for: {what}",
            limit.as_secs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn wait_for_modes(hosts: &[&str], expected: &[&str], limit: Duration) {
    wait_for(&format!("{hosts:?} to be {expected:?}"), limit, || {
        let now = modes(hosts);
        (now == expected).then(|| format!("{now:?}"))
    });
}

/// Runs one zkCli.sh command against the server in `host`'s container; its stdout and stderr
/// (zkCli.sh writes "Created /path" to stderr).
fn zk_cli(host: &str, args: &[&str]) -> String {
    let out = Command::new("docker")
        .args([
            "exec",
            &container(host),
            "zkCli.sh",
            "-server",
            "127.0.0.1:2181",
        ])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "zkCli.sh {args:?} on {host} failed:\n{text}"
    );
    text
}

fn leader(hosts: &[&str]) -> String {
    hosts
        .iter()
        .find(|h| mode(h).as_deref() == Some("leader"))
        .expect("a leader")
        .to_string()
}

/// Builds the image and returns a cluster handle for `topology`, or `None` if a tool is missing
/// outside CI.
fn cluster(topology: &'static str) -> Option<Cluster> {
    if !support::tool("docker", "install Docker Engine")
        || !support::tool("ruby", "apt-get install ruby")
    {
        return None;
    }
    let compose = support::compose_command()?;
    if !support::tool("debootstrap", "apt-get install debootstrap") {
        return None;
    }
    let turn = ONE_CLUSTER_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let built = support::run_ok(
        Command::new("sh")
            .arg(support::repo().join("docker/build-images.sh"))
            .arg(topology),
    );
    let image = built.lines().last().unwrap().trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster {
        compose,
        image,
        topology,
        file: compose_file_for_test(topology, dir.path()),
        _dir: dir,
        _turn: turn,
    };
    let _ = cluster
        .command()
        .args(["down", "-v", "--remove-orphans"])
        .output();
    Some(cluster)
}

#[test]
fn the_study_ensemble_forms_keeps_quorum_with_one_down_and_loses_it_with_two() {
    let Some(cluster) = cluster("study") else {
        return;
    };
    cluster.compose(&["up", "-d"]);

    let has_kafka = Command::new("docker")
        .args([
            "exec",
            &container("kafka01"),
            "test",
            "-x",
            "/usr/local/kafka/bin/kafka-server-start.sh",
        ])
        .status()
        .unwrap()
        .success();
    if !has_kafka {
        eprintln!(
            "NOTE: Apache Kafka cannot be fetched on this machine, so the images hold ZooKeeper \
             (Debian's package) and no Kafka; this test checks the ensemble. With \
             vagrant/.cache/kafka_2.12-2.6.0.tgz present the same scripts install Kafka too."
        );
    }

    // 1. Three servers elect one leader.
    wait_for_modes(
        &HOSTS,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    let first_leader = leader(&HOSTS);

    // 2. A write through one server is read through another: they share one replicated tree.
    assert!(zk_cli(
        "kafka01",
        &["create", "/kafkalab-test", "written-via-kafka01"]
    )
    .contains("Created /kafkalab-test"));
    assert!(zk_cli("kafka03", &["get", "/kafkalab-test"]).contains("written-via-kafka01"));

    // 3. Stop the leader: the other two (2 of 3, a majority) elect a new one and keep serving.
    cluster.compose(&["stop", &first_leader]);
    let survivors: Vec<&str> = HOSTS
        .iter()
        .copied()
        .filter(|h| *h != first_leader)
        .collect();
    wait_for_modes(&survivors, &["follower", "leader"], Duration::from_secs(90));
    assert!(zk_cli(
        survivors[0],
        &["create", "/kafkalab-quorum", "two-of-three"]
    )
    .contains("Created"));
    assert!(zk_cli(survivors[1], &["get", "/kafkalab-quorum"]).contains("two-of-three"));

    // 4. Stop one more: 1 of 3 is no majority, and the last server stops serving.
    cluster.compose(&["stop", survivors[0]]);
    let last = survivors[1];
    wait_for(
        &format!("{last} to lose the quorum"),
        Duration::from_secs(90),
        || {
            let s = srvr(last);
            s.contains("not currently serving requests")
                .then(|| s.trim().to_string())
        },
    );

    // 5. Start both again: the ensemble recovers with every write.
    cluster.compose(&["start", &first_leader, survivors[0]]);
    wait_for_modes(
        &HOSTS,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    for host in HOSTS {
        assert!(
            zk_cli(host, &["get", "/kafkalab-test"]).contains("written-via-kafka01"),
            "{host}"
        );
        assert!(
            zk_cli(host, &["get", "/kafkalab-quorum"]).contains("two-of-three"),
            "{host}"
        );
    }
}

#[test]
fn the_books_three_zookeeper_hosts_form_an_ensemble_of_their_own() {
    let Some(cluster) = cluster("book") else {
        return;
    };
    // Only the ZooKeeper hosts: the broker hosts need the Kafka release.
    let zk = ["peter-zk01", "peter-zk02", "peter-zk03"];
    cluster.compose(&["up", "-d", zk[0], zk[1], zk[2]]);
    wait_for_modes(
        &zk,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    assert!(zk_cli(zk[0], &["create", "/kafka3", "chroot"]).contains("Created /kafka3"));
    assert!(zk_cli(zk[2], &["get", "/kafka3"]).contains("chroot"));
    let myid = support::run_ok(Command::new("docker").args([
        "exec",
        &container(zk[1]),
        "cat",
        "/data/zk/myid",
    ]));
    assert_eq!(myid, "2\n", "the book keeps ZooKeeper's data in /data/zk");
}
