//! Helpers for the lab 07 tests: JoinGroup requests and reading replies, on a simulated clock.

#![allow(dead_code)]

use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::coordinator::{
    CoordinatorConfig, GroupCoordinator, JoinRequest, JoinResult, Reply,
};

pub const SESSION: i32 = 10_000;
pub const REBALANCE: i32 = 30_000;
pub const DELAY: i64 = 3_000;

pub fn coordinator() -> GroupCoordinator {
    GroupCoordinator::new(CoordinatorConfig {
        initial_rebalance_delay_ms: DELAY,
        ..CoordinatorConfig::default()
    })
}

pub fn join_request(group: &str, member: &str, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        group_id: group.into(),
        member_id: member.into(),
        group_instance_id: None,
        client_id: "client".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout_ms: SESSION,
        rebalance_timeout_ms: REBALANCE,
        protocol_type: "consumer".into(),
        protocols: protocols
            .iter()
            .map(|p| (p.to_string(), format!("{member}:{p}").into_bytes()))
            .collect(),
        require_known_member_id: false,
    }
}

/// The join answer for `ticket` among `replies`.
pub fn join_reply(replies: &[Reply], ticket: u64) -> Option<JoinResult> {
    replies.iter().find_map(|r| match r {
        Reply::Join(t, result) if *t == ticket => Some(result.clone()),
        _ => None,
    })
}

pub fn sync_reply(replies: &[Reply], ticket: u64) -> Option<(ErrorCode, Vec<u8>)> {
    replies.iter().find_map(|r| match r {
        Reply::Sync(t, code, assignment) if *t == ticket => Some((*code, assignment.clone())),
        _ => None,
    })
}

/// Joins a new member (v3 style: the id comes with the answer) and returns its id once the
/// rebalance completed, ticking the clock past the initial delay.
pub fn join_alone(c: &mut GroupCoordinator, group: &str, ticket: u64, now: i64) -> JoinResult {
    let mut replies = c.join(ticket, join_request(group, "", &["range"]), now);
    if join_reply(&replies, ticket).is_none() {
        replies = c.tick(now + DELAY);
    }
    join_reply(&replies, ticket).expect("the join is answered after the initial delay")
}
