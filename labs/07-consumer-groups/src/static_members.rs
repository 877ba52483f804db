//! Static membership (KIP-345, Kafka 2.3): a consumer configured with a `group.instance.id`
//! keeps its place in the group across a restart.
//!
//! A dynamic member that restarts comes back with no member id: the coordinator cannot tell it
//! from a stranger, so the whole group rebalances twice (once when the old one times out or
//! leaves, once when the new one joins), and every member stops reading meanwhile. A static
//! member names itself. Its client does not send LeaveGroup when it closes; when it comes back
//! under the same instance id before its session times out, the coordinator gives it a new
//! member id mapped to the same instance, with its old assignment, and the other members see
//! nothing. Kafka's `GroupCoordinator.updateStaticMemberAndRebalance` and
//! `GroupMetadata.replaceGroupInstance` (2.6).
//!
//! The old member id is now a zombie: a request naming the instance with the old id (a
//! heartbeat, a sync, a commit or a join from a process that did not really die) is answered
//! FENCED_INSTANCE_ID, and a real client then stops instead of fighting over the partitions.
//! A static member whose session does time out is removed like any other, and its next join
//! rebalances the group.
//!
//! Shortcut: a static member that has not rejoined by a rebalance's deadline is dropped like a
//! dynamic one (step 2's `complete_due_rebalance`); Kafka keeps it, with its assignment, until
//! its session times out.
//!
//! The instance-to-member mapping is not a second map here (Kafka keeps `staticMembers`): it is
//! each member's `group_instance_id`, so the two can never disagree.

use lab04_protocol_codec::ErrorCode;

use crate::coordinator::{CoordinatorConfig, GroupCoordinator, JoinRequest, JoinResult, Reply};
use crate::group::{Group, GroupState, Ticket};
use crate::rebalance::{prepare_rebalance, try_complete_join};

/// The member id the group holds for `instance_id`, if a member joined with it.
pub fn static_member_id<'a>(group: &'a Group, instance_id: &str) -> Option<&'a str> {
    group
        .members
        .values()
        .find(|m| m.group_instance_id.as_deref() == Some(instance_id))
        .map(|m| m.member_id.as_str())
}

/// Kafka's `isStaticMemberFenced`: a request naming `instance_id` with `member_id` comes from
/// an old incarnation when the group holds that instance under another member id.
pub fn is_fenced(group: &Group, member_id: &str, instance_id: &str) -> bool {
    // BEGIN SOLUTION step 8: fenced when the group holds this instance id under another member id
    // ko: 그룹이 이 인스턴스 ID를 다른 멤버 ID로 갖고 있으면 펜싱된 것입니다
    static_member_id(group, instance_id).is_some_and(|id| id != member_id)
    // END SOLUTION
}

impl GroupCoordinator {
    /// The JoinGroup cases that only a static member meets, checked before the dynamic ones:
    /// `None` sends the request on to them (no instance id, a first join, or the member
    /// rejoining with its own id).
    pub(crate) fn join_static(
        &mut self,
        ticket: Ticket,
        request: &JoinRequest,
        now_ms: i64,
    ) -> Option<Vec<Reply>> {
        let instance = request.group_instance_id.as_deref()?;
        let group = self
            .groups
            .get(&request.group_id)
            .filter(|g| g.state != GroupState::Dead)?;
        let old_member_id = static_member_id(group, instance)?.to_string();
        let reply = |code| {
            Some(vec![Reply::Join(
                ticket,
                JoinResult::error(code, &request.member_id),
            )])
        };
        if !request.member_id.is_empty() {
            if is_fenced(group, &request.member_id, instance) {
                return reply(ErrorCode::FencedInstanceId);
            }
            return None;
        }
        // The same checks as for any join: one protocol type, an assignor shared with the
        // others.
        let shares_assignor = group
            .members
            .values()
            .filter(|m| m.member_id != old_member_id)
            .all(|m| request.protocols.iter().any(|(name, _)| m.supports(name)));
        if request.protocols.is_empty()
            || group.protocol_type.as_deref() != Some(request.protocol_type.as_str())
            || !shares_assignor
        {
            return reply(ErrorCode::InconsistentGroupProtocol);
        }
        let new_member_id = self.new_member_id(instance);
        let group = self.groups.get_mut(&request.group_id)?;
        Some(rejoin(
            group,
            &self.config,
            ticket,
            request,
            &old_member_id,
            new_member_id,
            now_ms,
        ))
    }
}

/// A known static member joins with no member id (it restarted): it takes `new_member_id` in
/// place of `old_member_id`, keeping its assignment and, if it led, the leadership. Whatever
/// the old id was still waiting for is answered FENCED_INSTANCE_ID. A Stable group whose
/// protocol choice does not change answers at once with the current generation, and names the
/// old leader id, so that a returning leader does not think it must compute an assignment
/// (a Stable group would not hand a new one out). Otherwise the member waits in a rebalance,
/// as any join would: while CompletingRebalance the leader may have computed an assignment for
/// the old id, so it starts over.
pub fn rejoin(
    group: &mut Group,
    config: &CoordinatorConfig,
    ticket: Ticket,
    request: &JoinRequest,
    old_member_id: &str,
    new_member_id: String,
    now_ms: i64,
) -> Vec<Reply> {
    // BEGIN SOLUTION step 8: move the member to its new id (fence the old id's waiting requests, keep assignment and leadership); a Stable group with the same protocol answers at once, else rebalance
    // ko: 멤버를 새 ID로 옮기고(옛 ID의 대기 요청은 펜싱, 할당과 리더 자리는 유지), 프로토콜이 그대로인 Stable 그룹은 바로 답하고 아니면 리밸런스하세요
    let Some(mut member) = group.members.remove(old_member_id) else {
        return vec![Reply::Join(
            ticket,
            JoinResult::error(ErrorCode::UnknownMemberId, ""),
        )];
    };
    let mut replies = Vec::new();
    if let Some(old) = member.join_waiting.take() {
        replies.push(Reply::Join(
            old,
            JoinResult::error(ErrorCode::FencedInstanceId, old_member_id),
        ));
    }
    if let Some(old) = member.sync_waiting.take() {
        replies.push(Reply::Sync(old, ErrorCode::FencedInstanceId, vec![]));
    }
    let current_leader = group.leader_id.clone().unwrap_or_default();
    if current_leader == old_member_id {
        group.leader_id = Some(new_member_id.clone());
    }
    member.member_id = new_member_id.clone();
    member.protocols = request.protocols.clone();
    member.client_id = request.client_id.clone();
    member.client_host = request.client_host.clone();
    member.session_timeout_ms = request.session_timeout_ms;
    member.rebalance_timeout_ms = request.rebalance_timeout_ms;
    member.last_seen_ms = now_ms;
    group.members.insert(new_member_id.clone(), member);
    let same_protocol = group.select_protocol() == group.protocol_name;
    if group.state == GroupState::Stable && same_protocol {
        replies.push(Reply::Join(
            ticket,
            JoinResult {
                error_code: ErrorCode::None,
                generation_id: group.generation_id,
                protocol_name: group.protocol_name.clone().unwrap_or_default(),
                leader_id: current_leader,
                member_id: new_member_id,
                members: vec![],
            },
        ));
        return replies;
    }
    if let Some(m) = group.members.get_mut(&new_member_id) {
        m.join_waiting = Some(ticket);
    }
    replies.extend(prepare_rebalance(group, config, now_ms));
    replies.extend(try_complete_join(group, now_ms));
    replies
    // END SOLUTION
}

/// Which member a LeaveGroup entry naming `instance_id` removes (Kafka's `handleLeaveGroup`):
/// an entry with a member id that is not the instance's current one is FENCED_INSTANCE_ID;
/// otherwise the instance's member, or the member id itself if no member holds the instance;
/// UNKNOWN_MEMBER_ID if neither is in the group. An admin removing a static member sends the
/// instance id alone, with an empty member id.
pub fn leaving_member(
    group: &Group,
    member_id: &str,
    instance_id: &str,
) -> Result<String, ErrorCode> {
    // BEGIN SOLUTION step 8: FencedInstanceId for another member id of the instance; else the instance's member, or the member id; UnknownMemberId if neither
    // ko: 인스턴스의 다른 멤버 ID면 FencedInstanceId, 아니면 인스턴스의 멤버나 그 멤버 ID, 둘 다 없으면 UnknownMemberId
    if !member_id.is_empty() && is_fenced(group, member_id, instance_id) {
        return Err(ErrorCode::FencedInstanceId);
    }
    match static_member_id(group, instance_id) {
        Some(id) => Ok(id.to_string()),
        None if group.members.contains_key(member_id) => Ok(member_id.to_string()),
        None => Err(ErrorCode::UnknownMemberId),
    }
    // END SOLUTION
}
