//! Step 1: server.properties, and topics that live in `<log.dirs>/<topic>-<partition>`.

mod common;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, BrokerConfig, Error, ServerProperties};

#[test]
fn step1_topics_are_folders_and_come_back_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    assert!(broker.topic_names().is_empty());
    assert_eq!(
        broker.create_topic("orders", 3, 1_000).unwrap(),
        ErrorCode::None
    );
    assert_eq!(
        broker.create_topic("my-events.v2", 1, 1_000).unwrap(),
        ErrorCode::None
    );
    for p in 0..3 {
        assert!(dir.path().join(format!("orders-{p}")).is_dir());
    }
    assert_eq!(
        broker.create_topic("orders", 3, 1_000).unwrap(),
        ErrorCode::TopicAlreadyExists
    );
    assert_eq!(
        broker.create_topic("bad/name", 1, 1_000).unwrap(),
        ErrorCode::InvalidTopicException
    );
    assert_eq!(
        broker.create_topic("zero", 0, 1_000).unwrap(),
        ErrorCode::InvalidPartitions
    );
    drop(broker);

    // Folders that are not partitions are left alone; a topic may have any set of partitions
    // (in a cluster a broker hosts only some of them: here 1 and 4 of `sparse`).
    std::fs::create_dir(dir.path().join("lost+found")).unwrap();
    std::fs::create_dir(dir.path().join("sparse-1")).unwrap();
    std::fs::create_dir(dir.path().join("sparse-4")).unwrap();
    let broker = common::broker(dir.path());
    assert_eq!(broker.topic_names(), ["my-events.v2", "orders", "sparse"]);
    assert!(broker.partition("orders", 2).is_some());
    assert!(broker.partition("orders", 3).is_none());
    assert_eq!(broker.partition_count("sparse"), Some(2));
    assert!(broker.partition("sparse", 1).is_some() && broker.partition("sparse", 4).is_some());
    assert!(broker.partition("sparse", 0).is_none() && broker.partition("sparse", 2).is_none());
}

#[test]
fn step1_server_properties_speak_kafkas_keys() {
    let text = "# the slides' broker\nbroker.id=2\nlisteners=PLAINTEXT://:9092\n\
                advertised.listeners=PLAINTEXT://kafka02:9092\nlog.dirs=/data/kafka-logs,/other\n\
                num.partitions=3\nzookeeper.connect=kafka01:2181/my-kafka-cluster\n";
    let (c, warnings) = BrokerConfig::parse(text).unwrap();
    assert_eq!(c.broker_id, 2);
    assert_eq!(
        (c.listener_host.as_str(), c.listener_port),
        ("0.0.0.0", 9092)
    );
    assert_eq!(
        (c.advertised_host.as_str(), c.advertised_port),
        ("kafka02", 9092)
    );
    assert_eq!(c.log_dir, std::path::PathBuf::from("/data/kafka-logs"));
    assert_eq!(c.num_partitions, 3);
    assert_eq!(
        warnings.len(),
        1,
        "zookeeper.connect is not used by a single broker: {warnings:?}"
    );
    let e = BrokerConfig::parse("broker.id=1\nnum.partitions=many\n").unwrap_err();
    assert!(
        matches!(e, Error::Config { line: 2, ref key, .. } if key == "num.partitions"),
        "{e}"
    );
    assert!(BrokerConfig::parse("listeners=9092\n").is_err());

    // Lab 05 reads only its own keys: a later lab's key is left in the properties for that lab
    // to read, and reported only if no lab reads it.
    let text = "broker.id=1\ngroup.initial.rebalance.delay.ms=0\nno.such.key=1\n";
    let (_, warnings) = BrokerConfig::parse(text).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    let properties = ServerProperties::parse(text);
    BrokerConfig::from_properties(&properties).unwrap();
    assert_eq!(
        properties
            .number("group.initial.rebalance.delay.ms", "a time in ms")
            .unwrap(),
        Some(0),
        "lab 07 reads its own key"
    );
    let warnings = properties.unused();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("line 3") && warnings[0].contains("`no.such.key`"),
        "the warning names the key: {warnings:?}"
    );
    // What the warning says: the lab that makes a Kafka key work, the key a typo meant.
    let (_, warnings) = BrokerConfig::parse(
        "broker.id=1\nzookeeper.connect=localhost:2181\nmin.insync.replicas=2\n\
         num.partiton=3\nlog.retention.ms=1000\nnum.io.threads=8\nflux.capacitor=1\n",
    )
    .unwrap();
    let expected = [
        "line 2: `zookeeper.connect` is not used until lab 11",
        "line 3: `min.insync.replicas` is not used until lab 12",
        "line 4: `num.partiton` is not used: Kafka has no broker setting of that name; did you mean `num.partitions`?",
        "line 5: `log.retention.ms` is not used: this broker reads `log.retention.hours` instead",
        "line 6: `num.io.threads` is not used: it is Kafka's setting for thread pools",
        "line 7: `flux.capacitor` is not used: Kafka has no broker setting of that name",
    ];
    assert_eq!(warnings.len(), expected.len(), "{warnings:#?}");
    for (w, e) in warnings.iter().zip(expected) {
        assert!(w.contains(e), "{w:?} should say {e:?}");
    }
    assert!(!warnings[5].contains("did you mean"), "{}", warnings[5]);

    // A broker opens its log.dirs, creating it if needed.
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    let broker = Broker::open(
        BrokerConfig {
            log_dir: nested.clone(),
            ..c
        },
        0,
    )
    .unwrap();
    assert!(nested.is_dir());
    assert_eq!(broker.log_dir(), nested);
}
