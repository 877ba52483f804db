//! Transactions, and how one operation changes a `DataTree` — the part of ZooKeeper's
//! `DataTree.processTxn` that the prep stage and the final stage share.
//!
//! A transaction is what every server of an ensemble applies in zxid order to reach the same
//! state: lab 09 logs them before anyone hears "done", lab 10 sends them from the leader to
//! the followers. Replaying the same transactions, with their zxids and times, rebuilds exactly
//! the same tree, because [`apply_op`] depends on nothing but the tree, the transaction and its
//! zxid and time.

use crate::code::Code;
use crate::data_tree::{CreateMode, DataTree};
use crate::proto::{Op, OpResult};
use crate::watch::Change;

/// A transaction. A teaching shortcut: ZooKeeper logs a *resolved* record (`CreateTxn` with
/// the sequential name already chosen, `SetDataTxn` with the new version); we log the request
/// itself, which the prep stage has checked, and which gives the same result when it is
/// applied to the same tree in zxid order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Txn {
    /// `createSession`: a new session, with the timeout the server granted.
    CreateSession {
        session: i64,
        passwd: Vec<u8>,
        timeout_ms: i32,
    },
    /// `closeSession`, from the client or from an expiry: its ephemeral nodes go.
    CloseSession { session: i64 },
    /// A write request the prep stage found valid (or a multi, valid or not: a failed multi
    /// changes nothing and answers each op's result, as ZooKeeper's multi of error txns).
    Request { session: i64, op: Op },
    /// A write the prep stage refused (`ErrorTxn`): it takes a zxid and changes nothing; the
    /// client gets `code`.
    Error { session: i64, code: Code },
}

/// A transaction with its zxid and the leader's clock when it was prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedTxn {
    pub zxid: i64,
    pub time_ms: i64,
    pub txn: Txn,
}

/// Applies one operation for `session` to `tree` at `zxid` and `time`: its result or
/// ZooKeeper's error code. Reads change nothing. The changes (for watches) are appended to
/// `changes`.
pub fn apply_op(
    tree: &mut DataTree,
    session: i64,
    op: &Op,
    zxid: i64,
    time: i64,
    changes: &mut Vec<Change>,
) -> Result<OpResult, Code> {
    match op {
        Op::Multi(ops) => Ok(multi(tree, session, ops, zxid, time, changes)),
        other => apply_one(tree, session, other, zxid, time, changes),
    }
}

/// A multi is all or nothing: the ops run on a copy of the tree, which replaces the tree only
/// if every op succeeded. On failure, ops before the failing one report OK (0), the failing one
/// its error, the ones after RUNTIMEINCONSISTENCY — as ZooKeeper reports.
fn multi(
    tree: &mut DataTree,
    session: i64,
    ops: &[Op],
    zxid: i64,
    time: i64,
    changes: &mut Vec<Change>,
) -> OpResult {
    let mut copy = tree.clone();
    let mut results = Vec::with_capacity(ops.len());
    let mut failed = None;
    let mut multi_changes = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        match apply_one(&mut copy, session, op, zxid, time, &mut multi_changes) {
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
    session: i64,
    op: &Op,
    zxid: i64,
    time: i64,
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
