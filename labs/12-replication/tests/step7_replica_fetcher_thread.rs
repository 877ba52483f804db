//! Step 7: what a follower's fetcher does with the leader's answer (`ReplicaFetcherThread.
//! processPartitionData`): the whole batches at the start of the records — a size limit may
//! cut the last — appended to the follower's log as they are, so that every replica holds the
//! same bytes at the same offsets; the follower's HW is the leader's, capped at its own LEO.

mod in_broker;

use bytes::Bytes;
use in_broker::*;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::partition::Reader;
use lab12_replication::replica_fetcher_thread::{apply_fetched_partition, whole_batches};
use lab12_replication::{ReplicaConfig, TopicPartition};

/// Two batches (offsets 0–2 and 3–4) as the leader sends them to a follower.
fn leader_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (shared, _) = broker(dir.path(), 1, ReplicaConfig::default());
    let mut broker = shared.broker();
    let partition = broker.partition_mut(TOPIC, 0).unwrap();
    // Lab 05's log numbers the batches; a leader's state is not needed to read them.
    partition
        .log_mut()
        .append(&mut batch(3, "a"), 1_000)
        .unwrap();
    partition
        .log_mut()
        .append(&mut batch(2, "b"), 1_000)
        .unwrap();
    partition
        .read(0, 1 << 20, Reader::Follower(2))
        .unwrap()
        .unwrap()
}

#[test]
fn step7_whole_batches_stop_at_a_batch_the_size_limit_cut() {
    let two = leader_bytes();
    let mut cut = two.clone();
    cut.extend_from_slice(&batch(4, "c")[..70]);
    let batches = whole_batches(&Bytes::from(cut)).unwrap();
    let offsets: Vec<(i64, i64)> = batches
        .iter()
        .map(|(h, _)| (h.base_offset, h.last_offset()))
        .collect();
    assert_eq!(offsets, vec![(0, 2), (3, 4)]);
    let joined: Vec<u8> = batches.iter().flat_map(|(_, b)| b.to_vec()).collect();
    assert_eq!(joined, two, "each batch's bytes as they came");
    assert!(whole_batches(&Bytes::new()).unwrap().is_empty());
    assert!(
        whole_batches(&Bytes::from(batch(1, "d")[..20].to_vec()))
            .unwrap()
            .is_empty(),
        "less than a header: fetched again next time"
    );
}

#[test]
fn step7_bytes_that_hold_no_batch_are_an_error() {
    let garbage = Bytes::from(vec![0xffu8; 100]);
    assert!(whole_batches(&garbage).is_err());
}

#[test]
fn step7_a_follower_appends_the_leader_s_batches_at_their_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let (shared, replication) = broker(dir.path(), 2, ReplicaConfig::default());
    {
        let mut broker = shared.broker();
        let partition = broker.partition_mut(TOPIC, 0).unwrap();
        assert!(replication.become_follower(partition, &state(1, &[1, 2], &[1, 2])));
    }
    let tp = TopicPartition::new(TOPIC, 0);
    let sent = leader_bytes();
    let mut cut = sent.clone();
    cut.extend_from_slice(&batch(4, "c")[..70]);
    apply_fetched_partition(
        &shared,
        &replication,
        &tp,
        0,
        ErrorCode::None,
        3,
        Bytes::from(cut),
    )
    .unwrap();
    {
        let broker = shared.broker();
        let partition = broker.partition(TOPIC, 0).unwrap();
        assert_eq!(partition.log_end_offset(), 5);
        assert_eq!(partition.high_watermark(), 3, "the leader's HW");
        assert_eq!(partition.state().leader_id, 1);
        let copied = partition.read(0, 1 << 20, Reader::Follower(2)).unwrap();
        assert_eq!(
            copied,
            Some(sent.clone()),
            "the same bytes at the same offsets"
        );
    }
    // The same answer again is stale (the follower's LEO is 5 now): nothing is appended.
    let again = apply_fetched_partition(
        &shared,
        &replication,
        &tp,
        0,
        ErrorCode::None,
        5,
        Bytes::from(sent),
    );
    assert!(again.is_err());
    // An empty answer at the LEO moves only the HW, capped at the follower's LEO.
    apply_fetched_partition(
        &shared,
        &replication,
        &tp,
        5,
        ErrorCode::None,
        9,
        Bytes::new(),
    )
    .unwrap();
    let broker = shared.broker();
    let partition = broker.partition(TOPIC, 0).unwrap();
    assert_eq!(partition.log_end_offset(), 5);
    assert_eq!(partition.high_watermark(), 5);
}
