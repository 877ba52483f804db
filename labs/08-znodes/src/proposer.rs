//! The seam between preparing a transaction and committing it: a [`Proposer`] decides when a
//! transaction may be committed.
//!
//! ```text
//! prep ─► Proposer::propose(txns) ─► commit (ZkServer::commit) ─► reply
//! ```
//! Standalone ([`StandaloneProposer`]), a transaction may commit as soon as it is on disk: the
//! journal appends the batch and fsyncs once, and `propose` returns.
//!
//! **Where lab 10 plugs in** (ZooKeeper's ZAB). A *leader*'s proposer sends each transaction to
//! the followers as a PROPOSAL, logs it itself, and waits for a quorum of ACKs (itself included)
//! before it returns; the chain then commits and the leader sends COMMIT for that zxid. A
//! *follower* does not prep: it forwards each write to the leader, logs every PROPOSAL and
//! ACKs it, and applies the transactions with [`crate::server::ZkServer::commit`] when their
//! COMMITs arrive, strictly in zxid order, answering its own clients then. Reads are answered
//! locally from the committed tree in both roles.

use std::future::Future;
use std::pin::Pin;

use crate::journal::Journal;
use crate::server::ZkServer;
use crate::txn::LoggedTxn;

/// A boxed future, so that `Proposer` can be a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait Proposer: Send {
    /// Returns once every one of `txns` (in zxid order) may be committed. An error means the
    /// server cannot go on: nothing of the batch may be answered.
    fn propose<'a>(&'a mut self, txns: &'a [LoggedTxn]) -> BoxFuture<'a, std::io::Result<()>>;

    /// The final stage committed everything up to `server.zxid` (a snapshot may be due).
    fn committed(&mut self, server: &ZkServer, now_ms: i64) -> std::io::Result<()>;
}

/// Standalone mode: commit right after the journal's fsync (or at once, without a journal).
pub struct StandaloneProposer {
    pub journal: Option<Box<dyn Journal>>,
}

impl Proposer for StandaloneProposer {
    fn propose<'a>(&'a mut self, txns: &'a [LoggedTxn]) -> BoxFuture<'a, std::io::Result<()>> {
        // The fsync blocks this task for its duration, which is what group commit wants: the
        // requests that arrive meanwhile wait in the queue and form the next batch.
        let result = match self.journal.as_mut() {
            Some(j) if !txns.is_empty() => j.append(txns),
            _ => Ok(()),
        };
        Box::pin(std::future::ready(result))
    }

    fn committed(&mut self, server: &ZkServer, now_ms: i64) -> std::io::Result<()> {
        match self.journal.as_mut() {
            Some(j) => j.committed(server, now_ms),
            None => Ok(()),
        }
    }
}
