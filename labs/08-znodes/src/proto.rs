//! ZooKeeper's request and response records (`zookeeper.jute`) and operation codes.
//!
//! ```text
//! connect:  ConnectRequest  protocolVersion int | lastZxidSeen long | timeOut int | sessionId long
//!                           | passwd buffer | readOnly boolean (3.4+ clients)
//!           ConnectResponse protocolVersion int | timeOut int | sessionId long | passwd buffer | readOnly boolean
//! request:  RequestHeader   xid int | type int, then the operation's record
//! reply:    ReplyHeader     xid int | zxid long | err int, then the result's record if err = 0
//! ```
//! Special xids: −2 ping, −1 a watch notification (step 6), −8 setWatches.

use crate::error::{Error, Result};
use crate::jute::{InputArchive, OutputArchive};
use crate::stat::{Acl, Stat};

/// Operation codes (`ZooDefs.OpCode`).
pub mod op {
    pub const CREATE: i32 = 1;
    pub const DELETE: i32 = 2;
    pub const EXISTS: i32 = 3;
    pub const GET_DATA: i32 = 4;
    pub const SET_DATA: i32 = 5;
    pub const GET_ACL: i32 = 6;
    pub const SET_ACL: i32 = 7;
    pub const GET_CHILDREN: i32 = 8;
    pub const SYNC: i32 = 9;
    pub const PING: i32 = 11;
    pub const GET_CHILDREN2: i32 = 12;
    pub const CHECK: i32 = 13;
    pub const MULTI: i32 = 14;
    pub const CREATE2: i32 = 15;
    pub const CREATE_CONTAINER: i32 = 19;
    pub const SET_WATCHES: i32 = 101;
    /// The auth packet (sent with xid −4; see `server_cnxn.rs`).
    pub const AUTH: i32 = 100;
    pub const GET_ALL_CHILDREN_NUMBER: i32 = 104;
    pub const CLOSE_SESSION: i32 = -11;
    pub const ERROR: i32 = -1;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    pub last_zxid_seen: i64,
    pub time_out: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
    pub read_only: bool,
}

impl ConnectRequest {
    pub fn read(i: &mut InputArchive<'_>) -> Result<ConnectRequest> {
        Ok(ConnectRequest {
            protocol_version: i.read_int()?,
            last_zxid_seen: i.read_long()?,
            time_out: i.read_int()?,
            session_id: i.read_long()?,
            passwd: i.read_buffer()?.unwrap_or_default(),
            // Clients before 3.4 do not send it.
            read_only: if i.remaining() > 0 {
                i.read_bool()?
            } else {
                false
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    pub time_out: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
}

impl ConnectResponse {
    pub fn write(&self, o: &mut OutputArchive) {
        o.write_int(self.protocol_version);
        o.write_int(self.time_out);
        o.write_long(self.session_id);
        o.write_buffer(Some(&self.passwd));
        o.write_bool(false);
    }
}

pub fn read_acls(i: &mut InputArchive<'_>) -> Result<Vec<Acl>> {
    let n = i.read_count()?.unwrap_or(0);
    (0..n).map(|_| Acl::read(i)).collect()
}

pub fn write_acls(o: &mut OutputArchive, acls: &[Acl]) {
    o.write_int(acls.len() as i32);
    for a in acls {
        a.write(o);
    }
}

/// One operation, as read from a request (or from inside a multi).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create {
        path: String,
        data: Vec<u8>,
        acl: Vec<Acl>,
        flags: i32,
        with_stat: bool,
    },
    Delete {
        path: String,
        version: i32,
    },
    Exists {
        path: String,
        watch: bool,
    },
    GetData {
        path: String,
        watch: bool,
    },
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    GetAcl {
        path: String,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
        version: i32,
    },
    GetChildren {
        path: String,
        watch: bool,
        with_stat: bool,
    },
    Sync {
        path: String,
    },
    Check {
        path: String,
        version: i32,
    },
    Multi(Vec<Op>),
    GetAllChildrenNumber {
        path: String,
    },
    /// setWatches after a reconnect: the client's watches again, with the last zxid it saw.
    SetWatches {
        relative_zxid: i64,
        data: Vec<String>,
        exist: Vec<String>,
        child: Vec<String>,
    },
    Ping,
    CloseSession,
}

impl Op {
    /// Reads the record of operation `kind`.
    pub fn read(kind: i32, i: &mut InputArchive<'_>) -> Result<Op> {
        Ok(match kind {
            op::CREATE | op::CREATE2 | op::CREATE_CONTAINER => Op::Create {
                path: i.read_path()?,
                data: i.read_buffer()?.unwrap_or_default(),
                acl: read_acls(i)?,
                flags: if kind == op::CREATE_CONTAINER {
                    i.read_int()?.max(4)
                } else {
                    i.read_int()?
                },
                with_stat: kind != op::CREATE,
            },
            op::DELETE => Op::Delete {
                path: i.read_path()?,
                version: i.read_int()?,
            },
            op::EXISTS => Op::Exists {
                path: i.read_path()?,
                watch: i.read_bool()?,
            },
            op::GET_DATA => Op::GetData {
                path: i.read_path()?,
                watch: i.read_bool()?,
            },
            op::SET_DATA => Op::SetData {
                path: i.read_path()?,
                data: i.read_buffer()?.unwrap_or_default(),
                version: i.read_int()?,
            },
            op::GET_ACL => Op::GetAcl {
                path: i.read_path()?,
            },
            op::SET_ACL => Op::SetAcl {
                path: i.read_path()?,
                acl: read_acls(i)?,
                version: i.read_int()?,
            },
            op::GET_CHILDREN | op::GET_CHILDREN2 => Op::GetChildren {
                path: i.read_path()?,
                watch: i.read_bool()?,
                with_stat: kind == op::GET_CHILDREN2,
            },
            op::SYNC => Op::Sync {
                path: i.read_path()?,
            },
            op::CHECK => Op::Check {
                path: i.read_path()?,
                version: i.read_int()?,
            },
            op::MULTI => {
                // A sequence of (MultiHeader type | done | err, op record), ended by done = true.
                let mut ops = Vec::new();
                loop {
                    let t = i.read_int()?;
                    let done = i.read_bool()?;
                    let _err = i.read_int()?;
                    if done {
                        break;
                    }
                    if !matches!(
                        t,
                        op::CREATE
                            | op::CREATE2
                            | op::CREATE_CONTAINER
                            | op::DELETE
                            | op::SET_DATA
                            | op::CHECK
                            | op::GET_DATA
                            | op::GET_CHILDREN
                    ) {
                        return Err(Error::UnknownOp(t));
                    }
                    ops.push(Op::read(t, i)?);
                }
                Op::Multi(ops)
            }
            op::GET_ALL_CHILDREN_NUMBER => Op::GetAllChildrenNumber {
                path: i.read_path()?,
            },
            op::SET_WATCHES => {
                let relative_zxid = i.read_long()?;
                let mut lists = Vec::new();
                for _ in 0..3 {
                    let n = i.read_count()?.unwrap_or(0);
                    lists.push(
                        (0..n)
                            .map(|_| i.read_path())
                            .collect::<Result<Vec<String>>>()?,
                    );
                }
                let child = lists.pop().unwrap_or_default();
                let exist = lists.pop().unwrap_or_default();
                let data = lists.pop().unwrap_or_default();
                Op::SetWatches {
                    relative_zxid,
                    data,
                    exist,
                    child,
                }
            }
            op::PING => Op::Ping,
            op::CLOSE_SESSION => Op::CloseSession,
            other => return Err(Error::UnknownOp(other)),
        })
    }

    /// The op code this op answers with in a multi result.
    pub fn code(&self) -> i32 {
        match self {
            Op::Create {
                with_stat: false, ..
            } => op::CREATE,
            Op::Create { .. } => op::CREATE2,
            Op::Delete { .. } => op::DELETE,
            Op::SetData { .. } => op::SET_DATA,
            Op::Check { .. } => op::CHECK,
            Op::GetData { .. } => op::GET_DATA,
            Op::GetChildren { .. } => op::GET_CHILDREN,
            _ => op::ERROR,
        }
    }

    /// Writes the op's request record (the inverse of [`Op::read`]), for the transaction log.
    pub fn write(&self, o: &mut OutputArchive) {
        match self {
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
                o.write_int(*flags);
            }
            Op::Delete { path, version } | Op::Check { path, version } => {
                o.write_string(Some(path));
                o.write_int(*version);
            }
            Op::Exists { path, watch } | Op::GetData { path, watch } => {
                o.write_string(Some(path));
                o.write_bool(*watch);
            }
            Op::GetChildren { path, watch, .. } => {
                o.write_string(Some(path));
                o.write_bool(*watch);
            }
            Op::SetData {
                path,
                data,
                version,
            } => {
                o.write_string(Some(path));
                o.write_buffer(Some(data));
                o.write_int(*version);
            }
            Op::GetAcl { path } | Op::Sync { path } | Op::GetAllChildrenNumber { path } => {
                o.write_string(Some(path))
            }
            Op::SetAcl { path, acl, version } => {
                o.write_string(Some(path));
                write_acls(o, acl);
                o.write_int(*version);
            }
            Op::Multi(ops) => {
                for op in ops {
                    o.write_int(op.kind());
                    o.write_bool(false);
                    o.write_int(-1);
                    op.write(o);
                }
                o.write_int(-1);
                o.write_bool(true);
                o.write_int(-1);
            }
            Op::SetWatches {
                relative_zxid,
                data,
                exist,
                child,
            } => {
                o.write_long(*relative_zxid);
                for list in [data, exist, child] {
                    o.write_int(list.len() as i32);
                    for p in list {
                        o.write_string(Some(p));
                    }
                }
            }
            Op::Ping | Op::CloseSession => {}
        }
    }

    /// The op code of the request this op was read from.
    pub fn kind(&self) -> i32 {
        match self {
            Op::Create {
                with_stat: false, ..
            } => op::CREATE,
            Op::Create { flags, .. } if *flags == 4 => op::CREATE_CONTAINER,
            Op::Create { .. } => op::CREATE2,
            Op::Delete { .. } => op::DELETE,
            Op::Exists { .. } => op::EXISTS,
            Op::GetData { .. } => op::GET_DATA,
            Op::SetData { .. } => op::SET_DATA,
            Op::GetAcl { .. } => op::GET_ACL,
            Op::SetAcl { .. } => op::SET_ACL,
            Op::GetChildren {
                with_stat: false, ..
            } => op::GET_CHILDREN,
            Op::GetChildren { .. } => op::GET_CHILDREN2,
            Op::Sync { .. } => op::SYNC,
            Op::Check { .. } => op::CHECK,
            Op::Multi(_) => op::MULTI,
            Op::GetAllChildrenNumber { .. } => op::GET_ALL_CHILDREN_NUMBER,
            Op::SetWatches { .. } => op::SET_WATCHES,
            Op::Ping => op::PING,
            Op::CloseSession => op::CLOSE_SESSION,
        }
    }

    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Op::Create { .. }
                | Op::Delete { .. }
                | Op::SetData { .. }
                | Op::SetAcl { .. }
                | Op::Multi(_)
                | Op::CloseSession
        )
    }
}

/// What an operation answers (its record after the reply header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    Empty,
    Path(String),
    PathStat(String, Stat),
    Stat(Stat),
    Data(Vec<u8>, Stat),
    Children(Vec<String>),
    ChildrenStat(Vec<String>, Stat),
    Acl(Vec<Acl>, Stat),
    Number(i32),
    /// A multi: each op's code and result (an error result carries the op's error code).
    Multi(Vec<(i32, std::result::Result<OpResult, i32>)>),
}

impl OpResult {
    pub fn write(&self, o: &mut OutputArchive) {
        match self {
            OpResult::Empty => {}
            OpResult::Path(p) => o.write_string(Some(p)),
            OpResult::PathStat(p, s) => {
                o.write_string(Some(p));
                s.write(o);
            }
            OpResult::Stat(s) => s.write(o),
            OpResult::Data(d, s) => {
                o.write_buffer(Some(d));
                s.write(o);
            }
            OpResult::Children(c) => {
                o.write_int(c.len() as i32);
                for name in c {
                    o.write_string(Some(name));
                }
            }
            OpResult::ChildrenStat(c, s) => {
                OpResult::Children(c.clone()).write(o);
                s.write(o);
            }
            OpResult::Acl(a, s) => {
                write_acls(o, a);
                s.write(o);
            }
            OpResult::Number(n) => o.write_int(*n),
            OpResult::Multi(results) => {
                for (code, result) in results {
                    match result {
                        Ok(r) => {
                            o.write_int(*code);
                            o.write_bool(false);
                            o.write_int(0);
                            r.write(o);
                        }
                        Err(err) => {
                            // An ErrorResult: header type −1, then the error again.
                            o.write_int(op::ERROR);
                            o.write_bool(false);
                            o.write_int(*err);
                            o.write_int(*err);
                        }
                    }
                }
                o.write_int(-1);
                o.write_bool(true);
                o.write_int(-1);
            }
        }
    }
}
