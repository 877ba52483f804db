//! Step 6: the core behind lab 05's `Replication` hook. Lab 05's handlers read the partition's
//! replica state: a consumer's Fetch stops at its high watermark and an acks=all produce
//! waits for it, so the state must be the core's — the HW moves only when the ISR has the
//! records (Kafka's `Partition.maybeIncrementLeaderHW`, seen from the request handlers).

mod in_broker;

use in_broker::*;
use lab05_broker::partition::Reader;
use lab12_replication::ReplicaConfig;

const T0: i64 = 1_600_000_000_000;

fn min_isr(n: usize) -> ReplicaConfig {
    ReplicaConfig {
        min_insync_replicas: n,
        ..ReplicaConfig::default()
    }
}

#[test]
fn step6_a_leader_shows_the_core_s_isr_and_high_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let (shared, replication) = broker(dir.path(), 1, min_isr(2));
    let mut broker = shared.broker();
    let partition = broker.partition_mut(TOPIC, 0).unwrap();
    replication.become_leader(partition, &state(1, &[1, 2, 3], &[1, 2, 3]), 2, T0);
    let s = partition.state();
    assert_eq!((s.leader_id, s.leader_epoch), (1, 0));
    assert_eq!(s.replicas, vec![1, 2, 3]);
    assert_eq!(s.isr, vec![1, 2, 3]);
    assert_eq!(s.high_watermark, 0);
    assert_eq!(s.followers.keys().copied().collect::<Vec<_>>(), vec![2, 3]);
}

#[test]
fn step6_consumers_read_only_what_every_isr_member_has() {
    let dir = tempfile::tempdir().unwrap();
    let (shared, replication) = broker(dir.path(), 1, min_isr(2));
    let mut broker = shared.broker();
    let partition = broker.partition_mut(TOPIC, 0).unwrap();
    replication.become_leader(partition, &state(1, &[1, 2, 3], &[1, 2, 3]), 2, T0);

    partition
        .append_as_leader(&mut batch(3, "a"), T0 + 1_000)
        .unwrap();
    assert_eq!(partition.log_end_offset(), 3);
    assert_eq!(
        partition.high_watermark(),
        0,
        "no follower has the records yet"
    );
    assert!(!partition.is_committed(2), "acks=all keeps waiting");
    assert_eq!(partition.read(0, 1 << 20, Reader::Consumer).unwrap(), None);
    assert!(
        partition
            .read(0, 1 << 20, Reader::Follower(2))
            .unwrap()
            .is_some(),
        "a follower reads to the log end"
    );

    // Follower 2 fetches from 3 (it has the records); follower 3 is still at 0.
    assert_eq!(
        partition.record_follower_fetch(2, 3, T0 + 1_100),
        lab04_protocol_codec::ErrorCode::None
    );
    assert_eq!(
        partition.high_watermark(),
        0,
        "follower 3 is in the ISR at 0"
    );
    assert_eq!(partition.state().followers[&2].log_end_offset, 3);
    partition.record_follower_fetch(3, 3, T0 + 1_200);
    assert_eq!(partition.high_watermark(), 3);
    assert!(partition.is_committed(2));
    let read = partition.read(0, 1 << 20, Reader::Consumer).unwrap();
    assert!(read.is_some(), "committed records are visible");
}

#[test]
fn step6_a_follower_that_stopped_leaves_the_isr_and_the_hw_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = ReplicaConfig {
        replica_lag_time_max_ms: 3_000,
        min_insync_replicas: 2,
    };
    let (shared, replication) = broker(dir.path(), 1, config);
    let t0 = T0;
    {
        let mut broker = shared.broker();
        let partition = broker.partition_mut(TOPIC, 0).unwrap();
        replication.become_leader(partition, &state(1, &[1, 2, 3], &[1, 2, 3]), 2, T0);
        partition.append_as_leader(&mut batch(2, "a"), t0).unwrap();
        partition.record_follower_fetch(2, 2, t0 + 100);
        assert_eq!(partition.high_watermark(), 0);
    }
    // Follower 3 never fetched: past the lag time the core asks to shrink the ISR to [1, 2];
    // until ZooKeeper accepts the write the HW waits (Kafka 2.6 writes before it shrinks).
    replication.tick_core(t0 + 3_000 + 1_500 + 1);
    let written = {
        let replicas = replication.replicas();
        replicas
            .core
            .partition(&in_broker_tp())
            .unwrap()
            .pending_isr()
            .map(<[i32]>::to_vec)
    };
    assert_eq!(written, Some(vec![1, 2]));
    let mut broker = shared.broker();
    let partition = broker.partition_mut(TOPIC, 0).unwrap();
    partition.tick(t0 + 5_000);
    assert_eq!(
        partition.state().isr,
        vec![1, 2, 3],
        "not before ZooKeeper answered"
    );
    assert_eq!(partition.high_watermark(), 0);
    // ZooKeeper took the write (version 0 → 1): the ISR is [1, 2], both have offset 2.
    replication.on_partition_state_written(&in_broker_tp(), 0, Some(1), t0 + 5_100);
    partition.tick(t0 + 5_200);
    assert_eq!(partition.state().isr, vec![1, 2]);
    assert_eq!(
        partition.high_watermark(),
        2,
        "committed with the ISR that is left"
    );
}

fn in_broker_tp() -> lab12_replication::TopicPartition {
    lab12_replication::TopicPartition::new(TOPIC, 0)
}
