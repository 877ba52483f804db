//! `kafkalab cluster`: a fresh `cluster up` in a temporary folder, on ports of its own
//! (`--base-port`, so a learner's cluster on 2181/9092 is never in the way), brings up three
//! ZooKeeper servers with one leader and three brokers that kcat can read metadata from; killing
//! the ZooKeeper leader makes another server the leader; `cluster down` leaves no process.
//! The same runs with Debian's ZooKeeper. Errors: a cluster already up, a port in use, Java
//! missing, a server that ends before it serves.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{alive, cluster, free_block, kafkalab, leaders, ok, status, text, Down, Row};
use kafkalab_testkit as support;

/// Up, check, kill the leader, check a new one, down; `extra` are `up`'s options.
fn up_kill_leader_down(extra: &[&str]) {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("cluster");
    let base = free_block().to_string();
    let mut args = vec!["up", "--base-port", &base];
    args.extend_from_slice(extra);
    let _down = Down(dir.clone());
    let up = ok(&dir, &args);
    println!("{up}");

    let rows = status(&dir);
    let zk: Vec<&Row> = rows.iter().filter(|r| r.server.starts_with("zk")).collect();
    let brokers: Vec<&Row> = rows
        .iter()
        .filter(|r| r.server.starts_with("broker"))
        .collect();
    assert_eq!(zk.len(), 3, "{rows:?}");
    assert_eq!(brokers.len(), 3, "{rows:?}");
    assert!(
        rows.iter().all(|r| r.state == "serving" && r.pid.is_some()),
        "{rows:?}"
    );
    let leader = leaders(&rows);
    assert_eq!(leader.len(), 1, "exactly one ZooKeeper leader: {rows:?}");
    assert_eq!(
        zk.iter().filter(|r| r.role == "zookeeper follower").count(),
        2,
        "{rows:?}"
    );

    if support::tool("kcat", "apt-get install kcat") {
        for (i, broker) in brokers.iter().enumerate() {
            let out = support::run_ok(Command::new("kcat").args([
                "-b",
                &broker.address,
                "-L",
                "-m",
                "10",
            ]));
            let expected = format!("broker {} at {}", i + 1, broker.address);
            assert!(out.contains(&expected), "kcat -L: {out}");
        }
    }

    let log = ok(&dir, &["logs", "zk1"]);
    assert!(log.contains("==== kafkalab cluster: starting zk1"), "{log}");
    // A host name means every server on it: zk2 and broker2 on the study's kafka02.
    let host = &rows.iter().find(|r| r.server == "zk2").unwrap().host;
    let on_host: Vec<&Row> = rows.iter().filter(|r| &r.host == host).collect();
    let logs = ok(&dir, &["logs", host]);
    if on_host.len() > 1 {
        for r in on_host {
            let header = format!("{}/server.log <==", r.server);
            assert!(logs.contains(&header), "{header} in {logs}");
        }
    }

    let again = cluster(&dir, &["up"]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("a cluster is already up in"),
        "{}",
        text(&again)
    );

    let old_leader = leader[0].clone();
    ok(&dir, &["kill", &old_leader]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let new_leader = loop {
        let rows = status(&dir);
        let now = leaders(&rows);
        if now.len() == 1 && now[0] != old_leader {
            let killed = rows.iter().find(|r| r.server == old_leader).unwrap();
            assert_eq!(killed.state, "stopped", "{rows:?}");
            break now[0].clone();
        }
        assert!(
            Instant::now() < deadline,
            "no new ZooKeeper leader 30 s after {old_leader} was killed: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    println!("{old_leader} killed; {new_leader} leads");
    let watched = ok(
        &dir,
        &["status", "--watch", "--count", "2", "--interval", "1"],
    );
    assert_eq!(
        watched
            .matches(&format!("ZooKeeper leader: {new_leader}"))
            .count(),
        2,
        "{watched}"
    );

    let pids: Vec<u32> = status(&dir).iter().filter_map(|r| r.pid).collect();
    assert_eq!(pids.len(), 5);
    let down = ok(&dir, &["down"]);
    assert!(down.contains("Stopped 5 servers"), "{down}");
    let left: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(left.is_empty(), "still running after down: {left:?}");
    assert!(
        status(&dir).iter().all(|r| r.state == "stopped"),
        "status after down"
    );
    // The data stays: the cluster can come up again on it.
    assert!(dir.join("zk1/data/myid").is_file());
}

#[test]
fn our_ensemble_and_three_brokers_come_up_elect_a_new_leader_and_go_down() {
    up_kill_leader_down(&[]);
}

#[test]
fn with_debians_zookeeper_the_same() {
    if !support::tool_path("/usr/share/java/zookeeper.jar", "apt-get install zookeeper")
        || !support::tool("java", "apt-get install openjdk-17-jre-headless")
    {
        return;
    }
    up_kill_leader_down(&["--zookeeper", "debian", "--topology", "book"]);
}

#[test]
fn a_port_in_use_a_missing_java_and_a_server_that_ends_are_clean_errors() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("cluster");
    let base = free_block();
    // Someone else holds the second ZooKeeper's election port.
    let _holder = TcpListener::bind(("127.0.0.1", base + 21)).unwrap();
    let output = cluster(&dir, &["up", "--base-port", &base.to_string()]);
    assert!(!output.status.success());
    let message = text(&output);
    assert!(
        message.contains(&format!(
            "port {} (zk2's election port) is in use",
            base + 21
        )),
        "{message}"
    );
    assert!(!dir.join("cluster.json").exists(), "nothing is written");

    let base = free_block().to_string();
    let output = kafkalab()
        .args([
            "cluster",
            "up",
            "--zookeeper",
            "debian",
            "--base-port",
            &base,
        ])
        .arg("--dir")
        .arg(&dir)
        .env("JAVA_HOME", scratch.path().join("no-java"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("does not run: install Java"), "{message}");
    assert!(!dir.join("cluster.json").exists(), "nothing is written");

    // A server that ends at once (here every "server" is `false`): the error says which and
    // shows its log, and the others are stopped again.
    let base = free_block().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_kafkalab"))
        .args(["cluster", "up", "--base-port", &base])
        .arg("--dir")
        .arg(&dir)
        .env("KAFKALAB_TOOLS", "/bin/false")
        .env("KAFKALAB_LANG", "en")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(
        message
            .contains("ended (exit status: 1) before it served, so the cluster was stopped again"),
        "{message}"
    );
    let _ = cluster(&dir, &["down", "--purge"]);

    let output = cluster(&dir, &["status"]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("there is no cluster in"),
        "{}",
        text(&output)
    );
}
