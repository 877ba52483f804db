//! A config key the servers do not use is never silent: at the default log level (no
//! `RUST_LOG`), `kafka-server-start` and `zookeeper-server-start` warn on stderr, naming each
//! key and saying which lab makes it work, or the key a typo meant — and then start anyway.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

/// Starts `command config` with the default log level, waits for its "started on" line, stops
/// it, and returns what it wrote on stderr.
fn stderr_of_a_start(command: &str, config: &Path) -> String {
    let mut child = Command::new(kafkalab_testkit::built_tools_bin())
        .arg(command)
        .arg(config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(line.contains("started on"), "{line:?}\n{stderr}");
    stderr
}

#[test]
fn kafka_server_start_warns_about_each_key_it_does_not_use() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.properties");
    std::fs::write(
        &config,
        format!(
            "broker.id=0\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs={}\n\
             zookeeper.set.acl=false\nmin.insync.replicas=2\ndefault.replication.factor=3\n\
             transaction.state.log.replication.factor=1\nlog.retention.hour=1\nflux.capacitor=1.21\n\
             group.initial.rebalance.delay.ms=0\n",
            dir.path().join("logs").display()
        ),
    )
    .unwrap();
    let stderr = stderr_of_a_start("kafka-server-start", &config);
    for expected in [
        "line 4: `zookeeper.set.acl` is not used until lab 11 (Membership and the controller)",
        "line 5: `min.insync.replicas` is not used until lab 12 (Replication)",
        "line 6: `default.replication.factor` is not used until lab 12",
        "line 7: `transaction.state.log.replication.factor` is not used: it is Kafka's setting for transactions",
        "line 8: `log.retention.hour` is not used: Kafka has no broker setting of that name; did you mean `log.retention.hours`?",
        "line 9: `flux.capacitor` is not used: Kafka has no broker setting of that name",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
    assert!(stderr.contains("WARN"), "{stderr}");
    // Keys a lab reads (lab 05's and lab 07's) are not reported.
    for read in ["broker.id", "listeners", "log.dirs", "group.initial"] {
        assert!(!stderr.contains(&format!("`{read}")), "{stderr}");
    }
}

#[test]
fn zookeeper_server_start_warns_about_ensemble_keys_and_typos() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("zoo.cfg");
    std::fs::write(
        &config,
        format!(
            "tickTime=2000\ndataDir={}\nclientPort=0\nclientPortAddress=127.0.0.1\n\
             initLimit=5\nsyncLimit=2\nserver.1=127.0.0.1:2888:3888\n\
             maxClientCnxn=10\n",
            dir.path().join("zk").display()
        ),
    )
    .unwrap();
    let stderr = stderr_of_a_start("zookeeper-server-start", &config);
    for expected in [
        "`server.1`, `initLimit`, `syncLimit` are not used: an ensemble needs two or more server.N lines (lab 10)",
        "zoo.cfg line 8: `maxClientCnxn` is not used by this server; did you mean `maxClientCnxns`?",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
}
