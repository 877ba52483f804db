//! The committed state — the data tree, the last committed zxid, the sessions and the watches
//! (ZooKeeper's `ZKDatabase`) — and the last stage of the request chain, which changes it
//! (`FinalRequestProcessor`): [`ZkServer::commit`] applies a transaction, [`ZkServer::read`]
//! answers a read from the committed tree. Both collect the watch events the change fires, in
//! order, for the shell to send before the answer.
//!
//! The stages before this one live in `prep_request_processor.rs` (checks, zxid) and
//! `proposer.rs` (durable, and in lab 10 agreed by a quorum); `request_processor.rs` runs the
//! chain. Replaying a logged transaction after a restart is the same `commit`.

use crate::acl::Id;
use crate::code::Code;
use crate::data_tree::DataTree;
use crate::proto::{ConnectResponse, Op, OpResult};
use crate::session::{session_passwd, Session, SessionLimits, SessionTracker};
use crate::txn::{apply_op, apply_op_as, LoggedTxn, Txn};
use crate::watch::{Change, EventType, WatchManager};

#[derive(Debug)]
pub struct ZkServer {
    pub tree: DataTree,
    /// The zxid of the last committed transaction.
    pub zxid: i64,
    pub sessions: SessionTracker,
    pub watches: WatchManager,
    /// Watch events to send, in the order the changes happened: (session, type, path).
    notifications: Vec<(i64, EventType, String)>,
}

/// ZooKeeper's answer to a connect for a session that is gone: timeout 0.
pub fn session_expired_response() -> ConnectResponse {
    ConnectResponse {
        protocol_version: 0,
        time_out: 0,
        session_id: 0,
        passwd: vec![0; 16],
    }
}

impl ZkServer {
    /// An empty server. `myid` goes into the top byte of session ids; deadlines are rounded up
    /// to `tickTime` (the default 2,000 ms here; see [`ZkServer::with_tick`]).
    pub fn new(limits: SessionLimits, myid: i64, now_ms: i64) -> ZkServer {
        ZkServer::with_tick(limits, myid, now_ms, 2_000)
    }

    /// An empty server whose session deadlines are rounded up to `tick_ms`.
    pub fn with_tick(limits: SessionLimits, myid: i64, now_ms: i64, tick_ms: i64) -> ZkServer {
        ZkServer {
            tree: DataTree::new(),
            zxid: 0,
            sessions: SessionTracker::new(limits, myid, now_ms, tick_ms),
            watches: WatchManager::default(),
            notifications: Vec::new(),
        }
    }

    /// Applies a committed transaction, in zxid order: the answer for the client that sent it.
    pub fn commit(&mut self, logged: &LoggedTxn) -> Result<OpResult, Code> {
        self.zxid = logged.zxid;
        match &logged.txn {
            Txn::CreateSession {
                session,
                timeout_ms,
            } => {
                self.sessions.add(Session {
                    id: *session,
                    passwd: session_passwd(*session),
                    timeout_ms: *timeout_ms,
                    last_seen_ms: logged.time_ms,
                });
                Ok(OpResult::Empty)
            }
            Txn::CloseSession { session, .. } => {
                self.close_session(*session, logged.zxid);
                Ok(OpResult::Empty)
            }
            Txn::Request { session, op, .. } => {
                let mut changes = Vec::new();
                let result = apply_op(
                    &mut self.tree,
                    *session,
                    op,
                    logged.zxid,
                    logged.time_ms,
                    &mut changes,
                );
                self.fire(&changes);
                result
            }
            Txn::Error { code, .. } => Err(*code),
            Txn::MultiError { codes, .. } => Ok(OpResult::Multi(
                codes
                    .iter()
                    .map(|c| (crate::proto::op::ERROR, Err(*c)))
                    .collect(),
            )),
        }
    }

    /// Answers a read (or setWatches) of a connection with ids `auth` from the committed tree,
    /// after its ACL check (READ; getACL READ or ADMIN); a read with `watch = true` leaves a
    /// watch — an `exists` watch even on a missing node.
    pub fn read(&mut self, session: i64, auth: &[Id], op: &Op) -> Result<OpResult, Code> {
        if let Op::SetWatches {
            relative_zxid,
            data,
            exist,
            child,
        } = op
        {
            self.set_watches(session, *relative_zxid, data, exist, child);
            return Ok(OpResult::Empty);
        }
        let result = apply_op_as(
            &mut self.tree,
            session,
            Some(auth),
            op,
            self.zxid,
            0,
            &mut Vec::new(),
        );
        match (op, &result) {
            (Op::GetData { path, watch: true }, Ok(_))
            | (Op::Exists { path, watch: true }, Ok(_))
            | (Op::Exists { path, watch: true }, Err(Code::NoNode)) => {
                self.watches.add_data_watch(path, session)
            }
            (
                Op::GetChildren {
                    path, watch: true, ..
                },
                Ok(_),
            ) => self.watches.add_child_watch(path, session),
            _ => {}
        }
        result
    }

    /// The watch events since the last call, in order.
    pub fn take_notifications(&mut self) -> Vec<(i64, EventType, String)> {
        std::mem::take(&mut self.notifications)
    }

    /// Applies a transaction from the log again, after a restart. Nobody is connected yet, so
    /// no watch fires.
    pub fn replay(&mut self, logged: &LoggedTxn) {
        let _ = self.commit(logged);
        self.notifications.clear();
    }

    /// Every restored session gets a fresh timeout from `now_ms`: its client has that long to
    /// reconnect after the server's restart (as ZooKeeper does).
    pub fn restart_session_clocks(&mut self, now_ms: i64) {
        self.sessions.restart_clocks(now_ms);
    }

    /// The server rebuilt from a snapshot: tree, sessions and the zxid it was taken at.
    pub fn restore(&mut self, tree: DataTree, sessions: Vec<Session>, zxid: i64) {
        self.tree = tree;
        self.zxid = zxid;
        for s in sessions {
            self.sessions.add(s);
        }
    }

    /// Ends a session: its watches, then its ephemeral nodes, whose watchers hear they are gone.
    fn close_session(&mut self, session: i64, zxid: i64) {
        if self.sessions.remove(session).is_none() {
            return;
        }
        self.watches.remove_session(session);
        let deleted = self.tree.kill_session(session, zxid);
        let changes: Vec<Change> = deleted.into_iter().map(Change::Deleted).collect();
        self.fire(&changes);
    }

    fn fire(&mut self, changes: &[Change]) {
        for change in changes {
            let events = self.watches.trigger(change);
            self.notifications.extend(events);
        }
    }

    /// setWatches after a reconnect: what changed since `relative_zxid` fires at once, the
    /// rest is watched again (ZooKeeper's `DataTree.setWatches`).
    fn set_watches(
        &mut self,
        session: i64,
        relative_zxid: i64,
        data: &[String],
        exist: &[String],
        child: &[String],
    ) {
        for path in data {
            match self.tree.stat(path) {
                Err(_) => self
                    .notifications
                    .push((session, EventType::NodeDeleted, path.clone())),
                Ok(s) if s.mzxid > relative_zxid => {
                    self.notifications
                        .push((session, EventType::NodeDataChanged, path.clone()))
                }
                Ok(_) => self.watches.add_data_watch(path, session),
            }
        }
        for path in exist {
            match self.tree.stat(path) {
                Ok(_) => self
                    .notifications
                    .push((session, EventType::NodeCreated, path.clone())),
                Err(_) => self.watches.add_data_watch(path, session),
            }
        }
        for path in child {
            match self.tree.stat(path) {
                Err(_) => self
                    .notifications
                    .push((session, EventType::NodeDeleted, path.clone())),
                Ok(s) if s.pzxid > relative_zxid => {
                    self.notifications
                        .push((session, EventType::NodeChildrenChanged, path.clone()))
                }
                Ok(_) => self.watches.add_child_watch(path, session),
            }
        }
    }
}
