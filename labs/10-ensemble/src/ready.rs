//! What the core asks its shell to do — raft-rs's `Ready`.
//!
//! The core decides; the shell does. After any `step`, `tick`, `submit` or `propose`, the shell
//! takes a [`Ready`] and handles it **in this order**:
//!
//! 1. `persist`: write every entry, in order, to the data dir and **fsync**;
//! 2. `messages`: send them;
//! 3. `apply`: apply the committed transactions to the tree, in order;
//! 4. `replies`, `to_prep`, `expired`: answer clients, prepare requests, close sessions.
//!
//! *Persist before you send* is ZAB's one ordering rule, and everything rests on it: a
//! follower's ACK says "this proposal is on my disk", so the ACK may leave only after the
//! fsync; a learner's ACK of NEWLEADER says "my log is the leader's history and my current
//! epoch is the new one". If a crash happens in the middle of a Ready, nothing of it was sent,
//! so nobody counted on what was lost. (A real ZooKeeper leader sends a PROPOSAL while its own
//! fsync runs; we keep the one rule for every message.)

use crate::messages::{Message, Request, SessionId, Sid, Snapshot, Txn};
use crate::zxid::Zxid;

/// One change to the data dir (`dataDir/version-2`, `acceptedEpoch`, `currentEpoch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Persist {
    /// Write the file `acceptedEpoch`: the newest epoch this server promised to follow.
    AcceptedEpoch(i64),
    /// Write the file `currentEpoch`: the epoch whose history this server's log now holds.
    CurrentEpoch(i64),
    /// Drop every logged transaction after `after` (TRUNC).
    Truncate { after: Zxid },
    /// Append to the transaction log.
    Append(Txn),
    /// Replace the log with this image (SNAP): write it as a snapshot, forget older logs.
    Snapshot(Snapshot),
}

/// A message for the shell to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub to: Sid,
    pub msg: Message,
}

/// A change to the state machine (the tree), in zxid order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Apply {
    /// A committed transaction.
    Txn(Txn),
    /// Replace the whole state with this image (after SNAP).
    Snapshot(Snapshot),
}

/// The end of a request this server's own client sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientReply {
    /// The write committed as `zxid` and this server has applied it: answer the client now.
    Committed {
        session: SessionId,
        cxid: i32,
        zxid: Zxid,
    },
    /// The `sync` is done: this server has applied everything the leader had committed when
    /// it saw the sync (up to `zxid`).
    Synced {
        session: SessionId,
        cxid: i32,
        zxid: Zxid,
    },
    /// The server stopped serving before the request finished (ZooKeeper closes the
    /// connection: the client sees a connection loss and cannot know whether a write
    /// happened).
    Lost { session: SessionId, cxid: i32 },
}

/// Everything the core wants done since the last `ready()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    pub persist: Vec<Persist>,
    pub messages: Vec<Outgoing>,
    pub apply: Vec<Apply>,
    pub replies: Vec<ClientReply>,
    /// Leader only: write requests (from its clients and forwarded by learners) to turn into
    /// transactions — ZooKeeper's `PrepRequestProcessor`, in the shell — and hand back with
    /// [`crate::peer::QuorumPeer::propose`]. Every one must be proposed, a failed one as an
    /// error transaction, because the server that took the request waits for its zxid.
    pub to_prep: Vec<Request>,
    /// Leader only: sessions that expired; prepare and propose a closeSession for each.
    pub expired: Vec<SessionId>,
}

impl Ready {
    pub fn is_empty(&self) -> bool {
        self.persist.is_empty()
            && self.messages.is_empty()
            && self.apply.is_empty()
            && self.replies.is_empty()
            && self.to_prep.is_empty()
            && self.expired.is_empty()
    }
}
