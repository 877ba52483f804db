//! # Lab 07 — consumer groups
//!
//! Many consumers share a topic: each partition is read by one member of the group, and the
//! group's progress is kept as committed offsets, so a consumer that restarts goes on where the
//! group left off. This lab adds Kafka's group coordinator to the broker, stores committed
//! offsets in the internal `__consumer_offsets` topic on lab 03's log, and gives our consumer
//! a group membership.
//!
//! # Layout
//! - `group` — given: one group, its members and states. Read first.
//! - `coordinator` — steps 1, 3, 4 and 5: the coordinator's state machine, one method per
//!   request (join, sync, heartbeat, leave, commit) and `tick` for time.
//! - `rebalance` — steps 2 and 4: starting and completing a rebalance, expiring silent
//!   members.
//! - `offsets` — step 6: committed offsets as `__consumer_offsets` records.
//! - `assignor` — step 7: the range assignor the group leader runs.
//! - `static_members` — step 8: static membership (KIP-345): a member with a
//!   `group.instance.id` that restarts gets its assignment back without a rebalance.
//! - `coordinator_config` — given: the coordinator's `group.*` keys.
//! - `group_metadata_manager` — given: the `__consumer_offsets` topic — replayed at start
//!   (and, in a cluster, when this broker becomes a partition's leader), appended to before a
//!   commit is acknowledged, tombstones for a deleted group.
//! - `transactional_offsets` — given: offsets committed inside a producer's transaction,
//!   pending in `__consumer_offsets` until the transaction's marker.
//! - `messages` — given: one file per group API (FindCoordinator, JoinGroup, SyncGroup,
//!   Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups,
//!   DeleteGroups), each its codec and its `handle`.
//! - `service` — given: the ten APIs registered on lab 05's router, waiting requests and the
//!   coordinator's clock.
//! - `consumer_protocol` — given: what consumers put in the group's opaque bytes.
//! - `client` — given: our group consumer (JoinGroup, SyncGroup, heartbeats, commits).
//! - `error` — the one error type.

pub mod assignor;
pub mod client;
pub mod consumer_protocol;
pub mod coordinator;
pub mod coordinator_config;
pub mod error;
pub mod group;
pub mod group_metadata_manager;
pub mod messages;
pub mod offsets;
pub mod rebalance;
pub mod service;
pub mod static_members;
pub mod transactional_offsets;

pub use error::{Error, Result};
pub use service::GroupService;
