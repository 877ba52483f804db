//! One consumer group as the coordinator keeps it: its members, its generation and its state.
//!
//! ```text
//!            join              all members rejoined          leader's SyncGroup
//!   Empty ─────────► PreparingRebalance ─────────► CompletingRebalance ─────────► Stable
//!     ▲                 ▲   (or the rebalance timeout passed)                        │
//!     │                 └────────── join, leave, session timeout ◄──────────────────┘
//!     └── the last member left
//! ```
//! Kafka's `GroupMetadata` and its states, for the classic protocol: members send JoinGroup,
//! the coordinator waits until every known member has rejoined, bumps the generation, picks a
//! leader and a protocol (the assignor), and answers all joins at once. The leader computes the
//! assignment on the client side and sends it in SyncGroup; the coordinator hands each member
//! its share. A generation number fences members that missed a rebalance.

use std::collections::BTreeMap;

/// The id of a request the shell is holding open (a JoinGroup or SyncGroup waiting for the
/// rebalance): the state machine answers it later through a [`crate::coordinator::Reply`].
pub type Ticket = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    /// Deleted; kept only while requests still name it.
    Dead,
}

impl GroupState {
    /// The name Kafka's DescribeGroups and `kafka-consumer-groups` show.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    /// The assignors this member can use, most preferred first, with its subscription
    /// metadata for each (opaque to the coordinator).
    pub protocols: Vec<(String, Vec<u8>)>,
    /// What the leader assigned it in the last SyncGroup (opaque bytes).
    pub assignment: Vec<u8>,
    /// When the coordinator last heard from it.
    pub last_seen_ms: i64,
    /// Its JoinGroup waiting for the rebalance to complete.
    pub join_waiting: Option<Ticket>,
    /// Its SyncGroup waiting for the leader's assignment.
    pub sync_waiting: Option<Ticket>,
}

impl Member {
    /// The metadata this member sent for `protocol`.
    pub fn metadata(&self, protocol: &str) -> Vec<u8> {
        self.protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(name, _)| name == protocol)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub group_id: String,
    pub state: GroupState,
    pub generation_id: i32,
    /// "consumer" for Kafka consumers; every member must use the same.
    pub protocol_type: Option<String>,
    /// The assignor chosen at the last rebalance ("range", "roundrobin", …).
    pub protocol_name: Option<String>,
    pub leader_id: Option<String>,
    pub members: BTreeMap<String, Member>,
    /// Ids handed out with MEMBER_ID_REQUIRED and not yet used to join, with when they were
    /// handed out (forgotten after a session timeout, as Kafka's `pendingMembers`).
    pub pending_members: BTreeMap<String, i64>,
    /// When the current rebalance gives up on members that have not rejoined.
    pub rebalance_deadline_ms: Option<i64>,
    /// The earliest a rebalance of an empty group may complete
    /// (`group.initial.rebalance.delay.ms`: wait for the other members of a starting group).
    pub initial_delay_until_ms: Option<i64>,
}

impl Group {
    pub fn new(group_id: &str) -> Group {
        Group {
            group_id: group_id.to_string(),
            state: GroupState::Empty,
            generation_id: 0,
            protocol_type: None,
            protocol_name: None,
            leader_id: None,
            members: BTreeMap::new(),
            pending_members: BTreeMap::new(),
            rebalance_deadline_ms: None,
            initial_delay_until_ms: None,
        }
    }

    /// The protocols every member supports, in the order of the first member's preference.
    pub fn common_protocols(&self) -> Vec<String> {
        let Some(first) = self.members.values().next() else {
            return vec![];
        };
        first
            .protocols
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| self.members.values().all(|m| m.supports(name)))
            .collect()
    }

    /// Kafka's vote: each member votes for its most preferred protocol among the common ones;
    /// the most votes wins (ties go to the first member's preference).
    pub fn select_protocol(&self) -> Option<String> {
        let candidates = self.common_protocols();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some((name, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(n)) {
                *votes.entry(name).or_default() += 1;
            }
        }
        candidates
            .iter()
            .max_by_key(|c| {
                (
                    votes.get(c.as_str()).copied().unwrap_or(0),
                    std::cmp::Reverse(candidates.iter().position(|x| x == *c)),
                )
            })
            .cloned()
    }

    /// The longest rebalance timeout of the members: how long a rebalance waits for them.
    pub fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }
}
