//! Step 5: who may commit offsets — the generation fences members that missed a rebalance.

mod common;

use common::*;
use lab04_protocol_codec::ErrorCode;

#[test]
fn step5_only_current_members_commit() {
    let mut c = coordinator();
    let a = join_alone(&mut c, "g", 1, 0);
    c.sync(2, "g", 1, &a.member_id, None, vec![], DELAY);
    assert_eq!(
        c.check_commit("g", 1, &a.member_id, None, 4_000),
        ErrorCode::None
    );
    assert_eq!(
        c.check_commit("g", 0, &a.member_id, None, 4_000),
        ErrorCode::IllegalGeneration
    );
    assert_eq!(
        c.check_commit("g", 1, "stranger", None, 4_000),
        ErrorCode::UnknownMemberId
    );
    assert_eq!(
        c.check_commit("", 1, &a.member_id, None, 4_000),
        ErrorCode::InvalidGroupId
    );
    // While the group prepares a rebalance, a member of generation 1 may still commit what it
    // processed; once generation 2 is announced, not before it has its assignment.
    c.join(3, join_request("g", "", &["range"]), 5_000);
    assert_eq!(
        c.check_commit("g", 1, &a.member_id, None, 5_000),
        ErrorCode::None
    );
    let replies = c.join(4, join_request("g", &a.member_id, &["range"]), 5_100);
    assert_eq!(join_reply(&replies, 4).unwrap().generation_id, 2);
    assert_eq!(
        c.check_commit("g", 2, &a.member_id, None, 5_200),
        ErrorCode::RebalanceInProgress
    );
    assert_eq!(
        c.check_commit("g", 1, &a.member_id, None, 5_200),
        ErrorCode::IllegalGeneration
    );
    // A "simple" commit (generation -1, no member) is for groups without members.
    assert_eq!(
        c.check_commit("g", -1, "", None, 5_000),
        ErrorCode::IllegalGeneration
    );
    assert_eq!(c.check_commit("solo", -1, "", None, 5_000), ErrorCode::None);
    assert!(c.group("solo").is_some());
}

#[test]
fn step5_leaving_hands_the_partitions_to_the_others_and_empty_groups_can_be_deleted() {
    let mut c = coordinator();
    let a = join_alone(&mut c, "g", 1, 0);
    c.sync(2, "g", 1, &a.member_id, None, vec![], DELAY);
    assert_eq!(c.delete("g"), ErrorCode::NonEmptyGroup);
    let (code, _) = c.leave("g", &a.member_id, None, 4_000);
    assert_eq!(code, ErrorCode::None);
    assert_eq!(
        c.leave("g", &a.member_id, None, 4_000).0,
        ErrorCode::UnknownMemberId
    );
    let g = c.group("g").unwrap();
    assert_eq!((g.state.name(), g.members.len()), ("Empty", 0));
    assert_eq!(
        c.check_commit("g", 1, &a.member_id, None, 4_000),
        ErrorCode::UnknownMemberId
    );
    assert_eq!(c.delete("g"), ErrorCode::None);
    assert_eq!(c.delete("g"), ErrorCode::GroupIdNotFound);
}
