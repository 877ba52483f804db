//! # Lab 09 — persistence
//!
//! ZooKeeper answers a write only once it is on disk: every transaction is appended to a log
//! and fsynced first, and the whole tree is snapshotted now and then so a restart replays only
//! the log after the newest snapshot. Kill the server at any moment: every acknowledged write
//! is there after the restart.
//!
//! # Layout
//! - `txn_log` — steps 1–2: records with a length and a CRC-32C; reading up to a torn tail.
//! - `snapshot` — step 3: the tree and the sessions at one zxid, written atomically.
//! - `store` — step 4: recovery at start, and the journal every write goes through (a
//!   snapshot after about `snapCount` transactions).
//! - `acl_cache` — given: the ACL lists of a snapshot, each written once and named by number
//!   (ZooKeeper's `ReferenceCountedACLCache`).
//! - `purge` — given: `autopurge`, keeping the newest snapshots and the logs they need.
//! - `error` — the one error type.

pub mod acl_cache;
pub mod error;
pub mod purge;
pub mod snapshot;
pub mod store;
pub mod txn_log;

pub use error::{Error, Result};
