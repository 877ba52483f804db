//! `__consumer_offsets` is compacted, as in Kafka (issue 17, item 5): after many commits of the
//! same partitions the log cleaner leaves only the latest commit of each, and replaying the
//! compacted log gives the same committed offsets. In process: lab 05's broker with small
//! segments, lab 07's group metadata manager, the cleaner called directly.

use lab05_broker::shared::now_ms;
use lab05_broker::{Broker, BrokerConfig};
use lab07_consumer_groups::group_metadata_manager::GroupMetadataManager;
use lab07_consumer_groups::offsets::{
    partition_for_group, OffsetKey, OffsetValue, OFFSETS_PARTITIONS, OFFSETS_TOPIC,
};

fn commit(offset: i64, partition: i32) -> (OffsetKey, Option<OffsetValue>) {
    (
        OffsetKey {
            group: "g".into(),
            topic: "orders".into(),
            partition,
        },
        Some(OffsetValue {
            offset,
            leader_epoch: -1,
            metadata: String::new(),
            commit_timestamp: offset,
        }),
    )
}

#[test]
fn the_offsets_topic_keeps_the_latest_commit_of_each_partition() {
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerConfig {
        log_dir: dir.path().join("logs"),
        segment_bytes: 400,
        ..BrokerConfig::default()
    };
    let mut broker = Broker::open(config, now_ms()).unwrap();
    let mut groups = GroupMetadataManager::load(&broker).unwrap();
    for i in 0..40 {
        let code = groups.store(&mut broker, "g", vec![commit(i, (i % 2) as i32)]);
        assert_eq!(code, lab04_protocol_codec::ErrorCode::None);
    }
    let p = partition_for_group("g", OFFSETS_PARTITIONS);
    let log = broker.partition(OFFSETS_TOPIC, p).unwrap().log();
    assert!(log.config().cleanup_policy.compact, "created compacted");
    let (size, segments) = (log.size(), log.segments().len());
    assert!(segments > 3, "{segments} segments");

    assert!(broker.clean_logs(now_ms()).unwrap() >= 1, "the cleaner ran");
    let log = broker.partition(OFFSETS_TOPIC, p).unwrap().log();
    assert!(log.size() < size / 2, "{} bytes left of {size}", log.size());

    let replayed = GroupMetadataManager::load(&broker).unwrap();
    for (partition, latest) in [(0, 38), (1, 39)] {
        let got = replayed.offsets().get("g", "orders", partition).unwrap();
        assert_eq!(got.offset, latest, "partition {partition}");
    }
    // The setting is stored with the topic, so lab 06 reopens it compacted after a restart.
    let stored = std::fs::read_to_string(
        dir.path()
            .join("logs/__topic_configs")
            .join(format!("{OFFSETS_TOPIC}.properties")),
    )
    .unwrap();
    assert_eq!(stored.trim(), "cleanup.policy=compact");
}
