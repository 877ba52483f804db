//! Step 5: the tokio shell that puts the core on sockets, timers and disk, so that
//! `kafkalab zookeeper-server-start zoo.cfg` with `server.N` lines runs an ensemble member.
//!
//! - `quorum_peer_main` — the main loop: the core, the tree, the data dir. Start reading here.
//! - `client_requests` — a member's clients: sessions, writes and `sync` through the core, reads
//!   from the tree after the session's own writes.
//! - `pending` — the requests a member took and has not answered yet.
//! - `leader_prep` — the leader turns every member's writes into transactions (lab 08's prep).
//! - `roles` — the quorum port, the call to the leader and the client port of each role.
//! - `election_links` — the election port: one connection per pair, the larger sid keeps it.
//! - `quorum_links` — the quorum port: the leader's learner connections, a follower's call.
//! - `convert` — the core's messages as ZooKeeper's packets and back.
//! - `data_dir` — the log, the snapshots and the epoch files of one member.
//! - `snap_image` — the tree as the image a SNAP sync streams, and back.
//! - `servers` — the `server.N` lines; listening sockets.
//! - `client_chain` — lab 08's connections feed the main loop.

pub mod client_chain;
pub mod client_requests;
pub mod convert;
pub mod data_dir;
pub mod election_links;
pub mod leader_prep;
pub mod pending;
pub mod quorum_links;
pub mod quorum_peer_main;
pub mod roles;
pub mod servers;
pub mod snap_image;

pub use quorum_peer_main::run;
