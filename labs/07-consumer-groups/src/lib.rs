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
//! - `coordinator` — steps 1–5: the coordinator's state machine (join, complete the
//!   rebalance, sync, heartbeats and timeouts, commits).
//! - `offsets` — step 6: committed offsets as `__consumer_offsets` records.
//! - `assignor` — step 7: the range assignor the group leader runs.
//! - `consumer_protocol` — given: what consumers put in the group's opaque bytes.
//! - `messages` — given: the ten group APIs' codecs.
//! - `extension` — given: the coordinator plugged into the broker (waiting requests, the
//!   timer, the offsets topic).
//! - `error` — the one error type.

pub mod assignor;
pub mod client;
pub mod consumer_protocol;
pub mod coordinator;
pub mod error;
pub mod extension;
pub mod group;
pub mod messages;
pub mod offsets;

pub use error::{Error, Result};
