//! Step 5: a follower fetches from its own log end and keeps the leader's high watermark,
//! capped at its own log end (`ReplicaFetcherThread.processPartitionData`).

mod common;

use common::*;
use lab12_replication::{Error, ErrorCode, FetchPartition, FetchedPartition, FollowerPartition};

fn follower(id: i32, log_end_offset: i64) -> FollowerPartition {
    FollowerPartition::new(
        tp(),
        id,
        &state(1, 0, &[1, 2, 3], &[1, 2, 3], 0),
        log_end_offset,
        0,
    )
    .unwrap()
}

fn answer(hw: i64, records: Option<(i64, i64)>) -> FetchedPartition {
    FetchedPartition {
        error: ErrorCode::None,
        high_watermark: hw,
        records,
    }
}

#[test]
fn step5_a_follower_fetches_from_its_log_end_with_its_leader_epoch() {
    let mut f = follower(2, 4);
    assert_eq!(
        f.build_fetch(),
        FetchPartition {
            replica_id: 2,
            fetch_offset: 4,
            current_leader_epoch: Some(0)
        }
    );
    assert!(f.make_follower(&state(1, 3, &[1, 2], &[1, 2, 3], 5)));
    assert!(
        !f.make_follower(&state(1, 2, &[1, 2], &[1, 2, 3], 4)),
        "an older epoch is ignored"
    );
    assert_eq!(f.build_fetch().current_leader_epoch, Some(3));
}

#[test]
fn step5_a_follower_appends_at_its_log_end_and_caps_the_high_watermark() {
    let mut f = follower(2, 6);
    assert_eq!(
        f.process_partition_data(6, &answer(6, Some((6, 7)))),
        Ok(Some((6, 7)))
    );
    assert_eq!((f.log_end_offset(), f.high_watermark()), (8, 6));
    assert_eq!(f.build_fetch().fetch_offset, 8);
    // Nothing new, but the leader's HW moved because this fetch told it we have 8.
    assert_eq!(f.process_partition_data(8, &answer(8, None)), Ok(None));
    assert_eq!(f.high_watermark(), 8);
    // The leader's HW can be ahead of what this follower has (it counted others): capped.
    assert_eq!(
        f.process_partition_data(8, &answer(12, Some((8, 9)))),
        Ok(Some((8, 9)))
    );
    assert_eq!((f.log_end_offset(), f.high_watermark()), (10, 10));
}

#[test]
fn step5_stale_answers_and_errors_change_nothing() {
    let mut f = follower(3, 5);
    let stale = f.process_partition_data(3, &answer(5, Some((3, 4))));
    assert!(matches!(
        stale,
        Err(Error::OffsetMismatch {
            fetch_offset: 3,
            log_end_offset: 5,
            ..
        })
    ));
    let gap = f.process_partition_data(5, &answer(5, Some((7, 8))));
    assert!(matches!(
        gap,
        Err(Error::RecordsOutOfOrder { first: 7, .. })
    ));
    let fenced = FetchedPartition {
        error: ErrorCode::FencedLeaderEpoch,
        high_watermark: 9,
        records: None,
    };
    assert!(matches!(
        f.process_partition_data(5, &fenced),
        Err(Error::FetchFailed {
            error: ErrorCode::FencedLeaderEpoch,
            ..
        })
    ));
    assert_eq!((f.log_end_offset(), f.high_watermark()), (5, 0));
}

/// One leader, two followers, round trips by hand: the leader's HW and each follower's follow.
#[test]
fn step5_followers_and_their_leader_agree_on_the_high_watermark() {
    let mut rm = leader(config(2), &[1, 2, 3], &[1, 2, 3], 0);
    let mut followers = [follower(2, 0), follower(3, 0)];
    produce(&mut rm, 5, 1, T0 + 10);
    for round in 0..3 {
        for f in followers.iter_mut() {
            let request = f.build_fetch();
            let result = rm.fetch(&tp(), &request, T0 + 100 * (round + 1));
            assert_eq!(result.error, ErrorCode::None);
            let records = (result.read_up_to > request.fetch_offset)
                .then(|| (request.fetch_offset, result.read_up_to - 1));
            f.process_partition_data(
                request.fetch_offset,
                &answer(result.high_watermark, records),
            )
            .unwrap();
        }
    }
    assert_eq!(hw(&rm), 5);
    for f in &followers {
        assert_eq!((f.log_end_offset(), f.high_watermark()), (5, 5));
    }
}
