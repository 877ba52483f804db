//! # Lab 09 — persistence
//!
//! ZooKeeper answers a write only once it is on disk: every transaction is appended to a log
//! and fsynced first, and the whole tree is snapshotted now and then so a restart replays only
//! the log after the newest snapshot. Kill the server at any moment: every acknowledged write
//! is there after the restart.
//!
//! # Layout
//! Both files are ZooKeeper 3.8's own formats: ZooKeeper reads ours and we read its.
//!
//! - `txn_log` — steps 1–2: ZooKeeper's `FileTxnLog`: records with an Adler-32 checksum and an
//!   end-of-record byte; reading up to a torn tail. Start here.
//! - `txn_record` — given: a transaction as ZooKeeper serializes it (`TxnHeader` + record).
//! - `snapshot` — step 3: ZooKeeper's `FileSnap`: the tree and the sessions at one zxid,
//!   sealed with a checksum, written atomically.
//! - `store` — step 4: recovery at start, and the journal every write goes through (a
//!   snapshot after about `snapCount` transactions).
//! - `acl_cache` — given: the ACL lists of a snapshot, each written once and named by number
//!   (ZooKeeper's `ReferenceCountedACLCache`).
//! - `adler32` — given: the checksum ZooKeeper's files use.
//! - `purge` — given: `autopurge`, keeping the newest snapshots and the logs they need.
//! - `error` — the one error type.

pub mod acl_cache;
pub mod adler32;
pub mod error;
pub mod purge;
pub mod snapshot;
pub mod store;
pub mod txn_log;
pub mod txn_record;

pub use error::{Error, Result};
