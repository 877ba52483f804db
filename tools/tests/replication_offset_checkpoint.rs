//! The high watermark checkpoint of a broker in a cluster (lab 12's given
//! `replication_offset_checkpoint`, Kafka's `OffsetCheckpointFile`): Kafka's text, written
//! atomically, read back at a restart so each partition starts from its committed offset; a
//! torn or garbled file is a clear error naming its line, and the broker then starts every
//! high watermark from 0.

use std::collections::BTreeMap;

use lab05_broker::Replication;
use lab12_replication::replication_offset_checkpoint::{
    decode, encode, CheckpointError, ReplicationOffsetCheckpoint,
    REPLICATION_OFFSET_CHECKPOINT_FILENAME,
};
use lab12_replication::{ClusterReplication, ReplicaConfig, TopicPartition};

fn entries() -> BTreeMap<TopicPartition, i64> {
    BTreeMap::from([
        (TopicPartition::new("orders", 0), 42),
        (TopicPartition::new("orders", 1), 17),
        (TopicPartition::new("my.topic-x", 12), 0),
    ])
}

#[test]
fn the_checkpoint_text_is_kafkas_and_round_trips() {
    let text = encode(&entries());
    assert_eq!(text, "0\n3\nmy.topic-x 12 0\norders 0 42\norders 1 17\n");
    assert_eq!(decode(&text, "f").unwrap(), entries());
    let dir = tempfile::tempdir().unwrap();
    let file = ReplicationOffsetCheckpoint::new(dir.path());
    assert_eq!(file.read().unwrap(), BTreeMap::new(), "missing: none");
    file.write(&entries()).unwrap();
    assert_eq!(file.read().unwrap(), entries());
    assert!(!dir
        .path()
        .join("replication-offset-checkpoint.tmp")
        .exists());
}

#[test]
fn a_torn_or_garbled_checkpoint_names_its_line() {
    let torn = decode("0\n3\norders 0 42\n", "cp").unwrap_err();
    assert!(
        matches!(&torn, CheckpointError::Bad { line: 4, reason, .. } if reason.contains("torn")),
        "{torn}"
    );
    assert!(torn.to_string().contains("delete the file"), "{torn}");
    for (text, line) in [
        ("", 1),
        ("1\n0\n", 1),
        ("0\nx\n", 2),
        ("0\n1\norders zero 4\n", 3),
        ("0\n1\norders 0\n", 3),
        ("0\n0\norders 0 4\n", 3),
    ] {
        match decode(text, "cp") {
            Err(CheckpointError::Bad { line: l, .. }) => assert_eq!(l, line, "{text:?}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn a_restarted_broker_opens_its_partitions_at_the_checkpointed_high_watermark() {
    let dir = tempfile::tempdir().unwrap();
    ReplicationOffsetCheckpoint::new(dir.path())
        .write(&entries())
        .unwrap();
    let (rules, _) = ClusterReplication::new(1, ReplicaConfig::default(), 0);
    rules.load_high_watermarks(dir.path());
    assert_eq!(rules.open("orders", 0, 50).high_watermark, 42);
    assert_eq!(
        rules.open("orders", 1, 10).high_watermark,
        10,
        "never past the log end"
    );
    assert_eq!(
        rules.open("clicks", 0, 10).high_watermark,
        0,
        "not named: 0"
    );
    // A garbled file: reported, and every partition starts from 0.
    std::fs::write(
        dir.path().join(REPLICATION_OFFSET_CHECKPOINT_FILENAME),
        "0\n2\n",
    )
    .unwrap();
    let (rules, _) = ClusterReplication::new(1, ReplicaConfig::default(), 0);
    rules.load_high_watermarks(dir.path());
    assert_eq!(rules.open("orders", 0, 50).high_watermark, 0);
}
