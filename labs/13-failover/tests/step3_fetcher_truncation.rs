//! Step 3: where a follower cuts its log (Kafka 2.6's `getOffsetTruncationState`, KIP-101 and
//! KIP-279), with the cases of `AbstractFetcherThreadTest` and `ReplicaFetcherThreadTest`.

use lab13_failover::fetcher_truncation::{
    epoch_to_ask, offset_truncation_state, LeaderEpochAnswer, OffsetTruncationState,
};
use lab13_failover::{ErrorCode, LeaderEpochFileCache};

fn cache(entries: &[(i32, i64)]) -> LeaderEpochFileCache {
    let mut c = LeaderEpochFileCache::new();
    for &(e, o) in entries {
        c.assign(e, o).unwrap();
    }
    c
}

fn answer(leader_epoch: i32, end_offset: i64) -> LeaderEpochAnswer {
    LeaderEpochAnswer::EndOffset {
        error: ErrorCode::None,
        leader_epoch,
        end_offset,
    }
}

fn done(offset: i64) -> Option<OffsetTruncationState> {
    Some(OffsetTruncationState {
        offset,
        truncation_completed: true,
    })
}

#[test]
fn step3_the_follower_asks_about_its_latest_epoch() {
    assert_eq!(epoch_to_ask(&LeaderEpochFileCache::new()), None);
    assert_eq!(epoch_to_ask(&cache(&[(0, 0), (2, 4)])), Some(2));
}

/// KIP-101's second scenario: the old leader A wrote offset 2 in epoch 1 and died before B
/// copied it; B led epoch 2 and wrote its own offset 2. A comes back and must drop its
/// offset 2 — its high watermark (3 here, say it learned it) would keep it.
#[test]
fn step3_a_diverged_tail_is_cut_where_the_leader_says() {
    let a = cache(&[(0, 0), (1, 2)]);
    // A asks about epoch 1; B never had it and answers (epoch 0, ends at 2).
    assert_eq!(offset_truncation_state(answer(0, 2), &a, 3, 3), done(2));
    // Same epoch on both sides: the smaller end wins.
    let f = cache(&[(0, 0), (1, 2)]);
    assert_eq!(offset_truncation_state(answer(1, 5), &f, 8, 0), done(5));
    assert_eq!(
        offset_truncation_state(answer(1, 9), &f, 8, 0),
        done(8),
        "never past the LEO"
    );
}

/// KIP-101's first scenario: a follower whose HW lags must *not* cut to its HW: the leader
/// says its epoch goes on past the follower's LEO, so nothing is cut.
#[test]
fn step3_a_lagging_high_watermark_does_not_cut_committed_records() {
    let f = cache(&[(0, 0)]);
    assert_eq!(offset_truncation_state(answer(0, 2), &f, 2, 1), done(2));
}

/// KIP-279: the leader answers an epoch the follower does not have; cut to the end of the
/// follower's own largest smaller epoch and ask again.
#[test]
fn step3_an_epoch_unknown_to_the_follower_needs_another_round() {
    let f = cache(&[(0, 0), (1, 3), (4, 8)]);
    // Asked about 4, the leader says its largest epoch ≤ 4 is 2, ending at 6.
    let first = offset_truncation_state(answer(2, 6), &f, 10, 0).unwrap();
    assert_eq!(
        first,
        OffsetTruncationState {
            offset: 8,
            truncation_completed: false
        },
        "the follower's epoch ≤ 2 is 1, which ends at 8"
    );
    // The follower cuts to 8; its latest epoch is now 1; the leader answers (1, 5).
    let mut f = f;
    f.truncate_from_end(first.offset);
    assert_eq!(epoch_to_ask(&f), Some(1));
    assert_eq!(offset_truncation_state(answer(1, 5), &f, 8, 0), done(5));
    // No epoch ≤ the leader's here at all: trust the leader's offset.
    let late = cache(&[(5, 10)]);
    assert_eq!(offset_truncation_state(answer(3, 7), &late, 12, 0), done(7));
}

#[test]
fn step3_without_epochs_the_high_watermark_decides() {
    let f = cache(&[(0, 0)]);
    assert_eq!(
        offset_truncation_state(LeaderEpochAnswer::NotSupported, &f, 9, 4),
        done(4)
    );
    assert_eq!(
        offset_truncation_state(answer(-1, -1), &f, 9, 4),
        done(4),
        "undefined end"
    );
    assert_eq!(
        offset_truncation_state(answer(-1, 6), &f, 9, 4),
        done(6),
        "a v0 answer"
    );
    assert_eq!(offset_truncation_state(answer(-1, 12), &f, 9, 4), done(9));
    let error = LeaderEpochAnswer::EndOffset {
        error: ErrorCode::FencedLeaderEpoch,
        leader_epoch: -1,
        end_offset: -1,
    };
    assert_eq!(
        offset_truncation_state(error, &f, 9, 4),
        None,
        "ask again later"
    );
}
