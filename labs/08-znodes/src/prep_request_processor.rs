//! The first stage of the request chain — ZooKeeper's `PrepRequestProcessor`: it turns a
//! request into a transaction. It checks the session, checks the write against the tree *as it
//! will be once every outstanding transaction has committed*, and gives the write the next
//! zxid. A write that breaks a rule (no such node, bad version, …) still becomes a transaction
//! — an error transaction, with its zxid — as in ZooKeeper.
//!
//! ```text
//!  request ─► prep (here) ─► proposer (durable; lab 10: quorum) ─► commit/final ─► reply
//!              zxid 41          log.29 … fsync                       tree changes
//!              zxid 42          (still outstanding)
//! ```
//! Why "outstanding": between prep and commit a transaction is not in the committed tree yet
//! (it waits for its fsync, in lab 10 for a quorum's acknowledgements), but the next request
//! must be checked as if it were: `create /a` then `create /a/b` in one batch must both
//! succeed, and two `create /q/s-` must get different sequence numbers. ZooKeeper keeps a
//! `ChangeRecord` per path touched by an outstanding transaction (`outstandingChanges`) and
//! looks there before the tree. A teaching shortcut: we keep a second copy of the tree that
//! runs ahead of the committed one by exactly the outstanding transactions — more memory, but
//! the prep stage then checks with the very `DataTree` rules of steps 2–5.
//!
//! Reads are not transactions: they pass through, in order, and are answered from the
//! committed tree by the final stage.

use std::collections::{HashMap, VecDeque};

use crate::acl::{fixed_op, Id};
use crate::code::Code;
use crate::data_tree::{parent_of, DataTree};
use crate::proto::{ConnectRequest, ConnectResponse, Op, OpResult};
use crate::server::{session_expired_response, ZkServer};
use crate::session::SessionTracker;
use crate::txn::{apply_op_as, resolve, LoggedTxn, Txn};

/// What reaches the prep stage.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// A connect handshake: a new session (id 0) or a reconnect.
    Connect(&'a ConnectRequest),
    /// An operation of an established session, with the ids of the connection that sent it
    /// (`ip:<address>`, and what its auth packets added).
    Op {
        session: i64,
        op: &'a Op,
        auth: &'a [Id],
    },
    /// The session tracker found `session` silent past its timeout.
    Expire { session: i64 },
    /// A session another server of the ensemble opened for its client (lab 10: a follower
    /// chooses the id, the leader makes the transaction).
    CreateSession { session: i64, timeout_ms: i32 },
}

/// What the prep stage made of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepped {
    /// A transaction: propose it, then commit it; its answer comes from the commit.
    Txn(LoggedTxn),
    /// A read: answered from the committed tree, after the transactions before it commit.
    Read,
    /// Answered without the tree: a ping, or SESSIONEXPIRED.
    Answer(Result<OpResult, Code>),
    /// A reconnect to an existing session, or the refusal of one (timeout 0).
    Connected(ConnectResponse),
    /// Nothing to do (an expiry of a session that is already gone).
    Nothing,
}

#[derive(Debug)]
pub struct PrepRequestProcessor {
    /// The committed tree plus every outstanding transaction.
    tree: DataTree,
    /// The zxid of the last transaction prepared.
    zxid: i64,
    /// The zxids prepared and not yet committed, oldest first.
    outstanding: VecDeque<i64>,
}

impl PrepRequestProcessor {
    /// A prep stage in step with `server`'s committed state (at start, after recovery; in lab
    /// 10, whenever a server becomes leader).
    pub fn new(server: &ZkServer) -> PrepRequestProcessor {
        PrepRequestProcessor {
            tree: server.tree.clone(),
            zxid: server.zxid,
            outstanding: VecDeque::new(),
        }
    }

    /// The zxid of the last transaction prepared.
    pub fn last_zxid(&self) -> i64 {
        self.zxid
    }

    /// Starts numbering after `zxid` (lab 10: a new leader's first zxid is its epoch's first).
    pub fn set_last_zxid(&mut self, zxid: i64) {
        self.zxid = zxid;
    }

    /// An error transaction for a request that could not be prepared (lab 10: a leader must
    /// give every forwarded request a zxid, because the server that took it waits for one).
    pub fn error_txn(&mut self, session: i64, code: Code, now_ms: i64) -> LoggedTxn {
        match self.txn(now_ms, Txn::Error { session, code }) {
            Prepped::Txn(t) => t,
            _ => unreachable!("txn() always makes a transaction"),
        }
    }

    /// How many prepared transactions have not committed yet.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// The final stage committed every transaction up to `zxid`: they are no longer
    /// outstanding.
    pub fn committed(&mut self, zxid: i64) {
        while self.outstanding.front().is_some_and(|z| *z <= zxid) {
            self.outstanding.pop_front();
        }
    }

    /// Prepares one request at `now_ms`. `sessions` is the server's session tracker: prep
    /// touches the session, and marks it closing for a closeSession.
    pub fn prep(
        &mut self,
        sessions: &mut SessionTracker,
        request: Request<'_>,
        now_ms: i64,
    ) -> Prepped {
        match request {
            Request::Connect(connect) => self.connect(sessions, connect, now_ms),
            Request::Expire { session } => {
                // Marked closing by `SessionTracker::expire_due`; gone if it closed meanwhile.
                if !sessions.contains_key(&session) {
                    return Prepped::Nothing;
                }
                tracing::info!(session = format!("0x{session:x}"), "session expired");
                self.close(session, now_ms)
            }
            Request::CreateSession {
                session,
                timeout_ms,
            } => {
                if sessions.contains_key(&session) {
                    return Prepped::Nothing;
                }
                self.txn(
                    now_ms,
                    Txn::CreateSession {
                        session,
                        timeout_ms: sessions.negotiate_timeout(timeout_ms),
                    },
                )
            }
            Request::Op { session, op, auth } => {
                if !sessions.touch(session, now_ms) {
                    return Prepped::Answer(Err(Code::SessionExpired));
                }
                match op {
                    Op::Ping => Prepped::Answer(Ok(OpResult::Empty)),
                    Op::CloseSession => {
                        sessions.set_closing(session);
                        self.close(session, now_ms)
                    }
                    op if op.is_write() => self.write(session, op, auth, now_ms),
                    _ => Prepped::Read,
                }
            }
        }
    }

    /// A new session is a transaction (`createSession`); a reconnect only revalidates the
    /// session: its password must match and it must not be closing.
    fn connect(
        &mut self,
        sessions: &mut SessionTracker,
        request: &ConnectRequest,
        now_ms: i64,
    ) -> Prepped {
        if request.session_id != 0 {
            let id = request.session_id;
            let known = sessions
                .get(id)
                .filter(|s| s.passwd == request.passwd && !sessions.is_closing(id))
                .map(|s| (s.timeout_ms, s.passwd.clone()));
            return Prepped::Connected(match known {
                Some((timeout, passwd)) if sessions.touch(id, now_ms) => ConnectResponse {
                    protocol_version: 0,
                    time_out: timeout,
                    session_id: id,
                    passwd,
                },
                _ => session_expired_response(),
            });
        }
        let timeout_ms = sessions.negotiate_timeout(request.time_out);
        let (session, _passwd) = sessions.next_id();
        self.txn(
            now_ms,
            Txn::CreateSession {
                session,
                timeout_ms,
            },
        )
    }

    fn close(&mut self, session: i64, now_ms: i64) -> Prepped {
        let zxid = self.zxid + 1;
        let ephemerals = self.tree.kill_session(session, zxid);
        self.txn(
            now_ms,
            Txn::CloseSession {
                session,
                ephemerals,
            },
        )
    }

    /// A write: its ACLs checked (step 7), then applied to the tree-plus-outstanding; what it
    /// did decides the transaction. The logged op is resolved as ZooKeeper logs it
    /// ([`resolve`]: the sequential name chosen, the exact versions) and holds the ACL lists as
    /// they will be stored (`auth` expanded), so that a replay needs no connection and no
    /// choice.
    fn write(&mut self, session: i64, op: &Op, auth: &[Id], now_ms: i64) -> Prepped {
        let zxid = self.zxid + 1;
        let before = Before::of(&self.tree, op);
        let outcome = apply_op_as(
            &mut self.tree,
            session,
            Some(auth),
            op,
            zxid,
            now_ms,
            &mut Vec::new(),
        );
        let txn = match outcome {
            Err(code) => Txn::Error { session, code },
            Ok(OpResult::Multi(results)) if results.iter().any(|(_, r)| r.is_err()) => {
                Txn::MultiError {
                    session,
                    codes: results
                        .iter()
                        .map(|(_, r)| r.as_ref().err().copied().unwrap_or(0))
                        .collect(),
                }
            }
            Ok(result) => {
                let (check_versions, parent_cversions) = before.walk(op, &result);
                Txn::Request {
                    session,
                    op: resolve(&fixed_op(op, auth), &result, &mut check_versions.iter()),
                    parent_cversions,
                }
            }
        };
        self.txn(now_ms, txn)
    }

    fn txn(&mut self, now_ms: i64, txn: Txn) -> Prepped {
        self.zxid += 1;
        self.outstanding.push_back(self.zxid);
        Prepped::Txn(LoggedTxn {
            zxid: self.zxid,
            cxid: 0,
            time_ms: now_ms,
            txn,
        })
    }
}

/// What resolving a write needs from the tree as it was before the write ran: the version of
/// each node a `check` names, and each create's parent's count of creates (a multi can change
/// both before its later ops run, so [`Before::walk`] replays the ops' effects in order).
struct Before {
    versions: HashMap<String, i32>,
    creates: HashMap<String, i32>,
}

impl Before {
    fn of(tree: &DataTree, op: &Op) -> Before {
        let mut b = Before {
            versions: HashMap::new(),
            creates: HashMap::new(),
        };
        for op in flat(op) {
            match op {
                Op::Check { path, .. } => {
                    if let Some(node) = tree.node(path) {
                        b.versions.insert(path.clone(), node.stat.version);
                    }
                }
                Op::Create { path, .. } => {
                    let parent = parent_of(path);
                    if let Some(node) = tree.node(parent) {
                        b.creates.insert(parent.to_string(), node.creates());
                    }
                }
                _ => {}
            }
        }
        b
    }

    /// For a write that succeeded with `result`: each check's version as it ran, and each
    /// create's parent's count of creates once it was made, in op order.
    fn walk(mut self, op: &Op, result: &OpResult) -> (Vec<i32>, Vec<i32>) {
        let results: Vec<&OpResult> = match result {
            OpResult::Multi(rs) => rs.iter().filter_map(|(_, r)| r.as_ref().ok()).collect(),
            r => vec![r],
        };
        let (mut checks, mut parents) = (Vec::new(), Vec::new());
        for (op, result) in flat(op).into_iter().zip(results) {
            match (op, result) {
                (Op::Create { .. }, OpResult::Path(made) | OpResult::PathStat(made, _)) => {
                    self.versions.insert(made.clone(), 0);
                    let count = self.creates.entry(parent_of(made).to_string()).or_insert(0);
                    *count += 1;
                    parents.push(*count);
                }
                (Op::SetData { path, .. }, OpResult::Stat(stat)) => {
                    self.versions.insert(path.clone(), stat.version);
                }
                (Op::Delete { path, .. }, _) => {
                    self.versions.remove(path);
                    self.creates.remove(path);
                }
                (Op::Check { path, version }, _) => {
                    checks.push(self.versions.get(path).copied().unwrap_or(*version));
                }
                _ => {}
            }
        }
        (checks, parents)
    }
}

/// The ops of a multi, or the op itself.
fn flat(op: &Op) -> Vec<&Op> {
    match op {
        Op::Multi(ops) => ops.iter().collect(),
        op => vec![op],
    }
}
