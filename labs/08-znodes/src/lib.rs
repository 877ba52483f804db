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
//! - `client` — given: a small client, for the shell and the tests.
//! - `config` — given: `zoo.cfg` with ZooKeeper's keys.
//! - `connection` — given: the tokio shell, sessions' expiry timer, four-letter words.
//! - `proto` — given: the request and response records and operation codes.
//! - `server` — given: sessions, zxids and multi around the tree.
//! - `watch` — step 6: one-shot watches and the events a change fires.
//! - `stat` — given: `Stat` and `ACL`, field by field.
//! - `code` — given: ZooKeeper's error codes.
//! - `error` — the one error type.

pub mod client;
pub mod code;
pub mod config;
pub mod connection;
pub mod data_tree;
pub mod error;
pub mod jute;
pub mod proto;
pub mod server;
pub mod stat;
pub mod watch;

pub use code::Code;
pub use data_tree::{CreateMode, DataTree};
pub use error::{Error, Result};
