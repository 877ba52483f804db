//! Step 3: SyncGroup — the leader's assignment reaches every member.

mod common;

use common::*;
use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::group::GroupState;

#[test]
fn step3_followers_wait_for_the_leaders_assignment() {
    let mut c = coordinator();
    c.join(1, join_request("g", "", &["range"]), 0);
    c.join(2, join_request("g", "", &["range"]), 100);
    let replies = c.tick(DELAY + 100);
    let (a, b) = (
        join_reply(&replies, 1).unwrap(),
        join_reply(&replies, 2).unwrap(),
    );
    let (leader, follower) = if a.member_id == a.leader_id {
        (a, b)
    } else {
        (b, a)
    };
    // The follower's sync is held...
    assert!(c
        .sync(10, "g", 1, &follower.member_id, None, vec![], 4_000)
        .is_empty());
    // ...until the leader brings the assignment for both.
    let assignments = vec![
        (leader.member_id.clone(), b"p0".to_vec()),
        (follower.member_id.clone(), b"p1".to_vec()),
    ];
    let replies = c.sync(11, "g", 1, &leader.member_id, None, assignments, 4_100);
    assert_eq!(
        sync_reply(&replies, 10),
        Some((ErrorCode::None, b"p1".to_vec()))
    );
    assert_eq!(
        sync_reply(&replies, 11),
        Some((ErrorCode::None, b"p0".to_vec()))
    );
    assert_eq!(c.group("g").unwrap().state, GroupState::Stable);
    // In a stable group a sync is answered at once with the member's assignment.
    assert_eq!(
        sync_reply(
            &c.sync(12, "g", 1, &follower.member_id, None, vec![], 4_200),
            12
        ),
        Some((ErrorCode::None, b"p1".to_vec()))
    );
}

#[test]
fn step3_stale_or_unknown_syncs_are_refused() {
    let mut c = coordinator();
    let a = join_alone(&mut c, "g", 1, 0);
    assert_eq!(
        sync_reply(&c.sync(2, "g", 7, &a.member_id, None, vec![], 4_000), 2)
            .unwrap()
            .0,
        ErrorCode::IllegalGeneration
    );
    assert_eq!(
        sync_reply(&c.sync(3, "g", 1, "stranger", None, vec![], 4_000), 3)
            .unwrap()
            .0,
        ErrorCode::UnknownMemberId
    );
    assert_eq!(
        sync_reply(&c.sync(4, "nope", 1, &a.member_id, None, vec![], 4_000), 4)
            .unwrap()
            .0,
        ErrorCode::UnknownMemberId
    );
    // A member missing from the leader's assignment gets an empty one, not an error.
    let replies = c.sync(5, "g", 1, &a.member_id, None, vec![], 4_000);
    assert_eq!(sync_reply(&replies, 5), Some((ErrorCode::None, vec![])));
}

#[test]
fn step3_a_new_join_during_sync_sends_waiting_members_back_to_rejoin() {
    let mut c = coordinator();
    c.join(1, join_request("g", "", &["range"]), 0);
    c.join(2, join_request("g", "", &["range"]), 0);
    let replies = c.tick(DELAY);
    let (a, b) = (
        join_reply(&replies, 1).unwrap(),
        join_reply(&replies, 2).unwrap(),
    );
    let follower = if a.member_id == a.leader_id { b } else { a };
    assert!(c
        .sync(10, "g", 1, &follower.member_id, None, vec![], 3_100)
        .is_empty());
    let replies = c.join(20, join_request("g", "", &["range"]), 3_200);
    assert_eq!(
        sync_reply(&replies, 10).unwrap().0,
        ErrorCode::RebalanceInProgress
    );
}
