//! Step 2: CreateTopics — Kafka's checks, folders on disk, the topic's own settings.

mod common;

use common::{create, open, topic};
use lab04_protocol_codec::ErrorCode;

#[test]
fn step2_a_topic_is_a_folder_per_partition_with_its_own_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    let r = admin.create_topics(
        &mut broker,
        &create(vec![topic(
            "orders",
            3,
            1,
            &[("segment.bytes", "4096"), ("retention.ms", "60000")],
        )]),
        2_000,
    );
    let t = &r.topics[0];
    assert_eq!(
        (
            t.name.as_str(),
            t.error_code,
            t.num_partitions,
            t.replication_factor
        ),
        ("orders", ErrorCode::None, 3, 1)
    );
    for p in 0..3 {
        assert!(
            dir.path().join(format!("orders-{p}")).is_dir(),
            "orders-{p}"
        );
        let log = broker.partition("orders", p).unwrap().log();
        assert_eq!(log.config().segment_bytes, 4096);
        assert_eq!(log.config().retention_ms, 60_000);
    }
    assert!(broker.partition("orders", 3).is_none());
    // The answer (v5) lists the effective settings, the topic's own marked as such (source 1).
    let seg = t
        .configs
        .iter()
        .find(|c| c.name == "segment.bytes")
        .unwrap();
    assert_eq!((seg.value.as_deref(), seg.config_source), (Some("4096"), 1));
}

#[test]
fn step2_minus_one_means_the_brokers_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    let r = admin.create_topics(
        &mut broker,
        &create(vec![topic("clicks", -1, -1, &[])]),
        2_000,
    );
    assert_eq!(r.topics[0].error_code, ErrorCode::None);
    assert_eq!(
        r.topics[0].num_partitions, 2,
        "num.partitions of the broker"
    );
    assert_eq!(broker.partition_count("clicks"), Some(2));
}

#[test]
fn step2_kafkas_rules_are_answered_with_kafkas_error_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("orders", 1, 1, &[])]),
        2_000,
    );
    let cases = [
        (
            topic("orders", 1, 1, &[]),
            ErrorCode::TopicAlreadyExists,
            "already exists",
        ),
        (
            topic("bad name!", 1, 1, &[]),
            ErrorCode::InvalidTopicException,
            "illegal",
        ),
        (
            topic("zero", 0, 1, &[]),
            ErrorCode::InvalidPartitions,
            "larger than 0",
        ),
        (
            topic("huge", 1_000_000, 1, &[]),
            ErrorCode::InvalidPartitions,
            "allows",
        ),
        (
            topic("three", 1, 3, &[]),
            ErrorCode::InvalidReplicationFactor,
            "Replication factor: 3 larger than available brokers: 1.",
        ),
        (
            topic("none", 1, 0, &[]),
            ErrorCode::InvalidReplicationFactor,
            "larger than 0",
        ),
        (
            topic("shredded", 1, 1, &[("cleanup.policy", "shred")]),
            ErrorCode::InvalidConfig,
            "cleanup.policy",
        ),
    ];
    for (t, code, message) in cases {
        let name = t.name.clone();
        let r = admin.create_topics(&mut broker, &create(vec![t]), 2_000);
        let got = &r.topics[0];
        assert_eq!(got.error_code, code, "{name}");
        let text = got.error_message.clone().unwrap_or_default();
        assert!(text.contains(message), "{name}: {text}");
    }
    assert_eq!(
        broker.topic_names(),
        vec!["orders".to_string()],
        "nothing else was created"
    );
    assert!(!dir.path().join("zero-0").exists() && !dir.path().join("three-0").exists());
}

#[test]
fn step2_manual_assignments_must_name_this_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    let mut t = topic("placed", -1, -1, &[]);
    t.assignments = vec![(0, vec![1]), (1, vec![1])];
    let r = admin.create_topics(&mut broker, &create(vec![t.clone()]), 2_000);
    assert_eq!(
        (r.topics[0].error_code, r.topics[0].num_partitions),
        (ErrorCode::None, 2)
    );
    t.name = "elsewhere".into();
    t.assignments = vec![(0, vec![2])];
    let r = admin.create_topics(&mut broker, &create(vec![t]), 2_000);
    assert_eq!(r.topics[0].error_code, ErrorCode::InvalidReplicaAssignment);
}

#[test]
fn step2_validate_only_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    let mut request = create(vec![topic("dry", 4, 1, &[])]);
    request.validate_only = true;
    let r = admin.create_topics(&mut broker, &request, 2_000);
    assert_eq!(
        (r.topics[0].error_code, r.topics[0].num_partitions),
        (ErrorCode::None, 4)
    );
    assert_eq!(broker.partition_count("dry"), None);
    assert!(!dir.path().join("dry-0").exists());
}

#[test]
fn step2_a_restarted_broker_keeps_each_topics_settings() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut broker, mut admin) = open(dir.path());
        admin.create_topics(
            &mut broker,
            &create(vec![topic("kept", 2, 1, &[("segment.bytes", "8192")])]),
            2_000,
        );
        admin.create_topics(&mut broker, &create(vec![topic("plain", 1, 1, &[])]), 2_000);
    }
    let (broker, admin) = open(dir.path());
    assert_eq!(broker.partition_count("kept"), Some(2));
    assert_eq!(
        broker
            .partition("kept", 1)
            .unwrap()
            .log()
            .config()
            .segment_bytes,
        8192
    );
    assert_eq!(
        admin.topic_config("kept").overrides["segment.bytes"],
        "8192"
    );
    assert_eq!(
        broker
            .partition("plain", 0)
            .unwrap()
            .log()
            .config()
            .segment_bytes,
        1 << 30
    );
}

#[test]
fn step2_a_name_twice_in_one_request_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    let r = admin.create_topics(
        &mut broker,
        &create(vec![
            topic("twice", 1, 1, &[]),
            topic("twice", 2, 1, &[]),
            topic("once", 1, 1, &[]),
        ]),
        2_000,
    );
    let codes: Vec<ErrorCode> = r.topics.iter().map(|t| t.error_code).collect();
    assert_eq!(
        codes,
        [
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidRequest,
            ErrorCode::None
        ]
    );
    assert_eq!(broker.topic_names(), vec!["once".to_string()]);
}
