//! Offsets committed inside a transaction (KIP-98, Kafka's `GroupMetadataManager`
//! `pendingTransactionalOffsetCommits`): written to `__consumer_offsets` at once as the
//! producer's transactional batch, they become the group's offsets only at the COMMIT marker in
//! the same partition, and never after an ABORT. A replay of the partition — a restart, or a
//! new leader in a cluster — reaches the same state from the log alone.

use lab01_record_batch::RecordBatchBuilder;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, BrokerConfig};
use lab07_consumer_groups::group_metadata_manager::{offset_record, GroupMetadataManager};
use lab07_consumer_groups::offsets::{partition_for_group, OFFSETS_PARTITIONS, OFFSETS_TOPIC};

const NOW: i64 = 1_700_000_000_000;
const GROUP: &str = "payments";

/// A transaction marker as the transaction coordinator writes it: a control batch of the
/// producer whose one record's key is (version 0, type 1 = COMMIT or 0 = ABORT).
fn marker(broker: &mut Broker, p: i32, producer_id: i64, commit: bool) {
    let mut b = RecordBatchBuilder::new(0);
    let key = [0, 0, 0, u8::from(commit)];
    let value = [0, 0, 0, 0, 0, 0]; // version 0, coordinator epoch 0
    b.append(NOW, Some(&key), Some(&value), vec![]);
    let mut batch = b.build();
    batch.producer_id = producer_id;
    batch.producer_epoch = 0;
    batch.base_sequence = -1;
    batch.attributes.transactional = true;
    batch.attributes.control = true;
    let mut bytes = batch.encode();
    let partition = broker.partition_mut(OFFSETS_TOPIC, p).unwrap();
    partition.append_as_leader(&mut bytes, NOW).unwrap();
}

fn committed(m: &GroupMetadataManager) -> Option<i64> {
    m.offsets().get(GROUP, "orders", 0).map(|v| v.offset)
}

#[test]
fn step6_transactional_offsets_count_from_their_commit_marker_and_replay_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let config = BrokerConfig {
        log_dir: dir.path().to_path_buf(),
        ..BrokerConfig::default()
    };
    let mut broker = Broker::open(config, NOW).unwrap();
    let mut m = GroupMetadataManager::load(&broker).unwrap();
    let p = partition_for_group(GROUP, OFFSETS_PARTITIONS);
    let at = |offset| offset_record(GROUP, "orders", 0, (offset, -1), None, NOW);

    assert_eq!(m.store(&mut broker, GROUP, vec![at(5)]), ErrorCode::None);
    m.store_transactional(&mut broker, GROUP, (7, 0), vec![at(42)])
        .unwrap();
    assert_eq!(committed(&m), Some(5), "pending until the marker");
    assert!(m.has_pending_txn_offsets(GROUP));
    let before_marker = GroupMetadataManager::load(&broker).unwrap();
    assert_eq!(
        committed(&before_marker),
        Some(5),
        "a restart keeps them pending"
    );
    assert!(before_marker.has_pending_txn_offsets(GROUP));

    marker(&mut broker, p, 7, true);
    assert_eq!(m.complete_txn(p, 7, true), 1);
    assert_eq!(committed(&m), Some(42), "COMMIT applies them");

    m.store_transactional(&mut broker, GROUP, (8, 0), vec![at(99)])
        .unwrap();
    marker(&mut broker, p, 8, false);
    assert_eq!(m.complete_txn(p, 8, false), 0);
    assert_eq!(committed(&m), Some(42), "ABORT drops them");
    assert!(!m.has_pending_txn_offsets(GROUP));

    let replayed = GroupMetadataManager::load(&broker).unwrap();
    assert_eq!(committed(&replayed), Some(42), "the log decides the same");
    assert!(!replayed.has_pending_txn_offsets(GROUP));

    // A broker that stops leading the partition forgets it; leading it again, it reloads it.
    m.unload_partition(p);
    assert_eq!(committed(&m), None);
    m.load_partition(&broker, p).unwrap();
    assert_eq!(committed(&m), Some(42));
}
