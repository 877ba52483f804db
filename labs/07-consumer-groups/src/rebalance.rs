//! The rebalance itself, as the coordinator's methods drive it: start one (or extend the one
//! in progress), complete it once every member has rejoined or its deadline passed, expire
//! silent members, remove a member. Free functions over one [`Group`], so that each rule reads
//! on its own; `coordinator.rs` calls them with the group a request names.

use lab04_protocol_codec::ErrorCode;

use crate::coordinator::{CoordinatorConfig, JoinResult, Reply};
use crate::group::{Group, GroupState, Ticket};

/// The JoinGroup answer for `member_id` in the group's current generation: the leader gets
/// every member's metadata for the chosen protocol, followers get none.
pub fn join_result(group: &Group, member_id: &str) -> JoinResult {
    let protocol = group.protocol_name.clone().unwrap_or_default();
    let leader = group.leader_id.clone().unwrap_or_default();
    let members = if leader == member_id {
        group
            .members
            .values()
            .map(|m| {
                (
                    m.member_id.clone(),
                    m.group_instance_id.clone(),
                    m.metadata(&protocol),
                )
            })
            .collect()
    } else {
        vec![]
    };
    JoinResult {
        error_code: ErrorCode::None,
        generation_id: group.generation_id,
        protocol_name: protocol,
        leader_id: leader,
        member_id: member_id.to_string(),
        members,
    }
}

/// Starts a rebalance (or keeps the one in progress): waiting syncs are told to rejoin, and
/// the deadline is set from the members' rebalance timeouts.
pub(crate) fn prepare_rebalance(
    group: &mut Group,
    config: &CoordinatorConfig,
    now_ms: i64,
) -> Vec<Reply> {
    let mut replies = Vec::new();
    for m in group.members.values_mut() {
        if let Some(t) = m.sync_waiting.take() {
            replies.push(Reply::Sync(t, ErrorCode::RebalanceInProgress, vec![]));
        }
    }
    if group.state != GroupState::PreparingRebalance {
        if group.state == GroupState::Empty {
            group.initial_delay_until_ms = Some(now_ms + config.initial_rebalance_delay_ms);
        }
        group.state = GroupState::PreparingRebalance;
        group.rebalance_deadline_ms = Some(now_ms + group.rebalance_timeout_ms());
    } else if let Some(until) = group.initial_delay_until_ms {
        // A member joined a starting group during the initial delay: wait a little longer for
        // more, but never past the rebalance deadline (Kafka's `InitialDelayedJoin`).
        let extended = (now_ms + config.initial_rebalance_delay_ms).max(until);
        let cap = group.rebalance_deadline_ms.unwrap_or(extended);
        group.initial_delay_until_ms = Some(extended.min(cap));
    }
    replies
}

/// Completes the rebalance if every member has rejoined (and a starting group's initial delay
/// is over): a new generation, a protocol, a leader, and an answer to every waiting join.
pub(crate) fn try_complete_join(group: &mut Group, now_ms: i64) -> Vec<Reply> {
    if group.state != GroupState::PreparingRebalance {
        return vec![];
    }
    // Kafka's InitialDelayedJoin: a starting group waits out group.initial.rebalance.delay.ms
    // for more members, unless its rebalance is overdue. It is a timer, given like the others;
    // so a join in step 1 waits without any of step 2's code.
    let overdue = group.rebalance_deadline_ms.is_some_and(|d| now_ms >= d);
    let delayed = group.initial_delay_until_ms.is_some_and(|d| now_ms < d);
    if delayed && !overdue {
        return vec![];
    }
    // BEGIN SOLUTION step 2: wait for every member; then bump the generation, pick protocol and leader, move to CompletingRebalance (or Empty) and answer every waiting join
    // ko: 모든 멤버를 기다린 뒤 제너레이션을 올리고, 프로토콜과 리더를 정하고, CompletingRebalance(또는 Empty)로 바꿔 기다리는 join에 모두 답하세요
    let all_joined = group.members.values().all(|m| m.join_waiting.is_some());
    if !all_joined {
        return vec![];
    }
    group.generation_id += 1;
    group.rebalance_deadline_ms = None;
    group.initial_delay_until_ms = None;
    if group.members.is_empty() {
        group.state = GroupState::Empty;
        group.leader_id = None;
        group.protocol_name = None;
        return vec![];
    }
    group.protocol_name = group.select_protocol();
    if !group
        .leader_id
        .as_ref()
        .is_some_and(|l| group.members.contains_key(l))
    {
        group.leader_id = group.members.keys().next().cloned();
    }
    group.state = GroupState::CompletingRebalance;
    let waiting: Vec<(String, Ticket)> = group
        .members
        .values_mut()
        .filter_map(|m| m.join_waiting.take().map(|t| (m.member_id.clone(), t)))
        .collect();
    waiting
        .into_iter()
        .map(|(member_id, ticket)| Reply::Join(ticket, join_result(group, &member_id)))
        .collect()
    // END SOLUTION
}

/// Removes the members of `due` (their session timer fired) that are silent: not those waiting
/// in a join or a sync, whose wait counts as a heartbeat (Kafka's `hasSatisfiedHeartbeat`).
pub(crate) fn expire_sessions(
    group: &mut Group,
    due: &[String],
    config: &CoordinatorConfig,
    now_ms: i64,
) -> Vec<Reply> {
    // BEGIN SOLUTION step 4: expire silent members (not those waiting in a join or sync)
    // ko: 조용한 멤버를 만료시키세요(join이나 sync에서 기다리는 멤버는 제외)
    let expired: Vec<String> = due
        .iter()
        .filter(|id| {
            group
                .members
                .get(*id)
                .is_some_and(|m| m.join_waiting.is_none() && m.sync_waiting.is_none())
        })
        .cloned()
        .collect();
    let mut replies = Vec::new();
    for member_id in expired {
        tracing::info!(group = %group.group_id, member = %member_id, "session timed out; removing the member");
        replies.extend(remove_member(group, &member_id, config, now_ms));
    }
    replies
    // END SOLUTION
}

/// Completes a rebalance on time: once every member rejoined and the initial delay passed, or,
/// at the rebalance deadline, without the members that did not rejoin.
pub(crate) fn complete_due_rebalance(group: &mut Group, now_ms: i64) -> Vec<Reply> {
    // BEGIN SOLUTION step 2: complete a rebalance that is ready or overdue
    // ko: 준비됐거나 마감이 지난 리밸런스를 완료하세요
    if group.state != GroupState::PreparingRebalance {
        return Vec::new();
    }
    if group.rebalance_deadline_ms.is_some_and(|d| now_ms >= d) {
        let late: Vec<String> = group
            .members
            .values()
            .filter(|m| m.join_waiting.is_none())
            .map(|m| m.member_id.clone())
            .collect();
        for member_id in late {
            group.members.remove(&member_id);
        }
    }
    try_complete_join(group, now_ms)
    // END SOLUTION
}

/// Removes a member (it left, or its session timed out) and rebalances the rest.
pub(crate) fn remove_member(
    group: &mut Group,
    member_id: &str,
    config: &CoordinatorConfig,
    now_ms: i64,
) -> Vec<Reply> {
    let mut replies = Vec::new();
    if let Some(m) = group.members.remove(member_id) {
        if let Some(t) = m.join_waiting {
            replies.push(Reply::Join(
                t,
                JoinResult::error(ErrorCode::UnknownMemberId, member_id),
            ));
        }
        if let Some(t) = m.sync_waiting {
            replies.push(Reply::Sync(t, ErrorCode::UnknownMemberId, vec![]));
        }
    }
    match group.state {
        GroupState::Stable | GroupState::CompletingRebalance | GroupState::PreparingRebalance => {
            replies.extend(prepare_rebalance(group, config, now_ms));
            replies.extend(try_complete_join(group, now_ms));
        }
        GroupState::Empty | GroupState::Dead => {}
    }
    replies
}
