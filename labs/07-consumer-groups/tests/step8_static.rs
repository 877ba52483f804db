//! Step 8: static membership (KIP-345), as Kafka 2.6's `GroupCoordinator` does it. A member
//! with a `group.instance.id` that restarts within its session timeout gets a new member id,
//! its old assignment and no rebalance; its old id is fenced (FENCED_INSTANCE_ID, error 82).

mod common;

use common::*;
use lab04_protocol_codec::ErrorCode;
use lab07_consumer_groups::coordinator::{GroupCoordinator, JoinRequest, Reply};
use lab07_consumer_groups::group::GroupState;

fn static_join(member: &str, instance: &str, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        group_instance_id: Some(instance.into()),
        // Kafka asks no static member for MEMBER_ID_REQUIRED.
        require_known_member_id: false,
        ..join_request("g", member, protocols)
    }
}

/// Static members `ia` and `ib` (in that order), Stable in generation 1, with assignments
/// "pa" and "pb". Returns (leader id, member id of ia, member id of ib).
fn stable_static_pair(c: &mut GroupCoordinator) -> (String, String, String) {
    c.join(1, static_join("", "ia", &["range"]), 0);
    c.join(2, static_join("", "ib", &["range"]), 0);
    let replies = c.tick(DELAY);
    let (a, b) = (
        join_reply(&replies, 1).unwrap(),
        join_reply(&replies, 2).unwrap(),
    );
    assert_eq!((a.generation_id, b.generation_id), (1, 1));
    let leader = a.leader_id.clone();
    let follower = if leader == a.member_id {
        &b.member_id
    } else {
        &a.member_id
    };
    let follower_instance = if leader == a.member_id { "ib" } else { "ia" };
    let leader_instance = if leader == a.member_id { "ia" } else { "ib" };
    assert!(c
        .sync(3, "g", 1, follower, Some(follower_instance), vec![], DELAY)
        .iter()
        .all(|r| !matches!(r, Reply::Sync(3, ..))));
    let assignments = vec![
        (a.member_id.clone(), b"pa".to_vec()),
        (b.member_id.clone(), b"pb".to_vec()),
    ];
    c.sync(
        4,
        "g",
        1,
        &leader,
        Some(leader_instance),
        assignments,
        DELAY,
    );
    assert_eq!(c.group("g").unwrap().state, GroupState::Stable);
    (leader, a.member_id, b.member_id)
}

#[test]
fn step8_a_restarted_static_member_gets_its_assignment_back_without_a_rebalance() {
    let mut c = coordinator();
    let (leader, a, old_b) = stable_static_pair(&mut c);
    let b_led = leader == old_b;
    // b's process stops without LeaveGroup (a static member's client never sends one) and
    // a new one starts with the same instance id, well within the session timeout.
    let now = DELAY + 2_000;
    let replies = c.join(10, static_join("", "ib", &["range"]), now);
    let r = join_reply(&replies, 10).expect("answered at once: no rebalance to wait for");
    assert_eq!(r.error_code, ErrorCode::None);
    assert_eq!(r.generation_id, 1, "the same generation");
    assert_eq!(r.protocol_name, "range");
    assert_ne!(r.member_id, old_b, "a new member id for the same instance");
    assert!(
        r.members.is_empty(),
        "nobody is asked to compute an assignment"
    );
    assert_eq!(
        r.leader_id, leader,
        "the leader id it is told is the one before the restart"
    );
    let new_b = r.member_id.clone();
    let group = c.group("g").unwrap();
    assert_eq!(group.state, GroupState::Stable);
    assert_eq!(group.generation_id, 1);
    assert_eq!(group.members.len(), 2);
    assert_eq!(
        group.members[&new_b].group_instance_id.as_deref(),
        Some("ib")
    );
    if b_led {
        assert_eq!(
            group.leader_id.as_deref(),
            Some(new_b.as_str()),
            "it still leads"
        );
    }
    // The other member sees nothing.
    assert_eq!(c.heartbeat("g", 1, &a, Some("ia"), now), ErrorCode::None);
    assert!(c.tick(now).is_empty());
    // The new incarnation syncs and gets the old assignment.
    assert_eq!(
        sync_reply(&c.sync(11, "g", 1, &new_b, Some("ib"), vec![], now), 11),
        Some((ErrorCode::None, b"pb".to_vec()))
    );
    assert_eq!(
        c.heartbeat("g", 1, &new_b, Some("ib"), now),
        ErrorCode::None
    );
    assert_eq!(
        c.check_commit("g", 1, &new_b, Some("ib"), now),
        ErrorCode::None
    );
    // The old id, should its process still be alive, is fenced wherever it names the instance…
    assert_eq!(
        c.heartbeat("g", 1, &old_b, Some("ib"), now),
        ErrorCode::FencedInstanceId
    );
    assert_eq!(
        sync_reply(&c.sync(12, "g", 1, &old_b, Some("ib"), vec![], now), 12)
            .unwrap()
            .0,
        ErrorCode::FencedInstanceId
    );
    assert_eq!(
        c.check_commit("g", 1, &old_b, Some("ib"), now),
        ErrorCode::FencedInstanceId
    );
    let replies = c.join(13, static_join(&old_b, "ib", &["range"]), now);
    assert_eq!(
        join_reply(&replies, 13).unwrap().error_code,
        ErrorCode::FencedInstanceId
    );
    // …and simply unknown where it does not (a request version without instance ids).
    assert_eq!(
        c.heartbeat("g", 1, &old_b, None, now),
        ErrorCode::UnknownMemberId
    );
    assert_eq!(c.group("g").unwrap().generation_id, 1, "still no rebalance");

    // A static member whose session does time out is removed like any other: the group
    // rebalances, and its next join is a new member's.
    let mut t = now;
    while t < now + i64::from(SESSION) {
        t += 1_000;
        c.heartbeat("g", 1, &a, Some("ia"), t);
        c.tick(t);
    }
    let group = c.group("g").unwrap();
    assert!(!group.members.contains_key(&new_b));
    assert_eq!(group.state, GroupState::PreparingRebalance);
    assert_eq!(
        c.heartbeat("g", 1, &a, Some("ia"), t),
        ErrorCode::RebalanceInProgress
    );
    let r = join_reply(&c.join(14, static_join(&a, "ia", &["range"]), t), 14).unwrap();
    assert_eq!((r.generation_id, r.members.len()), (2, 1));
}

#[test]
fn step8_the_leader_restarting_is_not_told_it_leads() {
    for bouncer in ["ia", "ib"] {
        let mut c = coordinator();
        let (leader, a, b) = stable_static_pair(&mut c);
        let old = if bouncer == "ia" { &a } else { &b };
        let replies = c.join(10, static_join("", bouncer, &["range"]), 5_000);
        let r = join_reply(&replies, 10).unwrap();
        // Told the old leader id, the new incarnation of a leader acts as a follower and only
        // syncs; a Stable group would not hand out a new assignment anyway.
        assert_eq!(r.leader_id, leader, "{bouncer}");
        assert_ne!(r.leader_id, r.member_id, "{bouncer}");
        let group = c.group("g").unwrap();
        let expected_leader = if &leader == old {
            r.member_id.clone()
        } else {
            leader.clone()
        };
        assert_eq!(group.leader_id.as_deref(), Some(expected_leader.as_str()));
        let want: &[u8] = if bouncer == "ia" { b"pa" } else { b"pb" };
        assert_eq!(
            sync_reply(
                &c.sync(11, "g", 1, &r.member_id, Some(bouncer), vec![], 5_000),
                11
            ),
            Some((ErrorCode::None, want.to_vec()))
        );
    }
}

#[test]
fn step8_a_restart_during_a_rebalance_fences_what_the_old_id_was_waiting_for() {
    let mut c = coordinator();
    // Two static members join; before the rebalance completes, ib's process restarts.
    c.join(1, static_join("", "ia", &["range"]), 0);
    let replies = c.join(2, static_join("", "ib", &["range"]), 0);
    assert!(
        join_reply(&replies, 2).is_none(),
        "waiting for the initial delay"
    );
    let replies = c.join(3, static_join("", "ib", &["range"]), 1_000);
    assert_eq!(
        join_reply(&replies, 2).unwrap().error_code,
        ErrorCode::FencedInstanceId,
        "the old incarnation's join is answered, fenced"
    );
    assert!(
        join_reply(&replies, 3).is_none(),
        "the new one waits in the rebalance"
    );
    let replies = c.tick(DELAY + 1_000);
    let (a, b) = (
        join_reply(&replies, 1).unwrap(),
        join_reply(&replies, 3).unwrap(),
    );
    assert_eq!((a.generation_id, b.generation_id), (1, 1));
    assert_eq!(c.group("g").unwrap().members.len(), 2);

    // While CompletingRebalance the leader may be computing an assignment for the old id: a
    // restart there starts the rebalance over, and the old id's waiting sync is fenced.
    let follower = if a.leader_id == a.member_id { &b } else { &a };
    let follower_instance = if follower.member_id == b.member_id {
        "ib"
    } else {
        "ia"
    };
    assert!(sync_reply(
        &c.sync(
            4,
            "g",
            1,
            &follower.member_id,
            Some(follower_instance),
            vec![],
            5_000
        ),
        4
    )
    .is_none());
    let replies = c.join(5, static_join("", follower_instance, &["range"]), 5_100);
    assert_eq!(
        sync_reply(&replies, 4).unwrap().0,
        ErrorCode::FencedInstanceId
    );
    assert_eq!(c.group("g").unwrap().state, GroupState::PreparingRebalance);
}

#[test]
fn step8_a_restart_that_changes_the_chosen_protocol_rebalances() {
    let mut c = coordinator();
    c.join(1, static_join("", "solo", &["range", "roundrobin"]), 0);
    let r = join_reply(&c.tick(DELAY), 1).unwrap();
    c.sync(
        2,
        "g",
        1,
        &r.member_id,
        Some("solo"),
        vec![(r.member_id.clone(), b"x".to_vec())],
        DELAY,
    );
    assert_eq!(c.group("g").unwrap().state, GroupState::Stable);
    // Back with roundrobin only: the group's assignor would change, so it rebalances.
    let replies = c.join(3, static_join("", "solo", &["roundrobin"]), 5_000);
    let r = join_reply(&replies, 3).expect("the only member: the rebalance completes at once");
    assert_eq!(
        (r.generation_id, r.protocol_name.as_str()),
        (2, "roundrobin")
    );
    assert_eq!(r.leader_id, r.member_id, "it leads the new generation");
}

#[test]
fn step8_leave_group_names_static_members_by_instance_id() {
    let mut c = coordinator();
    let (_, a, b) = stable_static_pair(&mut c);
    // An old member id of the instance: fenced, nothing removed.
    assert_eq!(
        c.leave("g", "ib-stale", Some("ib"), 5_000).0,
        ErrorCode::FencedInstanceId
    );
    assert_eq!(c.group("g").unwrap().members.len(), 2);
    // An instance the group does not hold, with no member id: unknown.
    assert_eq!(
        c.leave("g", "", Some("nobody"), 5_000).0,
        ErrorCode::UnknownMemberId
    );
    // An admin removes ib by its instance id alone (LeaveGroup v3, `members[]`): ib is gone
    // and the group rebalances.
    let (code, _) = c.leave("g", "", Some("ib"), 5_000);
    assert_eq!(code, ErrorCode::None);
    let group = c.group("g").unwrap();
    assert!(!group.members.contains_key(&b));
    assert_eq!(group.state, GroupState::PreparingRebalance);
    // The member itself, with its own id and instance id, leaves as well.
    assert_eq!(c.leave("g", &a, Some("ia"), 5_100).0, ErrorCode::None);
    assert!(c.group("g").unwrap().members.is_empty());
}
