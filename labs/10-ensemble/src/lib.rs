//! # Lab 10 — a three-server ensemble
//!
//! One ZooKeeper server is a single point of failure. An *ensemble* of 3 (or 5) keeps working
//! while any minority is down: the servers elect a leader, the leader orders every write, and
//! a write is done once a quorum has it on disk. This lab writes that protocol — ZooKeeper's
//! own FastLeaderElection and ZAB, message for message — as a pure state machine. The shell
//! that puts it on sockets, timers and disk comes in step 5.
//!
//! # Layout
//! - `peer` — the server: election, then a role, then election again. Start reading here.
//! - `ctx` — given: what the roles share (settings, database, outbox, clock) and `Flow`.
//! - `zxid` — step 1: `epoch << 32 | counter`.
//! - `vote` — step 1: how votes compare (`totalOrderPredicate`) and match (`Vote.equals`).
//! - `quorum_verifier` — step 1: a majority of the voters (`QuorumMaj`).
//! - `fast_leader_election` — step 1: rounds, notifications, the out of election rule.
//! - `leader` — steps 2–4: discovery, establishing, broadcast, syncs, pings, stepping down.
//! - `learner_handler` — step 2: the leader's view of one learner; DIFF, TRUNC or SNAP.
//! - `follower` — steps 2–4: the learner's side: epochs, sync, proposals and commits,
//!   forwarding, touches, timeouts.
//! - `session_tracker` — step 4: the leader's global sessions (touch, expire).
//! - `messages` — given: notifications and quorum packets, as ZooKeeper 3.8 sends them.
//! - `ready` — given: what the shell must persist, send, apply and answer, and in what order.
//! - `zk_database` — given: epochs, the log, the snapshot, what is applied.
//! - `config` — given: `myid`, `server.N`, `tickTime`, `initLimit`, `syncLimit`.
//! - `error` — the one error type.
//! - `wire` — the bytes of ZooKeeper 3.8's election port (3888) and quorum port (2888), as
//!   codecs that never touch a socket. `PROTOCOL.md` tells the handshake as captured from
//!   Debian's ZooKeeper; `tests/data/` holds the captured bytes.

pub mod config;
pub mod ctx;
pub mod error;
pub mod fast_leader_election;
pub mod follower;
pub mod leader;
pub mod learner_handler;
pub mod messages;
pub mod peer;
pub mod quorum_verifier;
pub mod ready;
pub mod session_tracker;
pub mod shell;
pub mod vote;
pub mod wire;
pub mod zk_database;
pub mod zxid;

pub use config::QuorumConfig;
pub use error::{Error, Result};
pub use messages::{Message, Notification, QuorumPacket, ServerState, Sid};
pub use peer::QuorumPeer;
pub use ready::Ready;
pub use zk_database::DiskState;
pub use zxid::Zxid;
