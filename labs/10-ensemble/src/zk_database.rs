//! What a server holds: its promised epochs, its log of proposals and the snapshot the log
//! starts after — ZooKeeper's `ZKDatabase` with its `committedLog`, and the files
//! `acceptedEpoch` and `currentEpoch`.
//!
//! The log may end in proposals that were never committed (logged and ACKed, but the leader
//! died before a quorum had them). Nothing is applied until it is known to be committed: by a
//! COMMIT, or by the leader's sync, which says how far this server's log is the ensemble's
//! history. A shortcut: the whole log after the snapshot stays in memory (ZooKeeper keeps the
//! last 500 proposals and reads older ones from the log files).

use std::collections::BTreeMap;

use crate::messages::{SessionId, Snapshot, Txn, OP_CLOSE_SESSION, OP_CREATE_SESSION};
use crate::ready::{Apply, Persist};
use crate::zxid::Zxid;

/// What the data dir held at start: the shell reads it back after a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskState {
    pub accepted_epoch: i64,
    pub current_epoch: i64,
    /// The newest snapshot (the empty tree at zxid 0 when there is none).
    pub snapshot: Snapshot,
    /// The logged transactions after the snapshot, in zxid order.
    pub log: Vec<Txn>,
}

#[derive(Clone, Debug)]
pub struct ZkDatabase {
    pub accepted_epoch: i64,
    pub current_epoch: i64,
    snapshot: Snapshot,
    log: Vec<Txn>,
    /// The last zxid handed to the state machine.
    applied: Zxid,
    /// Session → timeout (ms) of the applied state.
    sessions: BTreeMap<SessionId, i32>,
}

impl ZkDatabase {
    /// After a restart the state machine holds the snapshot only: the logged transactions after
    /// it are applied again once the leader confirms them.
    pub fn restore(disk: DiskState) -> ZkDatabase {
        let mut log = disk.log;
        log.retain(|t| t.zxid() > disk.snapshot.zxid);
        ZkDatabase {
            accepted_epoch: disk.accepted_epoch,
            current_epoch: disk.current_epoch,
            applied: disk.snapshot.zxid,
            sessions: disk.snapshot.sessions.clone(),
            snapshot: disk.snapshot,
            log,
        }
    }

    /// The zxid of the newest logged transaction (the snapshot's when the log is empty).
    pub fn last_logged(&self) -> Zxid {
        self.log.last().map_or(self.snapshot.zxid, Txn::zxid)
    }

    pub fn applied(&self) -> Zxid {
        self.applied
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    pub fn sessions(&self) -> &BTreeMap<SessionId, i32> {
        &self.sessions
    }

    /// How many logged transactions have a zxid at most `zxid` (the log is in zxid order, so
    /// every lookup is a binary search).
    fn count_upto(&self, zxid: Zxid) -> usize {
        self.log.partition_point(|t| t.zxid() <= zxid)
    }

    /// The logged transactions with `after < zxid <= upto`.
    pub fn range(&self, after: Zxid, upto: Zxid) -> impl Iterator<Item = &Txn> {
        let (from, to) = (self.count_upto(after), self.count_upto(upto));
        self.log[from..to.max(from)].iter()
    }

    /// Is `zxid` a point this log passes through: the snapshot's zxid or a logged transaction?
    pub fn has_point(&self, zxid: Zxid) -> bool {
        let i = self.count_upto(zxid);
        zxid == self.snapshot.zxid || (i > 0 && self.log[i - 1].zxid() == zxid)
    }

    /// The newest logged zxid below `zxid` (or the snapshot's).
    pub fn point_before(&self, zxid: Zxid) -> Zxid {
        let i = self.log.partition_point(|t| t.zxid() < zxid);
        match i {
            0 => self.snapshot.zxid,
            _ => self.log[i - 1].zxid(),
        }
    }

    /// The oldest logged zxid above `zxid`.
    pub fn point_after(&self, zxid: Zxid) -> Option<Zxid> {
        self.log.get(self.count_upto(zxid)).map(Txn::zxid)
    }

    pub fn set_accepted_epoch(&mut self, epoch: i64, persist: &mut Vec<Persist>) {
        self.accepted_epoch = epoch;
        persist.push(Persist::AcceptedEpoch(epoch));
    }

    pub fn set_current_epoch(&mut self, epoch: i64, persist: &mut Vec<Persist>) {
        self.current_epoch = epoch;
        persist.push(Persist::CurrentEpoch(epoch));
    }

    pub fn append(&mut self, txn: Txn, persist: &mut Vec<Persist>) {
        self.log.push(txn.clone());
        persist.push(Persist::Append(txn));
    }

    /// Drops the log after `after`. Never below what was applied: that was committed.
    pub fn truncate(&mut self, after: Zxid, persist: &mut Vec<Persist>) {
        let keep = self.count_upto(after);
        self.log.truncate(keep);
        persist.push(Persist::Truncate { after });
    }

    /// SNAP: the image replaces the log and the state.
    pub fn install(&mut self, snap: Snapshot, persist: &mut Vec<Persist>, apply: &mut Vec<Apply>) {
        self.log.clear();
        self.applied = snap.zxid;
        self.sessions = snap.sessions.clone();
        persist.push(Persist::Snapshot(snap.clone()));
        apply.push(Apply::Snapshot(snap.clone()));
        self.snapshot = snap;
    }

    /// Applies the logged transactions up to `upto` that are not applied yet, in zxid order;
    /// returns them.
    pub fn apply_to(&mut self, upto: Zxid, apply: &mut Vec<Apply>) -> Vec<Txn> {
        let done: Vec<Txn> = self.range(self.applied, upto).cloned().collect();
        for t in &done {
            match t.header.kind {
                OP_CREATE_SESSION => {
                    self.sessions
                        .insert(t.header.client_id, create_session_timeout(&t.record));
                }
                OP_CLOSE_SESSION => {
                    self.sessions.remove(&t.header.client_id);
                }
                _ => {}
            }
            self.applied = t.zxid();
            apply.push(Apply::Txn(t.clone()));
        }
        done
    }

    /// The shell took a snapshot of its state at `snap.zxid` (which it has applied): the log
    /// before it is no longer needed, and SNAP syncs send this image.
    pub fn snapshot_taken(&mut self, snap: Snapshot) {
        if snap.zxid > self.applied || snap.zxid < self.snapshot.zxid {
            return;
        }
        let drop = self.count_upto(snap.zxid);
        self.log.drain(..drop);
        self.snapshot = snap;
    }
}

/// `CreateSessionTxn { int timeOut }`: the one record the core reads, because the leader's
/// session tracker needs the timeout.
pub fn create_session_timeout(record: &[u8]) -> i32 {
    match record.get(..4) {
        Some(b) => i32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    }
}
