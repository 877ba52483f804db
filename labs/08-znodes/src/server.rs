//! The server's state: the data tree, the zxid counter and the sessions — a plain struct the
//! tokio shell (`connection.rs`) drives with decoded requests and the time.
//!
//! Every write gets the next **zxid** (ZooKeeper transaction id), even one that fails (ZooKeeper
//! logs an error transaction for it); reads answer with the last zxid, so a client always knows
//! how recent the state it saw is.

use std::collections::BTreeMap;

use crate::code::Code;
use crate::data_tree::{CreateMode, DataTree};
use crate::proto::{ConnectRequest, ConnectResponse, Op, OpResult};
use crate::watch::{Change, EventType, WatchManager};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub passwd: Vec<u8>,
    pub timeout_ms: i32,
    pub last_seen_ms: i64,
}

/// The session-timeout bounds (`minSessionTimeout`, `maxSessionTimeout`; default 2 and 20
/// ticks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub min_ms: i32,
    pub max_ms: i32,
}

/// A transaction the server must make durable before it answers (lab 09 writes them to the
/// transaction log and replays them after a restart). Replaying the same transactions, with
/// their zxids and times, rebuilds exactly the same tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Txn {
    CreateSession {
        session: i64,
        passwd: Vec<u8>,
        timeout_ms: i32,
    },
    CloseSession {
        session: i64,
    },
    /// A write request, replayed as it was applied.
    Request {
        session: i64,
        op: Op,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedTxn {
    pub zxid: i64,
    pub time_ms: i64,
    pub txn: Txn,
}

#[derive(Debug)]
pub struct ZkServer {
    pub tree: DataTree,
    /// The zxid of the last write.
    pub zxid: i64,
    pub sessions: BTreeMap<i64, Session>,
    limits: SessionLimits,
    next_session: i64,
    /// Transactions applied since the shell last took them, oldest first.
    pending: Vec<LoggedTxn>,
    pub watches: WatchManager,
    /// Watch events to send, in the order the changes happened: (session, type, path).
    notifications: Vec<(i64, EventType, String)>,
}

impl ZkServer {
    /// `myid` goes into the top byte of session ids, so two servers never hand out the same.
    pub fn new(limits: SessionLimits, myid: i64, now_ms: i64) -> ZkServer {
        ZkServer {
            tree: DataTree::new(),
            zxid: 0,
            sessions: BTreeMap::new(),
            limits,
            pending: Vec::new(),
            watches: WatchManager::default(),
            notifications: Vec::new(),
            // ZooKeeper's SessionTrackerImpl.initializeNextSessionId.
            next_session: (((now_ms << 24) as u64 >> 8) as i64) | (myid << 56),
        }
    }

    /// The connect handshake: a new session (session id 0), or the same session again after a
    /// reconnect if its password matches and it has not expired. An answer with timeout 0
    /// tells the client its session is gone (expired).
    pub fn connect(&mut self, request: &ConnectRequest, now_ms: i64) -> ConnectResponse {
        let expired = ConnectResponse {
            protocol_version: 0,
            time_out: 0,
            session_id: 0,
            passwd: vec![0; 16],
        };
        if request.session_id != 0 {
            return match self.sessions.get_mut(&request.session_id) {
                Some(s) if s.passwd == request.passwd => {
                    s.last_seen_ms = now_ms;
                    ConnectResponse {
                        protocol_version: 0,
                        time_out: s.timeout_ms,
                        session_id: s.id,
                        passwd: s.passwd.clone(),
                    }
                }
                _ => expired,
            };
        }
        let timeout = request
            .time_out
            .clamp(self.limits.min_ms, self.limits.max_ms);
        // Creating a session is a transaction in ZooKeeper: it takes a zxid.
        self.zxid += 1;
        self.next_session += 1;
        let id = self.next_session;
        // The password proves a reconnecting client owns the session: unguessable bytes.
        let passwd: Vec<u8> = (0..16)
            .map(|i| {
                ((id.wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as i64) >> (i * 4)) as u8)
                    ^ (now_ms as u8).rotate_left(i)
            })
            .collect();
        self.sessions.insert(
            id,
            Session {
                id,
                passwd: passwd.clone(),
                timeout_ms: timeout,
                last_seen_ms: now_ms,
            },
        );
        self.pending.push(LoggedTxn {
            zxid: self.zxid,
            time_ms: now_ms,
            txn: Txn::CreateSession {
                session: id,
                passwd: passwd.clone(),
                timeout_ms: timeout,
            },
        });
        ConnectResponse {
            protocol_version: 0,
            time_out: timeout,
            session_id: id,
            passwd,
        }
    }

    /// Notes that a session's client is alive (any request, a ping).
    pub fn touch(&mut self, session: i64, now_ms: i64) -> bool {
        match self.sessions.get_mut(&session) {
            Some(s) => {
                s.last_seen_ms = now_ms;
                true
            }
            None => false,
        }
    }

    /// Ends a session: its ephemeral nodes go, in one transaction.
    pub fn close_session(&mut self, session: i64) -> Vec<String> {
        self.close_session_at(session, 0)
    }

    fn close_session_at(&mut self, session: i64, now_ms: i64) -> Vec<String> {
        if self.sessions.remove(&session).is_none() {
            return vec![];
        }
        self.zxid += 1;
        self.pending.push(LoggedTxn {
            zxid: self.zxid,
            time_ms: now_ms,
            txn: Txn::CloseSession { session },
        });
        self.watches.remove_session(session);
        let deleted = self.tree.kill_session(session, self.zxid);
        // Other sessions watching the ephemeral nodes hear that they are gone.
        for path in &deleted {
            let events = self.watches.trigger(&Change::Deleted(path.clone()));
            self.notifications.extend(events);
        }
        deleted
    }

    /// The watch events since the last call, in order.
    pub fn take_notifications(&mut self) -> Vec<(i64, EventType, String)> {
        std::mem::take(&mut self.notifications)
    }

    /// Sessions silent for longer than their timeout: closed. Returns their ids.
    pub fn expire(&mut self, now_ms: i64) -> Vec<i64> {
        let expired: Vec<i64> = self
            .sessions
            .values()
            .filter(|s| now_ms - s.last_seen_ms > i64::from(s.timeout_ms))
            .map(|s| s.id)
            .collect();
        for id in &expired {
            tracing::info!(session = format!("0x{id:x}"), "session expired");
            self.close_session_at(*id, now_ms);
        }
        expired
    }

    /// The transactions applied since the last call: what must be made durable before any
    /// answer that depends on them goes out.
    pub fn take_pending(&mut self) -> Vec<LoggedTxn> {
        std::mem::take(&mut self.pending)
    }

    /// Applies a transaction from the log again, after a restart (see [`Txn`]).
    pub fn replay(&mut self, logged: &LoggedTxn) {
        match &logged.txn {
            Txn::CreateSession {
                session,
                passwd,
                timeout_ms,
            } => {
                self.zxid = logged.zxid;
                self.next_session = self.next_session.max(*session);
                self.sessions.insert(
                    *session,
                    Session {
                        id: *session,
                        passwd: passwd.clone(),
                        timeout_ms: *timeout_ms,
                        last_seen_ms: logged.time_ms,
                    },
                );
            }
            Txn::CloseSession { session } => {
                self.zxid = logged.zxid - 1;
                self.close_session_at(*session, logged.time_ms);
            }
            Txn::Request { session, op } => {
                self.zxid = logged.zxid - 1;
                let _ = self.apply(*session, op, logged.time_ms);
            }
        }
        self.pending.clear();
    }

    /// Every restored session gets a fresh timeout from `now_ms`: its client has that long to
    /// reconnect after the server's restart (as ZooKeeper does).
    pub fn restart_session_clocks(&mut self, now_ms: i64) {
        for s in self.sessions.values_mut() {
            s.last_seen_ms = now_ms;
        }
    }

    /// The server rebuilt from a snapshot: tree, sessions and the zxid it was taken at.
    pub fn restore(&mut self, tree: DataTree, sessions: Vec<Session>, zxid: i64) {
        self.tree = tree;
        self.zxid = zxid;
        for s in sessions {
            self.next_session = self.next_session.max(s.id);
            self.sessions.insert(s.id, s);
        }
    }

    /// Applies one operation for `session` at `now_ms`: the zxid to put in the reply header and
    /// the result or ZooKeeper's error code.
    pub fn apply(&mut self, session: i64, op: &Op, now_ms: i64) -> (i64, Result<OpResult, Code>) {
        if op.is_write() {
            self.zxid += 1;
        }
        let zxid = self.zxid;
        let mut changes = Vec::new();
        let result = match op {
            Op::Multi(ops) => Ok(self.multi(session, ops, zxid, now_ms, &mut changes)),
            Op::CloseSession => {
                self.zxid -= 1; // close_session takes its own zxid
                self.close_session_at(session, now_ms);
                return (self.zxid, Ok(OpResult::Empty));
            }
            Op::SetWatches {
                relative_zxid,
                data,
                exist,
                child,
            } => {
                self.set_watches(session, *relative_zxid, data, exist, child);
                Ok(OpResult::Empty)
            }
            other => apply_one(&mut self.tree, session, other, zxid, now_ms, &mut changes),
        };
        // Reads with watch = true leave a watch; existing one even on a missing node.
        match (op, &result) {
            (Op::GetData { path, watch: true }, Ok(_))
            | (Op::Exists { path, watch: true }, Ok(_)) => {
                self.watches.add_data_watch(path, session)
            }
            (Op::Exists { path, watch: true }, Err(Code::NoNode)) => {
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
        for change in &changes {
            let events = self.watches.trigger(change);
            self.notifications.extend(events);
        }
        if op.is_write() {
            self.pending.push(LoggedTxn {
                zxid,
                time_ms: now_ms,
                txn: Txn::Request {
                    session,
                    op: op.clone(),
                },
            });
        }
        (self.zxid, result)
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

    /// A multi is all or nothing: the ops run on a copy of the tree, which replaces the tree
    /// only if every op succeeded. On failure, ops before the failing one report OK (0), the
    /// failing one its error, the ones after RUNTIMEINCONSISTENCY — as ZooKeeper reports.
    fn multi(
        &mut self,
        session: i64,
        ops: &[Op],
        zxid: i64,
        now_ms: i64,
        changes: &mut Vec<Change>,
    ) -> OpResult {
        let mut copy = self.tree.clone();
        let mut results = Vec::with_capacity(ops.len());
        let mut failed = None;
        let mut multi_changes = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            match apply_one(&mut copy, session, op, zxid, now_ms, &mut multi_changes) {
                Ok(r) => results.push((op.code(), Ok(r))),
                Err(code) => {
                    failed = Some((index, code));
                    break;
                }
            }
        }
        match failed {
            None => {
                self.tree = copy;
                changes.extend(multi_changes);
                OpResult::Multi(results)
            }
            Some((at, code)) => OpResult::Multi(
                (0..ops.len())
                    .map(|i| {
                        let err = match i.cmp(&at) {
                            std::cmp::Ordering::Less => Code::Ok,
                            std::cmp::Ordering::Equal => code,
                            std::cmp::Ordering::Greater => Code::RuntimeInconsistency,
                        };
                        (crate::proto::op::ERROR, Err(err.code()))
                    })
                    .collect(),
            ),
        }
    }
}

/// One (non-multi) operation on `tree`.
fn apply_one(
    tree: &mut DataTree,
    session: i64,
    op: &Op,
    zxid: i64,
    now_ms: i64,
    changes: &mut Vec<Change>,
) -> Result<OpResult, Code> {
    match op {
        Op::Create {
            path,
            data,
            acl,
            flags,
            with_stat,
        } => {
            let mode = CreateMode::from_flags(*flags).ok_or(Code::BadArguments)?;
            let created = tree.create(path, data, acl, mode, session, zxid, now_ms)?;
            changes.push(Change::Created(created.clone()));
            Ok(if *with_stat {
                let stat = tree.stat(&created)?;
                OpResult::PathStat(created, stat)
            } else {
                OpResult::Path(created)
            })
        }
        Op::Delete { path, version } => {
            tree.delete(path, *version, zxid)?;
            changes.push(Change::Deleted(path.clone()));
            Ok(OpResult::Empty)
        }
        Op::Exists { path, .. } => tree.stat(path).map(OpResult::Stat),
        Op::GetData { path, .. } => tree.get_data(path).map(|(d, s)| OpResult::Data(d, s)),
        Op::SetData {
            path,
            data,
            version,
        } => {
            let stat = tree.set_data(path, data, *version, zxid, now_ms)?;
            changes.push(Change::DataChanged(path.clone()));
            Ok(OpResult::Stat(stat))
        }
        Op::GetAcl { path } => tree.get_acl(path).map(|(a, s)| OpResult::Acl(a, s)),
        Op::SetAcl { path, acl, version } => tree.set_acl(path, acl, *version).map(OpResult::Stat),
        Op::GetChildren {
            path, with_stat, ..
        } => tree.get_children(path).map(|(c, s)| {
            if *with_stat {
                OpResult::ChildrenStat(c, s)
            } else {
                OpResult::Children(c)
            }
        }),
        Op::Sync { path } => Ok(OpResult::Path(path.clone())),
        Op::Check { path, version } => tree.check_version(path, *version).map(|()| OpResult::Empty),
        Op::GetAllChildrenNumber { path } => {
            tree.stat(path)?;
            let prefix = if path == "/" {
                "/".to_string()
            } else {
                format!("{path}/")
            };
            Ok(OpResult::Number(
                tree.nodes()
                    .filter(|(p, _)| p.starts_with(&prefix) && *p != path)
                    .count() as i32,
            ))
        }
        Op::SetWatches { .. } | Op::Ping => Ok(OpResult::Empty),
        Op::Multi(_) | Op::CloseSession => Err(Code::BadArguments),
    }
}
