//! `config/server.properties` and `config/zoo.cfg` start the servers as the READMEs say
//! (`cargo run -- kafka-server-start config/server.properties`), and every key in them is one
//! the servers read: an unknown key would be logged as "is not used". The test runs copies
//! with free ports and temporary data folders, so it never meets a server already running.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts `command config` with warnings on, waits for its "started on" line, stops it, and
/// returns everything it logged.
fn start(command: &str, config: &Path) -> String {
    let mut child = Command::new(kafkalab_testkit::built_tools_bin())
        .arg(command)
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    for pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let mut log = String::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        log.push_str(&line);
        log.push('\n');
        if line.contains("started on") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    log
}

#[test]
fn the_sample_configs_start_both_servers_with_keys_they_all_read() {
    let dir = tempfile::tempdir().unwrap();
    let kafka_port = kafkalab_testkit::free_port().to_string();
    let properties = std::fs::read_to_string(repo().join("config/server.properties"))
        .unwrap()
        .replace("9092", &kafka_port)
        .replace(
            "/tmp/kafkalab-kafka-logs",
            &dir.path().join("logs").to_string_lossy(),
        );
    let server_properties = dir.path().join("server.properties");
    std::fs::write(&server_properties, properties).unwrap();
    let log = start("kafka-server-start", &server_properties);
    assert!(
        log.contains(&format!("started on 127.0.0.1:{kafka_port}")),
        "{log}"
    );
    assert!(!log.contains("is not used"), "{log}");

    let zk_port = kafkalab_testkit::free_port().to_string();
    let zoo = std::fs::read_to_string(repo().join("config/zoo.cfg"))
        .unwrap()
        .replace("2181", &zk_port)
        .replace(
            "/tmp/kafkalab-zookeeper",
            &dir.path().join("zk").to_string_lossy(),
        );
    let zoo_cfg = dir.path().join("zoo.cfg");
    std::fs::write(&zoo_cfg, zoo).unwrap();
    let log = start("zookeeper-server-start", &zoo_cfg);
    assert!(log.contains(&format!(":{zk_port}")), "{log}");
    assert!(!log.contains("is not used"), "{log}");
}

#[test]
fn the_cargo_lab_alias_runs_the_runner() {
    let config = std::fs::read_to_string(repo().join(".cargo/config.toml")).unwrap();
    assert!(
        config.contains("lab = \"run --quiet -p kafkalab --\""),
        "{config}"
    );
}
