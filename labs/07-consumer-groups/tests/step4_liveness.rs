//! Step 4: heartbeats and session timeouts — a silent member is removed and the rest
//! rebalance. Driven on a simulated clock, seeded where it is random.

mod common;

use common::*;
use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::coordinator::Reply;
use lab07_consumer_groups::group::GroupState;

/// Two members, stable in generation 1; returns (a, b) member ids.
fn stable_pair(c: &mut lab07_consumer_groups::coordinator::GroupCoordinator) -> (String, String) {
    c.join(1, join_request("g", "", &["range"]), 0);
    c.join(2, join_request("g", "", &["range"]), 0);
    let replies = c.tick(DELAY);
    let (a, b) = (
        join_reply(&replies, 1).unwrap(),
        join_reply(&replies, 2).unwrap(),
    );
    let leader = a.leader_id.clone();
    c.sync(3, "g", 1, &leader, None, vec![], DELAY);
    let follower = if a.member_id == leader {
        &b.member_id
    } else {
        &a.member_id
    };
    c.sync(4, "g", 1, follower, None, vec![], DELAY);
    assert_eq!(c.group("g").unwrap().state, GroupState::Stable);
    (a.member_id, b.member_id)
}

#[test]
fn step4_heartbeats_keep_members_and_a_silent_one_is_removed() {
    let mut c = coordinator();
    let (a, b) = stable_pair(&mut c);
    let mut now = DELAY;
    // Both heartbeat for a minute: nothing changes.
    for _ in 0..20 {
        now += 3_000;
        assert_eq!(c.heartbeat("g", 1, &a, None, now), ErrorCode::None);
        assert_eq!(c.heartbeat("g", 1, &b, None, now), ErrorCode::None);
        assert!(c.tick(now).is_empty());
    }
    // b goes silent; a keeps going. After b's session timeout, a is told to rejoin.
    let silent_since = now;
    while now < silent_since + i64::from(SESSION) {
        now += 1_000;
        let told = c.heartbeat("g", 1, &a, None, now);
        assert!(matches!(
            told,
            ErrorCode::None | ErrorCode::RebalanceInProgress
        ));
        c.tick(now);
    }
    assert!(!c.group("g").unwrap().members.contains_key(&b));
    assert_eq!(
        c.heartbeat("g", 1, &a, None, now),
        ErrorCode::RebalanceInProgress
    );
    let replies = c.join(5, join_request("g", &a, &["range"]), now);
    let r = join_reply(&replies, 5).unwrap();
    assert_eq!(
        (r.generation_id, r.leader_id.as_str(), r.members.len()),
        (2, a.as_str(), 1)
    );
    assert_eq!(
        c.heartbeat("g", 1, &a, None, now),
        ErrorCode::IllegalGeneration,
        "generation 1 is over"
    );
    assert_eq!(
        c.heartbeat("g", 2, &b, None, now),
        ErrorCode::UnknownMemberId
    );
}

#[test]
fn step4_seeded_schedules_answer_every_waiting_request_exactly_once() {
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut c = coordinator();
        let mut now = 0i64;
        let mut next_ticket = 1u64;
        let mut open: std::collections::BTreeSet<u64> = Default::default();
        let mut members: Vec<String> = Vec::new();
        let mut last_generation = 0;
        let take = |replies: Vec<Reply>,
                    open: &mut std::collections::BTreeSet<u64>,
                    members: &mut Vec<String>| {
            for r in replies {
                let t = match &r {
                    Reply::Join(t, res) => {
                        if res.error_code == ErrorCode::None && !members.contains(&res.member_id) {
                            members.push(res.member_id.clone());
                        }
                        *t
                    }
                    Reply::Sync(t, ..) => *t,
                };
                assert!(
                    open.remove(&t),
                    "seed {seed}: ticket {t} answered twice or never asked"
                );
            }
        };
        for _ in 0..200 {
            now += rng.i64(0..4_000);
            let ticket = next_ticket;
            next_ticket += 1;
            let replies = match rng.u8(0..5) {
                0 => {
                    open.insert(ticket);
                    c.join(ticket, join_request("g", "", &["range"]), now)
                }
                1 if !members.is_empty() => {
                    let m = members[rng.usize(0..members.len())].clone();
                    open.insert(ticket);
                    c.join(ticket, join_request("g", &m, &["range"]), now)
                }
                2 if !members.is_empty() => {
                    let m = members[rng.usize(0..members.len())].clone();
                    let generation = c.group("g").map_or(0, |g| g.generation_id);
                    open.insert(ticket);
                    c.sync(
                        ticket,
                        "g",
                        generation,
                        &m,
                        None,
                        vec![(m.clone(), b"x".to_vec())],
                        now,
                    )
                }
                3 if !members.is_empty() => {
                    let m = members.remove(rng.usize(0..members.len()));
                    c.leave("g", &m, None, now).1
                }
                _ => c.tick(now),
            };
            take(replies, &mut open, &mut members);
            if let Some(g) = c.group("g") {
                assert!(
                    g.generation_id >= last_generation,
                    "seed {seed}: the generation went back"
                );
                last_generation = g.generation_id;
                if g.state == GroupState::Stable {
                    assert!(
                        g.members.values().all(|m| m.join_waiting.is_none()),
                        "seed {seed}"
                    );
                }
                members.retain(|m| g.members.contains_key(m));
            }
        }
        // Long enough for every timeout: nothing stays open.
        let replies = c.tick(now + 10 * i64::from(REBALANCE));
        take(replies, &mut open, &mut members);
        let replies = c.tick(now + 20 * i64::from(REBALANCE));
        take(replies, &mut open, &mut members);
        assert!(
            open.is_empty(),
            "seed {seed}: tickets never answered: {open:?}; group: {:#?}",
            c.group("g")
        );
    }
}

#[test]
// Here because the member keeps heartbeating (step 4) while the group waits for it.
fn step4_members_that_do_not_rejoin_are_dropped_at_the_rebalance_timeout() {
    let mut c = coordinator();
    let a = join_alone(&mut c, "g", 1, 0);
    assert!(c
        .join(2, join_request("g", "", &["range"]), 4_000)
        .is_empty());
    // a keeps heartbeating (each time told to rejoin) but never rejoins.
    let deadline = 4_000 + i64::from(REBALANCE);
    for now in (6_000..deadline).step_by(5_000) {
        assert_eq!(
            c.heartbeat("g", 1, &a.member_id, None, now),
            ErrorCode::RebalanceInProgress
        );
        assert!(c.tick(now).is_empty(), "still waiting for a at {now}");
    }
    let replies = c.tick(deadline);
    let b = join_reply(&replies, 2).unwrap();
    assert_eq!((b.generation_id, b.leader_id == b.member_id), (2, true));
    assert_eq!(c.group("g").unwrap().members.len(), 1);
    assert_eq!(
        c.heartbeat("g", 2, &a.member_id, None, 40_000),
        ErrorCode::UnknownMemberId
    );
}
