//! Step 2: the high watermark — the smallest LEO over the ISR, never backwards; consumers
//! read below it, followers to the LEO; a follower's own HW (`Partition.maybeIncrementLeaderHW`,
//! `Log.updateHighWatermark`).

mod common;

use common::*;
use lab12_replication::{
    follower_high_watermark, AppendResult, ErrorCode, FetchIsolation, FetchPartition, ReplicaConfig,
};

#[test]
fn step2_the_high_watermark_is_the_smallest_log_end_offset_in_the_isr() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2, 3], &[1, 2, 3], 0);
    assert_eq!(
        produce(&mut rm, 5, 1, T0 + 10),
        AppendResult::Done {
            base_offset: 0,
            error: ErrorCode::None
        }
    );
    assert_eq!(rm.partition(&tp()).unwrap().log_end_offset(), 5);
    // Neither follower has fetched: their LEOs are unknown, nothing is committed.
    assert_eq!(hw(&rm), 0);
    fetch(&mut rm, 2, 5, T0 + 20);
    assert_eq!(hw(&rm), 0, "follower 3 has not fetched yet");
    fetch(&mut rm, 3, 3, T0 + 30);
    assert_eq!(hw(&rm), 3, "min(5, 5, 3)");
    fetch(&mut rm, 3, 5, T0 + 40);
    assert_eq!(hw(&rm), 5);
}

#[test]
fn step2_the_fetch_answer_carries_the_high_watermark_it_moved() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2], &[1, 2], 0);
    produce(&mut rm, 4, 1, T0 + 10);
    let first = fetch(&mut rm, 2, 0, T0 + 20);
    assert_eq!(first.error, ErrorCode::None);
    assert_eq!(first.read_up_to, 4, "a follower reads to the leader's LEO");
    assert_eq!(first.high_watermark, 0);
    // The next fetch at 4 says the follower has 0..=3: the answer already has HW 4.
    let second = fetch(&mut rm, 2, 4, T0 + 30);
    assert_eq!(second.high_watermark, 4);
    assert_eq!(second.read_up_to, 4, "nothing more to read");
}

#[test]
fn step2_a_consumer_reads_only_below_the_high_watermark() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2], &[1, 2], 0);
    produce(&mut rm, 10, 1, T0 + 10);
    fetch(&mut rm, 2, 6, T0 + 20);
    assert_eq!(hw(&rm), 6);
    let p = rm.partition(&tp()).unwrap();
    assert_eq!(p.fetch_upper_bound(FetchIsolation::HighWatermark), 6);
    assert_eq!(p.fetch_upper_bound(FetchIsolation::LogEnd), 10);
    let consumer = |offset| FetchPartition {
        replica_id: -1,
        fetch_offset: offset,
        current_leader_epoch: None,
    };
    let r = rm.fetch(&tp(), &consumer(2), T0 + 30);
    assert_eq!(
        (r.error, r.read_up_to, r.high_watermark),
        (ErrorCode::None, 6, 6)
    );
    // Between the HW and the LEO there is nothing for a consumer yet (not an error).
    let r = rm.fetch(&tp(), &consumer(8), T0 + 30);
    assert_eq!((r.error, r.read_up_to), (ErrorCode::None, 8));
    // Past the LEO is out of range, for anyone.
    let r = rm.fetch(&tp(), &consumer(11), T0 + 30);
    assert_eq!(r.error, ErrorCode::OffsetOutOfRange);
    // A consumer's fetch tells the leader nothing about followers.
    assert_eq!(hw(&rm), 6);
}

#[test]
fn step2_the_high_watermark_never_moves_backwards() {
    let mut rm = leader(ReplicaConfig::default(), &[1, 2, 3], &[1, 2, 3], 0);
    produce(&mut rm, 5, 1, T0 + 10);
    fetch(&mut rm, 2, 5, T0 + 20);
    fetch(&mut rm, 3, 5, T0 + 20);
    assert_eq!(hw(&rm), 5);
    // A late fetch from before (a reordered request) lowers follower 3's LEO in the
    // leader's eyes, but not the HW: what was committed stays committed.
    fetch(&mut rm, 3, 2, T0 + 30);
    assert_eq!(
        rm.partition(&tp())
            .unwrap()
            .replica(3)
            .unwrap()
            .log_end_offset(),
        2
    );
    assert_eq!(hw(&rm), 5);
    produce(&mut rm, 1, 1, T0 + 40);
    fetch(&mut rm, 2, 6, T0 + 50);
    assert_eq!(hw(&rm), 5, "follower 3 at 2 holds it");
    fetch(&mut rm, 3, 6, T0 + 60);
    assert_eq!(hw(&rm), 6);
}

/// A leader alone in its ISR commits each append at once, as lab 05's single broker did.
#[test]
fn step2_an_isr_of_one_commits_on_append() {
    let mut rm = leader(ReplicaConfig::default(), &[1], &[1, 2, 3], 0);
    produce(&mut rm, 3, 1, T0 + 10);
    assert_eq!(hw(&rm), 3);
}

/// A new leader starts from its checkpointed HW; the epoch it leads is what fetchers must say.
#[test]
fn step2_a_new_leader_keeps_its_checkpointed_high_watermark_and_checks_epochs() {
    let mut rm = leader_at(ReplicaConfig::default(), &[1, 2], &[1, 2], 10, 7);
    assert_eq!(
        hw(&rm),
        7,
        "follower 2's LEO is unknown: the checkpoint stands"
    );
    let fetch_epoch = |epoch| FetchPartition {
        replica_id: 2,
        fetch_offset: 10,
        current_leader_epoch: Some(epoch),
    };
    let mut newer = common::state(1, 1, &[1, 2], &[1, 2], 3);
    newer.controller_epoch = 2;
    assert!(rm.become_leader(&tp(), &newer, 10, 7, T0 + 5).unwrap());
    assert_eq!(
        rm.fetch(&tp(), &fetch_epoch(0), T0 + 10).error,
        ErrorCode::FencedLeaderEpoch
    );
    assert_eq!(
        rm.fetch(&tp(), &fetch_epoch(2), T0 + 10).error,
        ErrorCode::UnknownLeaderEpoch
    );
    assert_eq!(hw(&rm), 7, "a refused fetch moves nothing");
    let r = rm.fetch(&tp(), &fetch_epoch(1), T0 + 10);
    assert_eq!((r.error, r.high_watermark), (ErrorCode::None, 10));
    // An older LeaderAndIsr is ignored.
    assert!(!rm
        .become_leader(&tp(), &common::state(1, 0, &[1], &[1, 2], 0), 10, 7, T0)
        .unwrap());
    assert_eq!(isr(&rm), vec![1, 2]);
}

#[test]
fn step2_a_follower_takes_the_leaders_high_watermark_capped_at_its_own_log_end() {
    assert_eq!(follower_high_watermark(6, 0, 8), 6);
    assert_eq!(
        follower_high_watermark(9, 0, 8),
        8,
        "never above its own LEO"
    );
    assert_eq!(
        follower_high_watermark(2, 4, 8),
        4,
        "never below its log start"
    );
    assert_eq!(follower_high_watermark(0, 0, 0), 0);
}
