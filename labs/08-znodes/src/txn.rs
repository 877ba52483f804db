//! Transactions, and how one operation changes a `DataTree` — the part of ZooKeeper's
//! `DataTree.processTxn` that the prep stage and the final stage share.
//!
//! A transaction is what every server of an ensemble applies in zxid order to reach the same
//! state: lab 09 logs them before anyone hears "done", lab 10 sends them from the leader to
//! the followers. Replaying the same transactions, with their zxids and times, rebuilds exactly
//! the same tree, because [`apply_op`] depends on nothing but the tree, the transaction and its
//! zxid and time.

use crate::acl::{self, Id};
use crate::code::Code;
use crate::data_tree::{CreateMode, DataTree};
use crate::proto::{Op, OpResult};
use crate::watch::Change;

/// A transaction: what ZooKeeper's `TxnHeader` and txn records hold (lab 09 writes them in
/// ZooKeeper's own log format). Like ZooKeeper's, a write is *resolved* by the prep stage: a
/// sequential create names the node it made, a setData or setACL carries the exact version it
/// replaces, a check the exact version it saw — so applying it needs no choice, and gives the
/// same tree on every server and on every replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Txn {
    /// `createSession`: a new session, with the timeout the server granted (`CreateSessionTxn`).
    /// No password: it is derived from the id ([`crate::session::session_passwd`]).
    CreateSession { session: i64, timeout_ms: i32 },
    /// `closeSession`, from the client or from an expiry: its ephemeral nodes go
    /// (`CloseSessionTxn`, which names them: `ephemerals`, deepest first).
    CloseSession {
        session: i64,
        ephemerals: Vec<String>,
    },
    /// A write request the prep stage found valid, resolved (see [`resolve`]); or a multi of
    /// them. `parent_cversions` holds, for each create in `op` in order (a multi's too), its
    /// parent's count of creates once it is made (`CreateTxn.parentCVersion`).
    Request {
        session: i64,
        op: Op,
        parent_cversions: Vec<i32>,
    },
    /// A write the prep stage refused (`ErrorTxn`): it takes a zxid and changes nothing; the
    /// client gets `code`.
    Error { session: i64, code: Code },
    /// A multi the prep stage found failing (ZooKeeper's `MultiTxn` of `ErrorTxn`s): it
    /// changes nothing; the client gets one error code per op (0 for the ops before the
    /// failing one, RUNTIMEINCONSISTENCY after it). Logged as such because a failure the tree
    /// cannot see again — NOAUTH: a replay has no connection and no ids — must replay as one.
    MultiError { session: i64, codes: Vec<i32> },
}

/// Rewrites a valid write `op` into the transaction ZooKeeper logs for it, from what it did
/// (`result`, the outcome of applying it) and `versions_before` (for each `check` in `op`, in
/// order, the version of its node just before it ran): a sequential create becomes a plain
/// create of the name it got; setData and setACL expect exactly the version they replaced; a
/// check expects the version it saw.
pub fn resolve(op: &Op, result: &OpResult, versions_before: &mut std::slice::Iter<'_, i32>) -> Op {
    let mut op = op.clone();
    match (&mut op, result) {
        (Op::Create { path, flags, .. }, OpResult::Path(made) | OpResult::PathStat(made, _)) => {
            *path = made.clone();
            *flags &= !2;
        }
        (Op::SetData { version, .. }, OpResult::Stat(stat)) => *version = stat.version - 1,
        (Op::SetAcl { version, .. }, OpResult::Stat(stat)) => *version = stat.aversion - 1,
        (Op::Check { version, .. }, _) => {
            if let Some(v) = versions_before.next() {
                *version = *v;
            }
        }
        (Op::Multi(ops), OpResult::Multi(results)) => {
            for (inner, (_, r)) in ops.iter_mut().zip(results) {
                if let Ok(r) = r {
                    *inner = resolve(inner, r, versions_before);
                }
            }
        }
        _ => {}
    }
    op
}

/// A transaction with its zxid and the leader's clock when it was prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedTxn {
    pub zxid: i64,
    /// The xid of the client request it came from (ZooKeeper's `TxnHeader.cxid`; 0 for a new
    /// session or an expiry). A follower finds its own client's request by session and cxid
    /// when the leader's commit arrives (lab 10).
    pub cxid: i32,
    pub time_ms: i64,
    pub txn: Txn,
}

/// Applies one operation for `session` to `tree` at `zxid` and `time`: its result or
/// ZooKeeper's error code. Reads change nothing. The changes (for watches) are appended to
/// `changes`. No ACL is checked: this is the commit of a transaction the prep stage checked
/// (and a replay, which has no connection to check).
pub fn apply_op(
    tree: &mut DataTree,
    session: i64,
    op: &Op,
    zxid: i64,
    time: i64,
    changes: &mut Vec<Change>,
) -> Result<OpResult, Code> {
    apply_op_as(tree, session, None, op, zxid, time, changes)
}

/// [`apply_op`] for a connection with `ids`: with `Some`, each operation (each op of a multi,
/// against the multi's tree so far) first passes [`acl::authorize`], and creates and setACLs
/// store the fixed-up list — what the prep stage and the read path do.
pub fn apply_op_as(
    tree: &mut DataTree,
    session: i64,
    ids: Option<&[Id]>,
    op: &Op,
    zxid: i64,
    time: i64,
    changes: &mut Vec<Change>,
) -> Result<OpResult, Code> {
    let run = Run {
        session,
        ids,
        zxid,
        time,
    };
    match op {
        Op::Multi(ops) => Ok(multi(tree, &run, ops, changes)),
        other => apply_one(tree, &run, other, changes),
    }
}

/// Who runs an operation, and when.
struct Run<'a> {
    session: i64,
    ids: Option<&'a [Id]>,
    zxid: i64,
    time: i64,
}

/// A multi is all or nothing: the ops run on a copy of the tree, which replaces the tree only
/// if every op succeeded. On failure, ops before the failing one report OK (0), the failing one
/// its error, the ones after RUNTIMEINCONSISTENCY — as ZooKeeper reports.
fn multi(tree: &mut DataTree, run: &Run<'_>, ops: &[Op], changes: &mut Vec<Change>) -> OpResult {
    let mut copy = tree.clone();
    let mut results = Vec::with_capacity(ops.len());
    let mut failed = None;
    let mut multi_changes = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        match apply_one(&mut copy, run, op, &mut multi_changes) {
            Ok(r) => results.push((op.code(), Ok(r))),
            Err(code) => {
                failed = Some((index, code));
                break;
            }
        }
    }
    match failed {
        None => {
            *tree = copy;
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

/// One (non-multi) operation on `tree`.
fn apply_one(
    tree: &mut DataTree,
    run: &Run<'_>,
    op: &Op,
    changes: &mut Vec<Change>,
) -> Result<OpResult, Code> {
    let (session, zxid, time) = (run.session, run.zxid, run.time);
    let fixed = match run.ids {
        Some(ids) => acl::authorize(tree, op, ids)?,
        None => None,
    };
    match op {
        Op::Create {
            path,
            data,
            acl,
            flags,
            with_stat,
        } => {
            let mode = CreateMode::from_flags(*flags).ok_or(Code::BadArguments)?;
            let acl = fixed.as_deref().unwrap_or(acl);
            let created = tree.create(path, data, acl, mode, session, zxid, time)?;
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
            let stat = tree.set_data(path, data, *version, zxid, time)?;
            changes.push(Change::DataChanged(path.clone()));
            Ok(OpResult::Stat(stat))
        }
        Op::GetAcl { path } => tree.get_acl(path).map(|(a, s)| match run.ids {
            Some(ids) => OpResult::Acl(acl::redact_for(a, ids), s),
            None => OpResult::Acl(a, s),
        }),
        Op::SetAcl { path, acl, version } => {
            let acl = fixed.as_deref().unwrap_or(acl);
            tree.set_acl(path, acl, *version).map(OpResult::Stat)
        }
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
