//! A broker with two listeners, as the install writes them (`INTERNAL` for the cluster network,
//! `EXTERNAL` for the host): it accepts on both, and a client is told the addresses of the
//! listener it came in on — otherwise a client from the host would be sent to an address it
//! cannot reach. INTERNAL is 127.0.0.1:P1, EXTERNAL is 127.0.0.2:P2 (another loopback address,
//! so a wrong answer cannot pass by accident). Real clients: kcat (librdkafka) and
//! kafka-python with a consumer group (FindCoordinator). In a two-broker cluster, each broker
//! registers both endpoints, every broker tells a client the others' addresses on the client's
//! listener, and replication runs over INTERNAL (`inter.broker.listener.name`).

use kafkalab_testkit as support;

use support::broker::{free_port, Broker};
use support::coordinator::Coordinator;

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

/// Produces RECORDS records with kcat through `via` (acks=all, kcat's default), reads them
/// back through `via`, and checks each came back once.
fn produce_and_consume_via(dir: &std::path::Path, via: &str, topic: &str) {
    let input: String = (0..RECORDS).map(|i| format!("k{}:v{i}\n", i % 7)).collect();
    let path = dir.join("input.txt");
    std::fs::write(&path, input).unwrap();
    let path = path.to_str().unwrap();
    kcat(&["-b", via, "-P", "-t", topic, "-K:", "-l", path]);
    let consumed = kcat(&[
        "-b",
        via,
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
    let expected: Vec<usize> = (0..RECORDS).collect();
    assert_eq!(values, expected, "every record once, through {via}");
}

fn two_listener_broker(dir: &std::path::Path) -> (Broker, String, String) {
    two_listener_broker_with(dir, "")
}

fn two_listener_broker_with(dir: &std::path::Path, more: &str) -> (Broker, String, String) {
    let (p1, p2) = (free_port(), free_port_on_second_loopback());
    let internal = format!("127.0.0.1:{p1}");
    let external = format!("127.0.0.2:{p2}");
    let extra = format!(
        "listeners=INTERNAL://{internal},EXTERNAL://{external}\n\
         advertised.listeners=INTERNAL://{internal},EXTERNAL://{external}\n\
         listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT\n\
         inter.broker.listener.name=INTERNAL\n{more}"
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
    produce_and_consume_via(dir.path(), &external, topic);

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

#[test]
fn a_two_broker_cluster_tells_each_client_its_listeners_addresses() {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    let zk = coordinator.address();
    let mut brokers = Vec::new();
    for id in [1, 2] {
        let home = dir.path().join(format!("broker{id}"));
        std::fs::create_dir_all(&home).unwrap();
        let more = format!(
            "broker.id={id}\nzookeeper.connect={zk}/listeners\n\
             default.replication.factor=2\nnum.partitions=2\n"
        );
        brokers.push(two_listener_broker_with(&home, &more));
    }
    let topic = "replicated";
    let (_, internal1, external1) = &brokers[0];
    let (_, internal2, external2) = &brokers[1];
    // Both brokers registered and the topic's partitions have both replicas in sync: wait for
    // it, bounded (a controller elects, LeaderAndIsr, the followers catch up).
    let fully_in_sync = |listing: &str| {
        listing.contains(&format!("topic \"{topic}\" with 2 partitions"))
            && listing.matches("isrs: 1,2").count() + listing.matches("isrs: 2,1").count() == 2
    };
    let mut listing = String::new();
    for _ in 0..60 {
        listing = kcat(&["-b", external1, "-L", "-t", topic]);
        if listing.contains("2 brokers:") && fully_in_sync(&listing) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    assert!(fully_in_sync(&listing), "{listing}");
    for (via, told, not_told) in [
        (external1, [external1, external2], [internal1, internal2]),
        (external2, [external1, external2], [internal1, internal2]),
        (internal2, [internal1, internal2], [external1, external2]),
    ] {
        let listing = kcat(&["-b", via, "-L", "-t", topic]);
        for (id, address) in [1, 2].iter().zip(told) {
            assert!(
                listing.contains(&format!("broker {id} at {address}")),
                "a client on {via} is told broker {id} at {address}:\n{listing}"
            );
        }
        for address in not_told {
            assert!(!listing.contains(address.as_str()), "{via}:\n{listing}");
        }
    }
    // Produce and consume through EXTERNAL; both partitions' leaders are reached there.
    produce_and_consume_via(dir.path(), external2, topic);
    for (broker, _, _) in brokers {
        broker.stop();
    }
}

/// `listeners` and its companion keys, read as Kafka 2.6 reads them.
mod config {
    use lab05_broker::BrokerConfig;

    fn read(text: &str) -> BrokerConfig {
        BrokerConfig::parse(text).unwrap().0
    }

    fn error(text: &str) -> String {
        BrokerConfig::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_installs_two_listeners() {
        let c = read(
            "listeners=INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:19091\n\
             advertised.listeners=INTERNAL://kafka01:9092,EXTERNAL://192.168.56.11:19091\n\
             listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT\n\
             inter.broker.listener.name=INTERNAL\n",
        );
        assert_eq!(c.inter_broker_listener, "INTERNAL");
        assert_eq!(
            (c.advertised_host.as_str(), c.advertised_port),
            ("kafka01", 9092)
        );
        let seen: Vec<(String, String, u16, String, u16)> = c
            .all_listeners()
            .into_iter()
            .map(|l| (l.name, l.host, l.port, l.advertised_host, l.advertised_port))
            .collect();
        let expected = [
            ("INTERNAL", "0.0.0.0", 9092, "kafka01", 9092),
            ("EXTERNAL", "0.0.0.0", 19091, "192.168.56.11", 19091),
        ]
        .map(|(n, h, p, a, ap)| (n.to_string(), h.to_string(), p, a.to_string(), ap));
        assert_eq!(seen, expected);
        assert_eq!(
            c.advertised_on(Some("EXTERNAL")),
            Some(("192.168.56.11".to_string(), 19091))
        );
        assert_eq!(c.advertised_on(Some("OTHER")), None);
    }

    #[test]
    fn a_listener_not_advertised_tells_its_own_address() {
        let c = read(
            "listeners=PLAINTEXT://:9092,OTHER://127.0.0.1:9093\n\
             listener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT\n",
        );
        assert_eq!(c.inter_broker_listener, "PLAINTEXT", "Kafka's default");
        assert_eq!(
            (c.listener_host.as_str(), c.advertised_host.as_str()),
            ("0.0.0.0", "localhost")
        );
        assert_eq!(
            c.advertised_on(Some("OTHER")),
            Some(("127.0.0.1".to_string(), 9093))
        );
    }

    #[test]
    fn mistakes_are_named() {
        let e = error("listeners=INTERNAL://:9092\n");
        assert!(e.contains("listener.security.protocol.map"), "{e}");
        let e = error("listeners=A://:1,A://:2\nlistener.security.protocol.map=A:PLAINTEXT\n");
        assert!(e.contains("twice"), "{e}");
        let e = error("listeners=PLAINTEXT://:1\nadvertised.listeners=EXTERNAL://h:1\n");
        assert!(e.contains("EXTERNAL"), "{e}");
        let e = error("listeners=PLAINTEXT://:1,SASL_SSL://:2\n");
        assert!(e.contains("PLAINTEXT only"), "{e}");
        let e = error("listeners=PLAINTEXT://:1\ninter.broker.listener.name=INTERNAL\n");
        assert!(e.contains("inter.broker.listener.name"), "{e}");
    }
}
