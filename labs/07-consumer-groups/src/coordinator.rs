//! The group coordinator: a pure state machine over every group on this broker. Requests come
//! in as method calls with the time (`now_ms`); answers that must wait for a rebalance come out
//! later as [`Reply`]s, from this call or from a later one (another member's join, or
//! [`GroupCoordinator::tick`] when a timeout passes). No sockets, no clocks, no threads: the
//! tokio shell in `service.rs` holds the waiting requests, and tests drive it with a
//! simulated clock.

use std::collections::BTreeMap;

use crate::group::{Group, GroupState, Member, Ticket};
use crate::rebalance::{
    complete_due_rebalance, expire_sessions, prepare_rebalance, remove_member, try_complete_join,
};
use crate::static_members;

pub use crate::rebalance::join_result;
use lab04_protocol_codec::ErrorCode;

pub use crate::coordinator_config::CoordinatorConfig;

/// A JoinGroup, as the coordinator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub group_id: String,
    /// Empty for a new member.
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Vec<u8>)>,
    /// JoinGroup v4+ (KIP-394): a new member first gets its id with MEMBER_ID_REQUIRED and
    /// joins again with it, so a member that times out mid-join is not left behind unnamed.
    pub require_known_member_id: bool,
}

/// The answer to a JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResult {
    pub error_code: ErrorCode,
    pub generation_id: i32,
    pub protocol_name: String,
    pub leader_id: String,
    pub member_id: String,
    /// Only for the leader: every member with its metadata for the chosen protocol.
    pub members: Vec<(String, Option<String>, Vec<u8>)>,
}

impl JoinResult {
    pub fn error(code: ErrorCode, member_id: &str) -> JoinResult {
        JoinResult {
            error_code: code,
            generation_id: -1,
            protocol_name: String::new(),
            leader_id: String::new(),
            member_id: member_id.to_string(),
            members: vec![],
        }
    }
}

/// An answer for a request the shell is holding open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Join(Ticket, JoinResult),
    /// A SyncGroup answer: error code and the member's assignment.
    Sync(Ticket, ErrorCode, Vec<u8>),
}

#[derive(Debug, Default)]
pub struct GroupCoordinator {
    pub config: CoordinatorConfig,
    pub(crate) groups: BTreeMap<String, Group>,
    /// Makes member ids unique on this broker.
    next_member: u64,
}

impl GroupCoordinator {
    pub fn new(config: CoordinatorConfig) -> GroupCoordinator {
        GroupCoordinator {
            config,
            groups: BTreeMap::new(),
            next_member: 0,
        }
    }

    pub fn group(&self, group_id: &str) -> Option<&Group> {
        self.groups
            .get(group_id)
            .filter(|g| g.state != GroupState::Dead)
    }

    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values().filter(|g| g.state != GroupState::Dead)
    }

    /// A new member id: a prefix (the client id, or a static member's instance id) and a
    /// unique suffix, as Kafka makes them.
    pub(crate) fn new_member_id(&mut self, prefix: &str) -> String {
        self.next_member += 1;
        let prefix = if prefix.is_empty() { "member" } else { prefix };
        format!("{prefix}-{:016x}", self.next_member)
    }

    /// JoinGroup. Answers at once with an error or, when the group is stable and nothing
    /// changed, with the current generation; otherwise holds `ticket` until the rebalance
    /// completes (every member rejoined, or the rebalance timeout passed).
    pub fn join(&mut self, ticket: Ticket, request: JoinRequest, now_ms: i64) -> Vec<Reply> {
        let reply = |code| {
            vec![Reply::Join(
                ticket,
                JoinResult::error(code, &request.member_id),
            )]
        };
        if request.group_id.is_empty() {
            return reply(ErrorCode::InvalidGroupId);
        }
        if request.session_timeout_ms < self.config.min_session_timeout_ms
            || request.session_timeout_ms > self.config.max_session_timeout_ms
        {
            return reply(ErrorCode::InvalidSessionTimeout);
        }
        // A member with a `group.instance.id` the group already holds (step 8), before the
        // dynamic cases.
        if let Some(replies) = self.join_static(ticket, &request, now_ms) {
            return replies;
        }
        // BEGIN SOLUTION step 1: new members get an id (MemberIdRequired from v4); check protocol and member (InconsistentGroupProtocol, UnknownMemberId); add it and rebalance
        // ko: 새 멤버에게 ID를 주고(v4부터 MemberIdRequired), 프로토콜과 멤버를 검사한 뒤(InconsistentGroupProtocol, UnknownMemberId) 멤버를 넣고 리밸런스하세요
        let new_member = request.member_id.is_empty();
        let member_id_if_required = (new_member && request.require_known_member_id)
            .then(|| self.new_member_id(&request.client_id));
        let group = self
            .groups
            .entry(request.group_id.clone())
            .or_insert_with(|| Group::new(&request.group_id));
        if group.state == GroupState::Dead {
            *group = Group::new(&request.group_id);
        }
        if let Some(member_id) = member_id_if_required {
            group.pending_members.insert(member_id.clone(), now_ms);
            return vec![Reply::Join(
                ticket,
                JoinResult::error(ErrorCode::MemberIdRequired, &member_id),
            )];
        }
        // Every member must speak the same protocol type and share at least one assignor.
        let type_differs = group
            .protocol_type
            .as_ref()
            .is_some_and(|t| *t != request.protocol_type)
            && !group.members.is_empty();
        let shares_assignor = group.members.is_empty()
            || group
                .members
                .values()
                .filter(|m| m.member_id != request.member_id)
                .all(|m| request.protocols.iter().any(|(name, _)| m.supports(name)));
        if request.protocols.is_empty() || type_differs || !shares_assignor {
            return reply(ErrorCode::InconsistentGroupProtocol);
        }
        let known = group.members.contains_key(&request.member_id)
            || group.pending_members.remove(&request.member_id).is_some();
        if !new_member && !known {
            return reply(ErrorCode::UnknownMemberId);
        }
        let member_id = if new_member {
            self.new_member_id(&request.client_id)
        } else {
            request.member_id.clone()
        };
        let group = self.groups.get_mut(&request.group_id).expect("made above");
        let unchanged = group
            .members
            .get(&member_id)
            .is_some_and(|m| m.protocols == request.protocols);
        // A known member rejoining a settled group with the same subscription: nothing to
        // rebalance, answer with the current generation (the leader gets the members again).
        // Except the leader of a stable group: its rejoin asks for a new assignment (it saw
        // topic metadata change), as Kafka's coordinator allows.
        let is_leader = group.leader_id.as_deref() == Some(member_id.as_str());
        let settled = group.state == GroupState::CompletingRebalance
            || (group.state == GroupState::Stable && !is_leader);
        if unchanged && settled {
            let member = group.members.get_mut(&member_id).expect("known");
            member.last_seen_ms = now_ms;
            let result = join_result(group, &member_id);
            return vec![Reply::Join(ticket, result)];
        }
        let previous_waiting = group.members.get(&member_id).and_then(|m| m.join_waiting);
        let previous_sync = group.members.get(&member_id).and_then(|m| m.sync_waiting);
        let assignment = group
            .members
            .get(&member_id)
            .map(|m| m.assignment.clone())
            .unwrap_or_default();
        group.members.insert(
            member_id.clone(),
            Member {
                member_id: member_id.clone(),
                group_instance_id: request.group_instance_id.clone(),
                client_id: request.client_id.clone(),
                client_host: request.client_host.clone(),
                session_timeout_ms: request.session_timeout_ms,
                rebalance_timeout_ms: request.rebalance_timeout_ms,
                protocols: request.protocols.clone(),
                assignment,
                last_seen_ms: now_ms,
                join_waiting: Some(ticket),
                sync_waiting: None,
            },
        );
        group.protocol_type = Some(request.protocol_type.clone());
        let mut replies = Vec::new();
        if let Some(old) = previous_waiting {
            // The same member joined twice; the older request gets its answer as an error.
            replies.push(Reply::Join(
                old,
                JoinResult::error(ErrorCode::RebalanceInProgress, &member_id),
            ));
        }
        if let Some(old) = previous_sync {
            replies.push(Reply::Sync(old, ErrorCode::RebalanceInProgress, vec![]));
        }
        replies.extend(prepare_rebalance(group, &self.config, now_ms));
        replies.extend(try_complete_join(group, now_ms));
        replies
        // END SOLUTION
    }

    /// SyncGroup. The leader brings the assignment: every waiting member gets its part.
    /// Followers that arrive first wait for the leader.
    // The request's fields, as Kafka's `handleSyncGroup` takes them, plus the ticket and the
    // time: a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub fn sync(
        &mut self,
        ticket: Ticket,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        group_instance_id: Option<&str>,
        assignments: Vec<(String, Vec<u8>)>,
        now_ms: i64,
    ) -> Vec<Reply> {
        let reply = |code| vec![Reply::Sync(ticket, code, vec![])];
        let Some(group) = self
            .groups
            .get_mut(group_id)
            .filter(|g| g.state != GroupState::Dead)
        else {
            return reply(ErrorCode::UnknownMemberId);
        };
        if group_instance_id.is_some_and(|i| static_members::is_fenced(group, member_id, i)) {
            return reply(ErrorCode::FencedInstanceId);
        }
        // BEGIN SOLUTION step 3: UnknownMemberId, IllegalGeneration, RebalanceInProgress while preparing; while completing, hold syncs until the leader's assignment, then answer all
        // ko: UnknownMemberId, IllegalGeneration, 준비 중이면 RebalanceInProgress. 완료 중이면 리더의 할당이 올 때까지 sync를 붙잡았다가 모두에게 답하세요
        let Some(member) = group.members.get_mut(member_id) else {
            return reply(ErrorCode::UnknownMemberId);
        };
        member.last_seen_ms = now_ms;
        if generation_id != group.generation_id {
            return reply(ErrorCode::IllegalGeneration);
        }
        match group.state {
            GroupState::Empty | GroupState::Dead => reply(ErrorCode::UnknownMemberId),
            GroupState::PreparingRebalance => reply(ErrorCode::RebalanceInProgress),
            GroupState::Stable => vec![Reply::Sync(
                ticket,
                ErrorCode::None,
                member.assignment.clone(),
            )],
            GroupState::CompletingRebalance => {
                let mut replies = Vec::new();
                // The same member syncing twice: the older request is answered, not dropped.
                if let Some(old) = member.sync_waiting.replace(ticket) {
                    replies.push(Reply::Sync(old, ErrorCode::RebalanceInProgress, vec![]));
                }
                if group.leader_id.as_deref() != Some(member_id) {
                    return replies;
                }
                let mut given: BTreeMap<String, Vec<u8>> = assignments.into_iter().collect();
                for m in group.members.values_mut() {
                    m.assignment = given.remove(&m.member_id).unwrap_or_default();
                    if let Some(t) = m.sync_waiting.take() {
                        replies.push(Reply::Sync(t, ErrorCode::None, m.assignment.clone()));
                    }
                }
                group.state = GroupState::Stable;
                replies
            }
        }
        // END SOLUTION
    }

    /// Heartbeat: "I am alive, and still in generation N". REBALANCE_IN_PROGRESS tells the
    /// member to rejoin.
    pub fn heartbeat(
        &mut self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        group_instance_id: Option<&str>,
        now_ms: i64,
    ) -> ErrorCode {
        let Some(group) = self
            .groups
            .get_mut(group_id)
            .filter(|g| g.state != GroupState::Dead)
        else {
            return ErrorCode::UnknownMemberId;
        };
        if group_instance_id.is_some_and(|i| static_members::is_fenced(group, member_id, i)) {
            return ErrorCode::FencedInstanceId;
        }
        // BEGIN SOLUTION step 4: UnknownMemberId, then note that it is alive; IllegalGeneration; RebalanceInProgress while preparing, so it rejoins
        // ko: UnknownMemberId, 그다음 살아 있음을 적고 IllegalGeneration, 준비 중이면 다시 참여하도록 RebalanceInProgress를 답하세요
        let Some(member) = group.members.get_mut(member_id) else {
            return ErrorCode::UnknownMemberId;
        };
        member.last_seen_ms = now_ms;
        if generation_id != group.generation_id {
            return ErrorCode::IllegalGeneration;
        }
        match group.state {
            GroupState::PreparingRebalance => ErrorCode::RebalanceInProgress,
            _ => ErrorCode::None,
        }
        // END SOLUTION
    }

    /// LeaveGroup: the member goes at once (no waiting for its session to time out), and the
    /// others rebalance to take over its partitions. From v3 a member may be named by its
    /// `group.instance.id` alone (an admin removing a static member, step 8).
    pub fn leave(
        &mut self,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        now_ms: i64,
    ) -> (ErrorCode, Vec<Reply>) {
        let Some(group) = self
            .groups
            .get_mut(group_id)
            .filter(|g| g.state != GroupState::Dead)
        else {
            return (ErrorCode::UnknownMemberId, vec![]);
        };
        let member_id = match group_instance_id {
            Some(instance) => match static_members::leaving_member(group, member_id, instance) {
                Ok(id) => id,
                Err(code) => return (code, vec![]),
            },
            None if group.members.contains_key(member_id) => member_id.to_string(),
            None => return (ErrorCode::UnknownMemberId, vec![]),
        };
        let replies = remove_member(group, &member_id, &self.config, now_ms);
        (ErrorCode::None, replies)
    }

    /// Time passes: members whose session timed out are removed, and a rebalance whose
    /// deadline passed completes without the members that did not rejoin.
    pub fn tick(&mut self, now_ms: i64) -> Vec<Reply> {
        let mut replies = Vec::new();
        let config = self.config.clone();
        for group in self.groups.values_mut() {
            // Pending member ids (MEMBER_ID_REQUIRED, not yet rejoined) are forgotten after the
            // longest session timeout, as Kafka's pending-member heartbeat does.
            group
                .pending_members
                .retain(|_, since| now_ms - *since < i64::from(config.max_session_timeout_ms));
            // Kafka's DelayedHeartbeat: a member's session timer fires once its session timeout
            // has passed since it was last seen. What that means is `expire_sessions` (step 4).
            let due: Vec<String> = group
                .members
                .values()
                .filter(|m| now_ms - m.last_seen_ms >= i64::from(m.session_timeout_ms))
                .map(|m| m.member_id.clone())
                .collect();
            if !due.is_empty() {
                replies.extend(expire_sessions(group, &due, &config, now_ms));
            }
            replies.extend(complete_due_rebalance(group, now_ms));
        }
        replies
    }

    /// Whether an OffsetCommit from this member may be stored: Kafka's checks. While the group
    /// prepares a rebalance a member of the current generation may still commit (consumers
    /// commit what they processed before they rejoin); once the new generation is announced,
    /// not until it has its assignment. A commit with
    /// generation −1 and no member id is a "simple" commit from a consumer that assigns its
    /// partitions itself; it is allowed while the group has no members.
    pub fn check_commit(
        &mut self,
        group_id: &str,
        generation_id: i32,
        member_id: &str,
        group_instance_id: Option<&str>,
        now_ms: i64,
    ) -> ErrorCode {
        if group_id.is_empty() {
            return ErrorCode::InvalidGroupId;
        }
        let group = self
            .groups
            .get(group_id)
            .filter(|g| g.state != GroupState::Dead);
        if group.is_some_and(|g| {
            group_instance_id.is_some_and(|i| static_members::is_fenced(g, member_id, i))
        }) {
            return ErrorCode::FencedInstanceId;
        }
        // BEGIN SOLUTION step 5: simple commits to an empty or unknown group pass; else UnknownMemberId, IllegalGeneration, or RebalanceInProgress while awaiting the assignment
        // ko: 비어 있거나 없는 그룹의 단순 커밋은 통과. 그 밖에는 UnknownMemberId, IllegalGeneration, 할당을 기다리는 중이면 RebalanceInProgress
        match group {
            None if generation_id < 0 && member_id.is_empty() => {
                self.groups
                    .insert(group_id.to_string(), Group::new(group_id));
                ErrorCode::None
            }
            None => ErrorCode::IllegalGeneration,
            Some(g) if generation_id < 0 && member_id.is_empty() => {
                if g.members.is_empty() {
                    ErrorCode::None
                } else {
                    ErrorCode::IllegalGeneration
                }
            }
            Some(g) => {
                if !g.members.contains_key(member_id) {
                    ErrorCode::UnknownMemberId
                } else if generation_id != g.generation_id {
                    ErrorCode::IllegalGeneration
                } else if g.state == GroupState::CompletingRebalance {
                    // The member has its new generation but not yet its partitions.
                    ErrorCode::RebalanceInProgress
                } else {
                    let g = self.groups.get_mut(group_id).expect("found above");
                    if let Some(m) = g.members.get_mut(member_id) {
                        m.last_seen_ms = now_ms;
                    }
                    ErrorCode::None
                }
            }
        }
        // END SOLUTION
    }

    /// Makes sure a group exists (an OffsetFetch or a commit names it) without members.
    pub fn ensure_group(&mut self, group_id: &str) {
        self.groups
            .entry(group_id.to_string())
            .or_insert_with(|| Group::new(group_id));
    }

    /// DeleteGroups: only a group without members (NON_EMPTY_GROUP otherwise).
    pub fn delete(&mut self, group_id: &str) -> ErrorCode {
        match self
            .groups
            .get(group_id)
            .filter(|g| g.state != GroupState::Dead)
        {
            None => ErrorCode::GroupIdNotFound,
            Some(g) if !g.members.is_empty() => ErrorCode::NonEmptyGroup,
            Some(_) => {
                self.groups.remove(group_id);
                ErrorCode::None
            }
        }
    }
}
