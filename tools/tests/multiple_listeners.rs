//! A broker with two listeners, as the install writes them (`INTERNAL` for the cluster network,
//! `EXTERNAL` for the host): it accepts on both, and a client is told the addresses of the
//! listener it came in on — otherwise a client from the host would be sent to an address it
//! cannot reach. INTERNAL is 127.0.0.1:P1, EXTERNAL is 127.0.0.2:P2 (another loopback address,
//! so a wrong answer cannot pass by accident). Real clients: kcat (librdkafka) and
//! kafka-python with a consumer group (FindCoordinator).

use kafkalab_testkit as support;

use support::broker::{free_port, Broker};

use std::process::{Command, Stdio};

const RECORDS: usize = 500;

fn run_ok(cmd: &mut Command) -> String {
    support::run_ok(cmd.stdin(Stdio::null()))
}

fn kcat(args: &[&str]) -> String {
    run_ok(Command::new("timeout").arg("60").arg("kcat").args(args))
}

/// A free port on 127.0.0.2 (bound, read, released).
fn free_port_on_second_loopback() -> u16 {
    std::net::TcpListener::bind("127.0.0.2:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn two_listener_broker(dir: &std::path::Path) -> (Broker, String, String) {
    let (p1, p2) = (free_port(), free_port_on_second_loopback());
    let internal = format!("127.0.0.1:{p1}");
    let external = format!("127.0.0.2:{p2}");
    let extra = format!(
        "listeners=INTERNAL://{internal},EXTERNAL://{external}\n\
         advertised.listeners=INTERNAL://{internal},EXTERNAL://{external}\n\
         listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT\n\
         inter.broker.listener.name=INTERNAL\n"
    );
    (Broker::start_with(dir, p1, &extra), internal, external)
}

#[test]
fn each_listener_advertises_its_own_address_and_serves_clients() {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (broker, internal, external) = two_listener_broker(dir.path());
    let topic = "two-listeners";

    for (via, other) in [(&internal, &external), (&external, &internal)] {
        let listing = kcat(&["-b", via, "-L", "-t", topic]);
        assert!(
            listing.contains(&format!("broker 1 at {via}")),
            "a client on {via} is told {via}:\n{listing}"
        );
        assert!(
            !listing.contains(other.as_str()),
            "a client on {via} is not told {other}:\n{listing}"
        );
    }

    // Produce and consume through the second listener only: every connection librdkafka opens
    // after the bootstrap goes to the advertised EXTERNAL address.
    let mut input = String::new();
    for i in 0..RECORDS {
        input.push_str(&format!("k{}:v{i}\n", i % 7));
    }
    let path = dir.path().join("input.txt");
    std::fs::write(&path, input).unwrap();
    run_ok(
        Command::new("timeout")
            .args([
                "60", "kcat", "-b", &external, "-P", "-t", topic, "-K:", "-l",
            ])
            .arg(&path),
    );
    let consumed = kcat(&[
        "-b",
        &external,
        "-C",
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%s\n",
    ]);
    let mut values: Vec<usize> = consumed
        .lines()
        .map(|v| v.trim_start_matches('v').parse().unwrap())
        .collect();
    values.sort();
    assert_eq!(
        values,
        (0..RECORDS).collect::<Vec<_>>(),
        "every record once"
    );

    // A consumer group on the second listener: FindCoordinator must name EXTERNAL too, or
    // kafka-python would join the group through the INTERNAL address.
    if support::python_module("kafka", "pip install kafka-python") {
        let script = format!(
            "import kafka\n\
             c = kafka.KafkaConsumer('{topic}', bootstrap_servers='{external}', group_id='g1',\n\
                 auto_offset_reset='earliest', consumer_timeout_ms=10000)\n\
             n = sum(1 for _ in zip(range({RECORDS}), c))\n\
             c.commit()\n\
             print(n, sorted({{b.host + ':' + str(b.port) for b in c._client.cluster.brokers()}}))\n\
             b = c._client.cluster.broker_metadata(c._coordinator.coordinator_id)\n\
             print(b.host + ':' + str(b.port))\n\
             c.close()\n"
        );
        let out = run_ok(Command::new("timeout").args(["60", "python3", "-c", &script]));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines.first().copied(),
            Some(format!("{RECORDS} ['{external}']").as_str()),
            "{out}"
        );
        assert_eq!(lines.get(1).copied(), Some(external.as_str()), "{out}");
    }
    broker.stop();
}

#[test]
fn a_listener_that_is_not_plaintext_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.properties");
    std::fs::write(
        &config,
        format!(
            "listeners=PLAINTEXT://127.0.0.1:{},SSL://127.0.0.1:{}\nlog.dirs={}\n",
            free_port(),
            free_port(),
            dir.path().join("logs").display()
        ),
    )
    .unwrap();
    let out = Command::new(support::tools_bin())
        .arg("kafka-server-start")
        .arg(&config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("listeners") && stderr.contains("SSL") && stderr.contains("PLAINTEXT only"),
        "{stderr}"
    );
}
