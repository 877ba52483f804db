//! Lab 11 step 7 through the real programs: three `kafka-server-start` brokers with the slides'
//! `zookeeper.connect=…/my-kafka-cluster` register themselves, and `zookeeper-shell` (and
//! ZooKeeper's own `zkCli.sh`) lists `[1, 2, 3]` as the slides show. The same scenario runs on
//! our coordinator and on Debian's ZooKeeper 3.8. All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::broker::Broker;
use support::coordinator::Coordinator;
use support::free_port;
use support::real_zookeeper::RealZooKeeper;

const ZKCLI: &str = "/usr/share/zookeeper/bin/zkCli.sh";
const SESSION_TIMEOUT_MS: u64 = 6000;

fn start_broker(root: &Path, zk: &str, id: i32, port: u16) -> Broker {
    let dir = root.join(format!("broker{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    Broker::start_with(
        &dir,
        port,
        &format!(
            "broker.id={id}\nzookeeper.connect={zk}/my-kafka-cluster\n\
             zookeeper.session.timeout.ms={SESSION_TIMEOUT_MS}\n"
        ),
    )
}

/// The command's stdout; killed after `secs` seconds, so a client that waits forever fails the
/// test instead of hanging it.
fn stdout_within(command: &mut Command, secs: u64) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {secs}s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn shell(zk: &str, args: &[&str]) -> String {
    let mut command = Command::new(support::tools_bin());
    command.arg("zookeeper-shell").arg(zk).args(args);
    stdout_within(&mut command, 30).trim().to_string()
}

/// Polls `ls /my-kafka-cluster/brokers/ids` until it prints `want` (at most `secs` seconds).
fn wait_for_ids(zk: &str, want: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = String::new();
    while Instant::now() < deadline {
        last = shell(zk, &["ls", "/my-kafka-cluster/brokers/ids"]);
        if last == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("after {secs}s /my-kafka-cluster/brokers/ids is {last:?}, not {want:?}");
}

/// The scenario, on any ZooKeeper at `zk`.
fn three_brokers_register_and_leave(root: &Path, zk: &str) {
    let ports = [free_port(), free_port(), free_port()];
    let mut brokers: Vec<Option<Broker>> = (1..=3)
        .map(|id| Some(start_broker(root, zk, id, ports[id as usize - 1])))
        .collect();
    wait_for_ids(zk, "[1, 2, 3]", 30);

    // Each registration is Kafka's version-4 JSON with the broker's own address.
    let json = shell(zk, &["get", "/my-kafka-cluster/brokers/ids/2"]);
    let info = lab11_controller::BrokerInfo::decode(2, json.as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(info.version, 4);
    let endpoint = info.plaintext_endpoint().unwrap();
    assert_eq!(
        (endpoint.host.as_str(), endpoint.port),
        ("127.0.0.1", ports[1] as i32)
    );
    let id = shell(zk, &["get", "/my-kafka-cluster/cluster/id"]);
    assert!(id.starts_with(r#"{"version":"1","id":""#), "{id}");
    let ephemeral = shell(zk, &["stat", "/my-kafka-cluster/brokers/ids/1"]);
    assert!(!ephemeral.contains("ephemeralOwner = 0x0\n"), "{ephemeral}");

    // A broker stopped with SIGTERM closes its session: gone at once.
    brokers[1].take().unwrap().stop();
    wait_for_ids(zk, "[1, 3]", 10);
    // A broker killed with SIGKILL is gone when its session expires.
    brokers[2].take().unwrap().crash();
    wait_for_ids(zk, "[1]", 3 * SESSION_TIMEOUT_MS / 1000 + 10);
    // Back again: it registers anew.
    brokers[2] = Some(start_broker(root, zk, 3, ports[2]));
    wait_for_ids(zk, "[1, 3]", 30);
}

#[test]
fn brokers_register_on_our_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    three_brokers_register_and_leave(dir.path(), &coordinator.address());
}

fn owner(zk: &str, id: i32) -> String {
    let stat = shell(
        zk,
        &["stat", &format!("/my-kafka-cluster/brokers/ids/{id}")],
    );
    stat.lines()
        .find(|l| l.starts_with("ephemeralOwner"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn brokers_register_again_on_a_new_session_after_the_coordinator_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let zk_dir = dir.path().join("zk");
    std::fs::create_dir_all(&zk_dir).unwrap();
    let coordinator = Coordinator::start(&zk_dir, "");
    let (port, zk) = (coordinator.port, coordinator.address());
    let _brokers: Vec<Broker> = (1..=2)
        .map(|id| start_broker(dir.path(), &zk, id, free_port()))
        .collect();
    wait_for_ids(&zk, "[1, 2]", 30);
    let before = [owner(&zk, 1), owner(&zk, 2)];
    // SIGKILL, then the same port and dataDir: every broker's connection broke, so each opens
    // a new session and registers again once the old session (kept across the restart, as
    // ZooKeeper keeps it) has expired.
    drop(coordinator);
    let _coordinator = Coordinator::start_on(&zk_dir, port, "");
    let deadline = Instant::now() + Duration::from_secs(3 * SESSION_TIMEOUT_MS / 1000 + 20);
    loop {
        let now = [owner(&zk, 1), owner(&zk, 2)];
        if now
            .iter()
            .zip(&before)
            .all(|(n, b)| !n.is_empty() && n != b)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the brokers did not register on new sessions: before {before:?}, now {now:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    wait_for_ids(&zk, "[1, 2]", 10);
}

#[test]
fn brokers_register_on_debians_zookeeper_and_zkcli_lists_them() {
    if !support::tool_path(ZKCLI, "apt-get install zookeeper")
        || !support::tool("java", "apt-get install default-jre-headless")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zk")).unwrap();
    let zookeeper = RealZooKeeper::start(&dir.path().join("zk"));
    let zk = zookeeper.address();
    let ports = [free_port(), free_port(), free_port()];
    let _brokers: Vec<Broker> = (1..=3)
        .map(|id| start_broker(dir.path(), &zk, id, ports[id as usize - 1]))
        .collect();
    wait_for_ids(&zk, "[1, 2, 3]", 30);
    // ZooKeeper's own shell, as on the slides.
    let stdout = stdout_within(
        Command::new(ZKCLI).args(["-server", &zk, "ls", "/my-kafka-cluster/brokers/ids"]),
        60,
    );
    assert!(
        stdout.lines().any(|l| l.trim() == "[1, 2, 3]"),
        "zkCli.sh printed:\n{stdout}"
    );
    drop(_brokers);
    let dir2 = tempfile::tempdir().unwrap();
    // The full scenario (leave, expire, return) on the same ZooKeeper, under a fresh chroot
    // state: the stopped brokers closed their sessions, so /brokers/ids is empty again.
    wait_for_ids(&zk, "[]", 10);
    three_brokers_register_and_leave(dir2.path(), &zk);
}

#[test]
fn a_bad_zookeeper_connect_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.properties");
    std::fs::write(
        &config,
        format!(
            "broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs={}\n\
             zookeeper.connect=127.0.0.1:notaport/my-kafka-cluster\n",
            dir.path().join("logs").display()
        ),
    )
    .unwrap();
    let mut command = Command::new(support::tools_bin());
    command.arg("kafka-server-start").arg(&config);
    let out = command.output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            r#"zookeeper.connect "127.0.0.1:notaport/my-kafka-cluster": "notaport" is not a port"#
        ),
        "{stderr}"
    );
}
