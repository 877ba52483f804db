//! A transaction as ZooKeeper serializes it — in its log, and (lab 10) in the leader's
//! proposals: a `TxnHeader`, then the record of its type (`zookeeper.jute`, module
//! `org.apache.zookeeper.txn`; `Util.marshallTxnEntry`, `SerializeUtils.deserializeTxn`).
//!
//! ```text
//! TxnHeader  clientId long | cxid int | zxid long | time long | type int
//! then, by type:
//!   -10 createSession   CreateSessionTxn    timeOut int
//!   -11 closeSession    CloseSessionTxn     paths2Delete vector<ustring>
//!     1 create          CreateTxn           path ustring | data buffer | acl vector<ACL>
//!    15 create2                               | ephemeral boolean | parentCVersion int
//!    19 createContainer CreateContainerTxn  path | data | acl | parentCVersion int
//!     2 delete          DeleteTxn           path ustring
//!     5 setData         SetDataTxn          path | data buffer | version int (the new one)
//!     7 setACL          SetACLTxn           path | acl vector<ACL> | version int (the new one)
//!    13 check           CheckVersionTxn     path | version int (the one seen, plus one)
//!    -1 error           ErrorTxn            err int
//!    14 multi           MultiTxn            txns vector<Txn>, Txn = type int | data buffer
//!                                           (data: one of the records above)
//! then, from ZooKeeper 3.6 on, a TxnDigest (version int | treeDigest long) if digests are on
//! ```
//! The record carries what the transaction *did*, resolved by the prep stage (lab 08's
//! `txn::resolve`): the sequential name chosen, the version a setData made.
//!
//! Teaching shortcuts, each one readable by ZooKeeper: no `TxnDigest` is written (ZooKeeper reads a
//! record without one, and ignores a digest it cannot compare); a failed multi is written as
//! error records only, one per op (ZooKeeper keeps the ops before the failing one as they were;
//! both replay as "nothing changed", and both read back as the same codes).

use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::proto::{op, read_acls, write_acls, Op};
use lab08_znodes::txn::{LoggedTxn, Txn};
use lab08_znodes::{Code, Error, Result};

/// ZooKeeper's op codes for session transactions (`ZooDefs.OpCode`).
pub const CREATE_SESSION: i32 = -10;
pub const CLOSE_SESSION: i32 = -11;
pub const DELETE_CONTAINER: i32 = 20;

/// The bytes of `t`: its `TxnHeader` and its record.
pub fn encode(t: &LoggedTxn) -> Vec<u8> {
    let mut o = OutputArchive::new();
    let (session, kind) = match &t.txn {
        Txn::CreateSession { session, .. } => (*session, CREATE_SESSION),
        Txn::CloseSession { session, .. } => (*session, CLOSE_SESSION),
        Txn::Request { session, op, .. } => (*session, kind_of(op)),
        Txn::Error { session, .. } => (*session, op::ERROR),
        Txn::MultiError { session, .. } => (*session, op::MULTI),
    };
    o.write_long(session);
    o.write_int(t.cxid);
    o.write_long(t.zxid);
    o.write_long(t.time_ms);
    o.write_int(kind);
    match &t.txn {
        Txn::CreateSession { timeout_ms, .. } => o.write_int(*timeout_ms),
        Txn::CloseSession { ephemerals, .. } => {
            o.write_int(ephemerals.len() as i32);
            for path in ephemerals {
                o.write_string(Some(path));
            }
        }
        Txn::Request {
            op: Op::Multi(ops),
            parent_cversions,
            ..
        } => {
            let mut cversions = parent_cversions.iter();
            o.write_int(ops.len() as i32);
            for inner in ops {
                let mut record = OutputArchive::new();
                write_record(&mut record, inner, &mut cversions);
                o.write_int(kind_of(inner));
                o.write_buffer(Some(&record.buf));
            }
        }
        Txn::Request {
            op,
            parent_cversions,
            ..
        } => write_record(&mut o, op, &mut parent_cversions.iter()),
        Txn::Error { code, .. } => o.write_int(code.code()),
        Txn::MultiError { codes, .. } => {
            o.write_int(codes.len() as i32);
            for code in codes {
                o.write_int(op::ERROR);
                o.write_buffer(Some(&code.to_be_bytes()));
            }
        }
    }
    o.into_bytes()
}

/// ZooKeeper's type for a (resolved) write op.
fn kind_of(op: &Op) -> i32 {
    match op {
        Op::Create { flags, .. } if flags & 4 != 0 => op::CREATE_CONTAINER,
        Op::Create {
            with_stat: true, ..
        } => op::CREATE2,
        Op::Create { .. } => op::CREATE,
        Op::Delete { .. } => op::DELETE,
        Op::SetData { .. } => op::SET_DATA,
        Op::SetAcl { .. } => op::SET_ACL,
        Op::Check { .. } => op::CHECK,
        Op::Multi(_) => op::MULTI,
        _ => op::ERROR,
    }
}

/// The record of one resolved write op; a create takes the next of `parent_cversions`.
fn write_record(o: &mut OutputArchive, op: &Op, parent_cversions: &mut std::slice::Iter<'_, i32>) {
    match op {
        Op::Create {
            path,
            data,
            acl,
            flags,
            ..
        } => {
            o.write_string(Some(path));
            o.write_buffer(Some(data));
            write_acls(o, acl);
            if flags & 4 == 0 {
                o.write_bool(flags & 1 != 0);
            }
            // −1 (unknown) makes ZooKeeper count it itself, as for its oldest logs.
            o.write_int(parent_cversions.next().copied().unwrap_or(-1));
        }
        Op::Delete { path, .. } => o.write_string(Some(path)),
        Op::SetData {
            path,
            data,
            version,
        } => {
            o.write_string(Some(path));
            o.write_buffer(Some(data));
            o.write_int(version + 1);
        }
        Op::SetAcl { path, acl, version } => {
            o.write_string(Some(path));
            write_acls(o, acl);
            o.write_int(version + 1);
        }
        Op::Check { path, version } => {
            o.write_string(Some(path));
            o.write_int(version + 1);
        }
        _ => {}
    }
}

/// Reads a transaction ZooKeeper (or [`encode`]) wrote; bytes after the record (a
/// `TxnDigest`) are ignored.
pub fn decode(bytes: &[u8]) -> Result<LoggedTxn> {
    let mut i = InputArchive::new(bytes);
    let session = i.read_long()?;
    let cxid = i.read_int()?;
    let zxid = i.read_long()?;
    let time_ms = i.read_long()?;
    let kind = i.read_int()?;
    let txn = match kind {
        CREATE_SESSION => Txn::CreateSession {
            session,
            timeout_ms: i.read_int()?,
        },
        CLOSE_SESSION => Txn::CloseSession {
            session,
            // Before 3.6 a closeSession had no record.
            ephemerals: if i.remaining() == 0 {
                Vec::new()
            } else {
                let n = i.read_count()?.unwrap_or(0);
                (0..n).map(|_| i.read_path()).collect::<Result<_>>()?
            },
        },
        op::ERROR => Txn::Error {
            session,
            code: read_code(&mut i)?,
        },
        op::MULTI => {
            let n = i.read_count()?.unwrap_or(0);
            let mut records = Vec::with_capacity(n);
            for _ in 0..n {
                let kind = i.read_int()?;
                records.push((kind, i.read_buffer()?.unwrap_or_default()));
            }
            if records.iter().any(|(kind, _)| *kind == op::ERROR) {
                // A failed multi: the failing op's code, and 0 (or its own code) for the rest.
                let codes = records
                    .iter()
                    .map(|(kind, data)| match *kind {
                        op::ERROR => InputArchive::new(data).read_int(),
                        _ => Ok(0),
                    })
                    .collect::<Result<_>>()?;
                Txn::MultiError { session, codes }
            } else {
                let mut ops = Vec::with_capacity(n);
                let mut parent_cversions = Vec::new();
                for (kind, data) in &records {
                    ops.push(read_record(
                        *kind,
                        &mut InputArchive::new(data),
                        &mut parent_cversions,
                    )?);
                }
                Txn::Request {
                    session,
                    op: Op::Multi(ops),
                    parent_cversions,
                }
            }
        }
        kind => {
            let mut parent_cversions = Vec::new();
            let op = read_record(kind, &mut i, &mut parent_cversions)?;
            Txn::Request {
                session,
                op,
                parent_cversions,
            }
        }
    };
    Ok(LoggedTxn {
        zxid,
        cxid,
        time_ms,
        txn,
    })
}

fn read_code(i: &mut InputArchive<'_>) -> Result<Code> {
    let err = i.read_int()?;
    Code::from_code(err).ok_or(Error::UnknownCode(err))
}

/// The op a write record stands for, resolved: applying it repeats what it did.
fn read_record(kind: i32, i: &mut InputArchive<'_>, parent_cversions: &mut Vec<i32>) -> Result<Op> {
    Ok(match kind {
        op::CREATE | op::CREATE2 | op::CREATE_CONTAINER => {
            let path = i.read_path()?;
            let data = i.read_buffer()?.unwrap_or_default();
            let acl = read_acls(i)?;
            let flags = if kind == op::CREATE_CONTAINER {
                4
            } else {
                i32::from(i.read_bool()?)
            };
            parent_cversions.push(i.read_int()?);
            Op::Create {
                path,
                data,
                acl,
                flags,
                with_stat: kind == op::CREATE2,
            }
        }
        op::DELETE | DELETE_CONTAINER => Op::Delete {
            path: i.read_path()?,
            version: -1,
        },
        op::SET_DATA => Op::SetData {
            path: i.read_path()?,
            data: i.read_buffer()?.unwrap_or_default(),
            version: i.read_int()? - 1,
        },
        op::SET_ACL => Op::SetAcl {
            path: i.read_path()?,
            acl: read_acls(i)?,
            version: i.read_int()? - 1,
        },
        op::CHECK => Op::Check {
            path: i.read_path()?,
            version: i.read_int()? - 1,
        },
        other => return Err(Error::UnknownOp(other)),
    })
}
