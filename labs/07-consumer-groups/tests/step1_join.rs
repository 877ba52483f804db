//! Step 1: JoinGroup — members get ids, bad joins get Kafka's error codes, a join waits for
//! the rebalance.

mod common;

use common::*;
use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::group::GroupState;

#[test]
fn step1_a_new_member_gets_its_id_first_from_v4() {
    let mut c = coordinator();
    let mut request = join_request("g", "", &["range"]);
    request.require_known_member_id = true;
    let replies = c.join(1, request.clone(), 0);
    let first = join_reply(&replies, 1).unwrap();
    assert_eq!(first.error_code, ErrorCode::MemberIdRequired);
    assert!(
        first.member_id.starts_with("client-"),
        "{}",
        first.member_id
    );
    assert!(
        c.group("g").is_none_or(|g| g.members.is_empty()),
        "not a member until it joins with the id"
    );
    // Joining again with that id: the member is in, and waits for the rebalance.
    request.member_id = first.member_id.clone();
    let replies = c.join(2, request, 10);
    assert!(
        join_reply(&replies, 2).is_none(),
        "held during the initial delay"
    );
    let g = c.group("g").unwrap();
    assert_eq!(g.state, GroupState::PreparingRebalance);
    assert!(g.members.contains_key(&first.member_id));
}

#[test]
fn step1_bad_joins_get_kafkas_error_codes() {
    let mut c = coordinator();
    let code = |c: &mut lab07_consumer_groups::coordinator::GroupCoordinator, r| {
        join_reply(&c.join(9, r, 0), 9).unwrap().error_code
    };
    assert_eq!(
        code(&mut c, join_request("", "", &["range"])),
        ErrorCode::InvalidGroupId
    );
    let mut short = join_request("g", "", &["range"]);
    short.session_timeout_ms = 1_000;
    assert_eq!(code(&mut c, short), ErrorCode::InvalidSessionTimeout);
    assert_eq!(
        code(&mut c, join_request("g", "nobody-1", &["range"])),
        ErrorCode::UnknownMemberId
    );
    assert_eq!(
        code(&mut c, join_request("g", "", &[])),
        ErrorCode::InconsistentGroupProtocol
    );
    // A member that shares no assignor with the group cannot join it. The first member is in
    // the group as soon as it joins, while it waits for the initial delay (step 2 ends that wait).
    let replies = c.join(1, join_request("g", "", &["range"]), 0);
    assert!(join_reply(&replies, 1).is_none(), "the first join waits");
    assert_eq!(c.group("g").unwrap().members.len(), 1);
    assert_eq!(
        code(&mut c, join_request("g", "", &["roundrobin"])),
        ErrorCode::InconsistentGroupProtocol
    );
    let mut other_type = join_request("g", "", &["range"]);
    other_type.protocol_type = "connect".into();
    assert_eq!(
        code(&mut c, other_type),
        ErrorCode::InconsistentGroupProtocol
    );
}
