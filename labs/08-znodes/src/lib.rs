//! # Lab 08 — znodes and the ZooKeeper protocol
//!
//! Kafka (up to 3.x) keeps its brokers, controller and topic metadata in ZooKeeper; the slides
//! install it first. This lab builds ZooKeeper's core: the tree of znodes with their `Stat`,
//! spoken over ZooKeeper's own wire format so real clients can use it.
//!
//! # Layout
//! - `jute` — step 1: ZooKeeper's serialization. Start here.
//! - `data_tree` — steps 2–5: paths, create (ephemeral, sequential), delete, setData, sessions
//!   ending.
//! - `watch` — step 6: one-shot watches and the events a change fires.
//! - `acl` — step 7: ACLs — the digest id, the permission check; schemes, `auth` expansion and
//!   which permission each operation needs (given).
//! - `stat` — given: `Stat` and `ACL`, field by field.
//! - `code` — given: ZooKeeper's error codes.
//! - `proto` — given: the request and response records and operation codes.
//! - `packet` — given: length-prefixed packets, reply headers and watch events (server and
//!   client).
//! - `session` — given: the session tracker (ids, timeouts, expiry buckets).
//! - `txn` — given: transactions, and how an operation changes the tree.
//! - The request chain, given, in ZooKeeper's order:
//!   `prep_request_processor` (checks, zxid) → `proposer` (the seam lab 10 fills: durable, then
//!   agreed) → `server` (the committed state; commit and the final answers) — run by
//!   `request_processor` in batches (group commit).
//! - `standalone` — given: the same chain without network or disk, one request at a time (for
//!   tests and tools).
//! - `journal` — given: where transactions are made durable (lab 09 implements it).
//! - `cnxn_factory` — given: the tokio shell: accept loop, `maxClientCnxns`, the expiry tick.
//! - `server_cnxn` — given: one client connection.
//! - `four_letter` — given: `ruok`, `srvr`, `stat`, `mntr`, `conf`.
//! - `config` — given: `zoo.cfg` with ZooKeeper's keys.
//! - `client` — given: a small client, for the shell and the tests.
//! - `error` — the one error type.

pub mod acl;
pub mod client;
pub mod cnxn_factory;
pub mod code;
pub mod config;
pub mod data_tree;
pub mod error;
pub mod four_letter;
pub mod journal;
pub mod jute;
pub mod packet;
pub mod prep_request_processor;
pub mod proposer;
pub mod proto;
pub mod request_processor;
pub mod server;
pub mod server_cnxn;
pub mod session;
pub mod standalone;
pub mod stat;
pub mod txn;
pub mod watch;

pub use code::Code;
pub use data_tree::{CreateMode, DataTree};
pub use error::{Error, Result};
