//! Step 3: DeleteTopics — the topic, its folders and its settings are gone.

mod common;

use common::{create, open, topic};
use lab04_protocol_codec::ErrorCode;
use lab06_topics::delete_topics::DeleteTopicsRequest;
use lab06_topics::topic_config::TopicConfig;

fn delete(names: &[&str]) -> DeleteTopicsRequest {
    DeleteTopicsRequest {
        topic_names: names.iter().map(|n| n.to_string()).collect(),
        timeout_ms: 30_000,
    }
}

#[test]
fn step3_delete_removes_the_folders_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("gone", 3, 1, &[("retention.ms", "1000")])]),
        2_000,
    );
    admin.create_topics(&mut broker, &create(vec![topic("stays", 1, 1, &[])]), 2_000);
    assert!(TopicConfig::path(dir.path(), "gone").exists());
    let r = admin.delete_topics(&mut broker, &delete(&["gone"]));
    assert_eq!(
        (r.responses[0].name.as_str(), r.responses[0].error_code),
        ("gone", ErrorCode::None)
    );
    assert_eq!(broker.partition_count("gone"), None);
    for p in 0..3 {
        assert!(
            !dir.path().join(format!("gone-{p}")).exists(),
            "gone-{p} is still on disk"
        );
    }
    assert!(!TopicConfig::path(dir.path(), "gone").exists());
    assert!(admin.topic_config("gone").overrides.is_empty());
    assert!(
        dir.path().join("stays-0").is_dir(),
        "other topics are untouched"
    );
}

#[test]
fn step3_an_unknown_topic_gets_unknown_topic_or_partition() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("real", 1, 1, &[])]), 2_000);
    let r = admin.delete_topics(&mut broker, &delete(&["ghost", "real"]));
    let codes: Vec<ErrorCode> = r.responses.iter().map(|r| r.error_code).collect();
    assert_eq!(codes, [ErrorCode::UnknownTopicOrPartition, ErrorCode::None]);
}

#[test]
fn step3_a_topic_made_again_after_delete_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("again", 1, 1, &[("segment.bytes", "4096")])]),
        2_000,
    );
    let mut produce = lab04_protocol_codec::ProduceRequest {
        transactional_id: None,
        acks: 1,
        timeout_ms: 1000,
        topics: vec![lab04_protocol_codec::ProduceTopic {
            name: "again".into(),
            partitions: vec![lab04_protocol_codec::ProducePartition {
                index: 0,
                records: Some({
                    let mut b = lab01_record_batch::RecordBatchBuilder::new(0);
                    b.append(1, None, Some(b"old"), vec![]);
                    b.build().encode()
                }),
            }],
        }],
    };
    broker.produce(&mut produce, 2_000);
    assert_eq!(broker.partition("again", 0).unwrap().log_end_offset(), 1);
    admin.delete_topics(&mut broker, &delete(&["again"]));
    let r = admin.create_topics(&mut broker, &create(vec![topic("again", 1, 1, &[])]), 3_000);
    assert_eq!(r.topics[0].error_code, ErrorCode::None);
    let log = broker.partition("again", 0).unwrap().log();
    assert_eq!(log.log_end_offset(), 0, "no old records come back");
    assert_eq!(
        log.config().segment_bytes,
        1 << 30,
        "no old settings come back"
    );
    // And after a restart too.
    drop((broker, admin));
    let (broker, _) = open(dir.path());
    assert_eq!(
        broker
            .partition("again", 0)
            .unwrap()
            .log()
            .config()
            .segment_bytes,
        1 << 30
    );
}
