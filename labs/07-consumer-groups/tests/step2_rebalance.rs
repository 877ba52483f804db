//! Step 2: completing the rebalance — wait for every member, one generation, one leader.

mod common;

use common::*;
use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::group::GroupState;

#[test]
fn step2_a_lone_member_leads_generation_one() {
    let mut c = coordinator();
    let r = join_alone(&mut c, "g", 1, 0);
    assert_eq!(
        (r.error_code, r.generation_id, r.protocol_name.as_str()),
        (ErrorCode::None, 1, "range")
    );
    assert_eq!(r.leader_id, r.member_id);
    assert_eq!(
        r.members.len(),
        1,
        "the leader gets every member's subscription"
    );
    assert_eq!(c.group("g").unwrap().state, GroupState::CompletingRebalance);
}

#[test]
fn step2_members_starting_together_rebalance_once() {
    let mut c = coordinator();
    assert!(c
        .join(1, join_request("g", "", &["range", "roundrobin"]), 0)
        .is_empty());
    assert!(c
        .join(2, join_request("g", "", &["roundrobin", "range"]), 1_000)
        .is_empty());
    assert!(c
        .join(3, join_request("g", "", &["roundrobin"]), 2_000)
        .is_empty());
    // The initial delay started at 0 and was extended by each joiner: nothing before 5000.
    assert!(c.tick(4_999).is_empty());
    let replies = c.tick(5_000);
    let answers: Vec<_> = (1..=3)
        .map(|t| join_reply(&replies, t).expect("every join answered"))
        .collect();
    for a in &answers {
        assert_eq!((a.error_code, a.generation_id), (ErrorCode::None, 1));
        assert_eq!(
            a.protocol_name, "roundrobin",
            "the only assignor all three share"
        );
        assert_eq!(a.leader_id, answers[0].leader_id, "one leader for all");
    }
    let leader: Vec<_> = answers
        .iter()
        .filter(|a| a.member_id == a.leader_id)
        .collect();
    assert_eq!(leader.len(), 1);
    assert_eq!(leader[0].members.len(), 3);
    for (_, _, metadata) in &leader[0].members {
        // Each member sent "<its id at join>:<protocol>" as metadata; new members joined with "".
        assert_eq!(metadata, b":roundrobin", "metadata for the chosen protocol");
    }
    assert!(answers
        .iter()
        .filter(|a| a.member_id != a.leader_id)
        .all(|a| a.members.is_empty()));
}

#[test]
fn step2_a_rejoin_waits_for_every_known_member() {
    let mut c = coordinator();
    let a = join_alone(&mut c, "g", 1, 0);
    // A second member arrives: a new rebalance, which waits for the first to rejoin.
    assert!(c
        .join(2, join_request("g", "", &["range"]), 4_000)
        .is_empty());
    assert_eq!(c.group("g").unwrap().state, GroupState::PreparingRebalance);
    assert!(c.tick(5_000).is_empty(), "member a has not rejoined yet");
    let replies = c.join(3, join_request("g", &a.member_id, &["range"]), 5_500);
    let (ra, rb) = (
        join_reply(&replies, 3).unwrap(),
        join_reply(&replies, 2).unwrap(),
    );
    assert_eq!((ra.generation_id, rb.generation_id), (2, 2));
    assert_eq!(ra.leader_id, a.member_id, "the leader stays the leader");
}
