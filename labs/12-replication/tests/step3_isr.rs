//! Step 3: the ISR shrinks and grows (`Partition.maybeShrinkIsr`, `maybeExpandIsr`), through a
//! conditional write of the partition state znode, announced in `/isr_change_notification`.

mod common;

use std::collections::BTreeSet;

use common::*;
use lab12_replication::{
    decode_isr_change_notification, encode_isr_change_notification, ReplicaConfig, TopicPartition,
    ZkOp,
};

const STATE_PATH: &str = "/brokers/topics/orders/partitions/0/state";

fn state_write(isr: &str, version: i32) -> ZkOp {
    ZkOp::UpdatePartitionState {
        tp: tp(),
        path: STATE_PATH.to_string(),
        data: format!(
            r#"{{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[{isr}]}}"#
        )
        .into_bytes(),
        version,
    }
}

/// Follower 3 stops fetching while records arrive: out of the ISR after
/// `replica.lag.time.max.ms` (30 s in Kafka 2.6), at the next `isr-expiration` run (every 15 s).
#[test]
fn step3_a_follower_behind_for_the_lag_time_leaves_the_isr() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2, 3], &[1, 2, 3], 0);
    produce(&mut rm, 5, 1, T0 + 100);
    fetch(&mut rm, 2, 5, T0 + 200);
    // Follower 3 was caught up at T0 (makeLeader) and never since.
    let p = rm.partition(&tp()).unwrap();
    assert!(
        p.out_of_sync_replicas(T0 + 30_000).is_empty(),
        "30 s exactly is not more than 30 s"
    );
    assert_eq!(p.out_of_sync_replicas(T0 + 30_001), vec![3]);
    rm.tick(T0 + 15_000);
    assert!(rm.ready().zk_ops.is_empty(), "15 s behind: still in sync");
    rm.tick(T0 + 30_000);
    assert!(
        rm.ready().zk_ops.is_empty(),
        "the next isr-expiration run is at 30 s"
    );
    for t in (30_100..45_000).step_by(100) {
        fetch(&mut rm, 2, 5, T0 + t);
        rm.tick(T0 + t);
        assert!(rm.ready().zk_ops.is_empty(), "no run before 45 s (t={t})");
    }
    rm.tick(T0 + 45_000);
    assert_eq!(rm.ready().zk_ops, vec![state_write("1,2", 0)]);
    // Until ZooKeeper answers, the cached ISR is the old one, and no second write goes out.
    assert_eq!(isr(&rm), vec![1, 2, 3]);
    assert_eq!(
        rm.partition(&tp()).unwrap().pending_isr(),
        Some(&[1, 2][..])
    );
    assert_eq!(hw(&rm), 0, "follower 3 still holds the HW");
    rm.tick(T0 + 60_000);
    assert!(rm.ready().zk_ops.is_empty());
    rm.on_partition_state_written(&tp(), 0, Some(1), T0 + 60_010)
        .unwrap();
    assert_eq!(isr(&rm), vec![1, 2]);
    assert_eq!(rm.partition(&tp()).unwrap().zk_version(), 1);
    assert_eq!(hw(&rm), 5, "without follower 3 the HW moves at once");
}

/// A follower with the leader's LEO is in sync however long it has been quiet.
#[test]
fn step3_a_quiet_follower_with_nothing_to_copy_stays_in_the_isr() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2, 3], &[1, 2, 3], 0);
    produce(&mut rm, 5, 1, T0 + 100);
    fetch(&mut rm, 2, 5, T0 + 200);
    fetch(&mut rm, 3, 5, T0 + 300);
    for t in (0..=300_000).step_by(1_000) {
        fetch(&mut rm, 2, 5, T0 + t);
        rm.tick(T0 + t);
    }
    assert!(rm.ready().zk_ops.is_empty());
    assert_eq!(isr(&rm), vec![1, 2, 3]);
}

/// The controller changed the znode meanwhile: the leader's write fails its version check, the
/// cached ISR stays, and the next run tries again with the same version.
#[test]
fn step3_a_failed_version_check_leaves_the_isr_unchanged() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2, 3], &[1, 2, 3], 0);
    produce(&mut rm, 5, 1, T0 + 100);
    fetch(&mut rm, 2, 5, T0 + 200);
    rm.tick(T0 + 15_000);
    rm.tick(T0 + 45_000);
    assert_eq!(rm.ready().zk_ops, vec![state_write("1,2", 0)]);
    rm.on_partition_state_written(&tp(), 0, None, T0 + 45_010)
        .unwrap();
    assert_eq!(isr(&rm), vec![1, 2, 3]);
    assert_eq!(rm.partition(&tp()).unwrap().zk_version(), 0);
    assert_eq!(rm.partition(&tp()).unwrap().pending_isr(), None);
    assert!(
        rm.isr_change_set().is_empty(),
        "nothing changed, nothing to announce"
    );
    assert_eq!(hw(&rm), 0);
    rm.tick(T0 + 60_010);
    assert_eq!(
        rm.ready().zk_ops,
        vec![state_write("1,2", 0)],
        "tried again"
    );
}

/// Back in the ISR only with LEO ≥ HW: a follower below the HW is still catching up.
#[test]
fn step3_a_follower_that_catches_up_to_the_high_watermark_rejoins() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2], &[1, 2, 3], 0);
    produce(&mut rm, 8, 1, T0 + 100);
    fetch(&mut rm, 2, 8, T0 + 200);
    assert_eq!(hw(&rm), 8);
    fetch(&mut rm, 3, 0, T0 + 300);
    fetch(&mut rm, 3, 7, T0 + 400);
    assert!(rm.ready().zk_ops.is_empty(), "7 < HW 8: not yet");
    fetch(&mut rm, 3, 8, T0 + 500);
    assert_eq!(rm.ready().zk_ops, vec![state_write("1,2,3", 0)]);
    // Another fetch while the write is in flight asks nothing more.
    fetch(&mut rm, 3, 8, T0 + 600);
    assert!(rm.ready().zk_ops.is_empty());
    rm.on_partition_state_written(&tp(), 0, Some(1), T0 + 700)
        .unwrap();
    assert_eq!(isr(&rm), vec![1, 2, 3]);
    assert_eq!(rm.isr_change_set(), &BTreeSet::from([tp()]));
}

/// KAFKA-7128: a follower must also reach the offset where this leader's epoch began, or it
/// could lead next without records this leader committed.
#[test]
fn step3_rejoining_needs_the_leader_epoch_start_offset() {
    // Leader with LEO 10 and a checkpointed HW of 5; follower 3 (in the ISR, LEO unknown)
    // holds the HW at 5.
    let mut rm = leader_at(ReplicaConfig::default(), &[1, 3], &[1, 2, 3], 10, 5);
    assert_eq!(rm.partition(&tp()).unwrap().leader_epoch_start_offset(), 10);
    assert_eq!(hw(&rm), 5);
    fetch(&mut rm, 2, 7, T0 + 100);
    assert!(rm.ready().zk_ops.is_empty(), "7 ≥ HW 5 but < 10");
    fetch(&mut rm, 2, 10, T0 + 200);
    assert_eq!(rm.ready().zk_ops, vec![state_write("1,3,2", 0)]);
}

/// The HW also waits for a follower outside the ISR that was caught up recently, so that it
/// can reach the HW and rejoin instead of chasing it.
#[test]
fn step3_the_high_watermark_waits_for_a_caught_up_follower_outside_the_isr() {
    let mut rm = leader(ReplicaConfig::default(), &[1], &[1, 2], 0);
    fetch(&mut rm, 2, 0, T0 + 100);
    assert_eq!(
        rm.ready().zk_ops,
        vec![state_write("1,2", 0)],
        "caught up: it asks to rejoin"
    );
    produce(&mut rm, 5, 1, T0 + 200);
    assert_eq!(
        hw(&rm),
        0,
        "follower 2 was caught up 100 ms ago: wait for it"
    );
    // 30 s after its last catch-up it no longer counts; the next append commits alone.
    rm.on_partition_state_written(&tp(), 0, None, T0 + 300)
        .unwrap();
    produce(&mut rm, 1, 1, T0 + 30_101);
    assert_eq!(hw(&rm), 6);
}

#[test]
fn step3_isr_changes_are_announced_after_five_quiet_seconds() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2], &[1, 2, 3], 0);
    fetch(&mut rm, 3, 0, T0 + 100);
    rm.ready();
    rm.on_partition_state_written(&tp(), 0, Some(1), T0 + 1_000)
        .unwrap();
    // The propagation task looks every 2.5 s; the change is not 5 s old before T0+6000.
    for t in [2_500, 5_000] {
        rm.tick(T0 + t);
        assert!(rm.ready().zk_ops.is_empty(), "t={t}");
    }
    rm.tick(T0 + 7_500);
    let expected = ZkOp::CreateIsrChangeNotification {
        path_prefix: "/isr_change_notification/isr_change_".to_string(),
        data: br#"{"version":1,"partitions":[{"topic":"orders","partition":0}]}"#.to_vec(),
    };
    assert_eq!(rm.ready().zk_ops, vec![expected]);
    assert!(rm.isr_change_set().is_empty());
    rm.tick(T0 + 10_000);
    assert!(rm.ready().zk_ops.is_empty(), "announced once");
}

#[test]
fn step3_one_notification_names_every_changed_partition() {
    let set = BTreeSet::from([
        TopicPartition::new("orders", 1),
        TopicPartition::new("orders", 0),
        TopicPartition::new("audit", 2),
    ]);
    let bytes = encode_isr_change_notification(&set);
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"version":1,"partitions":[{"topic":"audit","partition":2},{"topic":"orders","partition":0},{"topic":"orders","partition":1}]}"#
    );
    assert_eq!(decode_isr_change_notification(&bytes).unwrap(), set);
    assert!(decode_isr_change_notification(br#"{"version":2,"partitions":[]}"#).is_err());
}

/// The controller moved the znode on (a new leader epoch, zkVersion 1) while the leader's
/// shrink was in flight: the LeaderAndIsr clears the pending write, and the late answer to it
/// — even a success — changes nothing.
#[test]
fn step3_an_answer_to_a_write_from_before_a_leader_and_isr_is_ignored() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2, 3], &[1, 2, 3], 0);
    produce(&mut rm, 5, 1, T0 + 100);
    fetch(&mut rm, 2, 5, T0 + 200);
    rm.tick(T0 + 15_000);
    rm.tick(T0 + 45_000);
    assert_eq!(rm.ready().zk_ops, vec![state_write("1,2", 0)]);
    assert!(rm
        .become_leader(
            &tp(),
            &state(1, 1, &[1, 2, 3], &[1, 2, 3], 1),
            5,
            0,
            T0 + 45_005
        )
        .unwrap());
    assert_eq!(rm.partition(&tp()).unwrap().pending_isr(), None);
    rm.on_partition_state_written(&tp(), 0, Some(1), T0 + 45_010)
        .unwrap();
    assert_eq!(isr(&rm), vec![1, 2, 3]);
    assert_eq!(rm.partition(&tp()).unwrap().zk_version(), 1);
    assert!(rm.isr_change_set().is_empty());
}
