//! A small ZooKeeper client over the same records: enough for `kafkalab zookeeper-shell`, for
//! tests and for a controller. One request at a time.
//!
//! Watches: the `*_and_watch` reads leave a one-shot watch on the server. Its notification
//! (xid −1) may arrive between any two replies, so every call (a [`ZkClient::ping`] too) hands
//! the notifications it reads to the channel [`ZkClient::events`] returns. A controller pings on
//! its tick anyway; after each ping it drains the channel, re-reads what changed and re-arms the
//! watch with that same read, as Kafka's controller does. A broken connection puts a
//! `Disconnected` state event on the channel: the watches went with the session's connection.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::code::Code;
use crate::jute::{InputArchive, OutputArchive};
use crate::packet;
use crate::proto::{op, read_acls, write_acls, Op, OpResult};
use crate::stat::{Acl, Stat};

/// What went wrong talking to a ZooKeeper server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach ZooKeeper at {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("the connection to ZooKeeper broke: {0}")]
    Io(String),
    #[error("{0}")]
    Decode(#[from] crate::error::Error),
    /// ZooKeeper answered with an error code.
    #[error("{message}: {path}")]
    Keeper {
        code: i32,
        message: &'static str,
        path: String,
    },
    /// A multi failed as a whole: op `index` (from 0) failed with `code`; nothing was applied.
    #[error("multi op {index} failed: {message}: {path}")]
    Multi {
        index: usize,
        code: i32,
        message: &'static str,
        path: String,
    },
}

/// ZooKeeper's session states (`Watcher.Event.KeeperState`) as they travel in a notification.
pub mod state {
    pub const DISCONNECTED: i32 = 0;
    pub const SYNC_CONNECTED: i32 = 3;
    pub const EXPIRED: i32 = -112;
}

/// One watch notification (jute `WatcherEvent`), or a change of session state (`kind` −1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedEvent {
    /// 1 created, 2 deleted, 3 data changed, 4 children changed (`crate::watch::EventType`); −1 none.
    pub kind: i32,
    /// A [`state`] constant.
    pub state: i32,
    pub path: String,
}

/// zkCli.sh's words for an error code.
pub fn message(code: i32) -> &'static str {
    match code {
        c if c == Code::NoNode.code() => "Node does not exist",
        c if c == Code::NodeExists.code() => "Node already exists",
        c if c == Code::NotEmpty.code() => "Node not empty",
        c if c == Code::BadVersion.code() => "version No is not valid",
        c if c == Code::NoChildrenForEphemerals.code() => "Ephemerals cannot have children",
        c if c == Code::BadArguments.code() => "Invalid path or arguments",
        // zkCli.sh prints "Insufficient permission : /path" and "Acl is not valid : /path".
        c if c == Code::InvalidAcl.code() => "Acl is not valid ",
        c if c == Code::NoAuth.code() => "Insufficient permission ",
        c if c == Code::AuthFailed.code() => "Authentication failed",
        c if c == Code::SessionExpired.code() => "Session expired",
        _ => "ZooKeeper error",
    }
}

pub struct ZkClient {
    stream: TcpStream,
    xid: i32,
    pub session_id: i64,
    pub timeout_ms: i32,
    events_tx: mpsc::UnboundedSender<WatchedEvent>,
    events_rx: Option<mpsc::UnboundedReceiver<WatchedEvent>>,
}

type Result<T> = std::result::Result<T, ClientError>;

impl ZkClient {
    pub async fn connect(addr: &str, timeout_ms: i32) -> Result<ZkClient> {
        let fail = |reason: String| ClientError::Connect {
            addr: addr.to_string(),
            reason,
        };
        let mut stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr))
            .await
            .map_err(|_| fail("timed out".into()))?
            .map_err(|e| fail(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let mut o = OutputArchive::new();
        o.write_int(0); // protocol version
        o.write_long(0); // last zxid seen
        o.write_int(timeout_ms);
        o.write_long(0); // a new session
        o.write_buffer(Some(&[0u8; 16]));
        o.write_bool(false);
        stream
            .write_all(&packet::frame(&o.into_bytes()))
            .await
            .map_err(|e| fail(e.to_string()))?;
        // A server that accepted the connection but stays silent for a whole session timeout
        // (paused, cut off, not yet in a quorum) gives no session: the caller tries another.
        let body = read_frame_within(&mut stream, timeout_ms)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut i = InputArchive::new(&body);
        let _version = i.read_int()?;
        let timeout = i.read_int()?;
        let session_id = i.read_long()?;
        if timeout <= 0 {
            return Err(fail("the server refused the session".into()));
        }
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        Ok(ZkClient {
            stream,
            xid: 0,
            session_id,
            timeout_ms: timeout,
            events_tx,
            events_rx: Some(events_rx),
        })
    }

    /// The watch notifications this client reads, in the order the server sent them. The
    /// receiver can be taken once (None after); events read before it is taken wait in it.
    pub fn events(&mut self) -> Option<mpsc::UnboundedReceiver<WatchedEvent>> {
        self.events_rx.take()
    }

    /// Sends one request and returns the reply body, or ZooKeeper's error for `path`.
    async fn call(
        &mut self,
        kind: i32,
        path: &str,
        body: impl FnOnce(&mut OutputArchive),
    ) -> Result<Vec<u8>> {
        let (err, reply) = self.call_raw(kind, body).await?;
        if err != 0 {
            return Err(ClientError::Keeper {
                code: err,
                message: message(err),
                path: path.to_string(),
            });
        }
        Ok(reply)
    }

    /// Sends one request; returns the reply header's error code and the body after the header.
    /// Notifications read on the way go to the events channel.
    async fn call_raw(
        &mut self,
        kind: i32,
        body: impl FnOnce(&mut OutputArchive),
    ) -> Result<(i32, Vec<u8>)> {
        self.xid += 1;
        let xid = match kind {
            op::PING => -2,
            op::AUTH => -4,
            _ => self.xid,
        };
        let mut o = OutputArchive::new();
        o.write_int(xid);
        o.write_int(kind);
        body(&mut o);
        let result = self.exchange(o.into_bytes()).await;
        if let Err(ClientError::Io(_)) = result {
            let _ = self.events_tx.send(WatchedEvent {
                kind: -1,
                state: state::DISCONNECTED,
                path: String::new(),
            });
        }
        result
    }

    async fn exchange(&mut self, request: Vec<u8>) -> Result<(i32, Vec<u8>)> {
        let io = |e: std::io::Error| ClientError::Io(e.to_string());
        self.stream
            .write_all(&packet::frame(&request))
            .await
            .map_err(io)?;
        loop {
            // Silence for the whole negotiated session timeout means the session is as good as
            // gone (ZooKeeper's own client gives up after two thirds of it). Each reply gets that
            // long, not a sequence of requests: a slow but live server is waited for.
            let reply = read_frame_within(&mut self.stream, self.timeout_ms)
                .await
                .map_err(io)?;
            let mut i = InputArchive::new(&reply);
            let reply_xid = i.read_int()?;
            let _zxid = i.read_long()?;
            let err = i.read_int()?;
            if reply_xid == -1 {
                let event = WatchedEvent {
                    kind: i.read_int()?,
                    state: i.read_int()?,
                    path: i.read_string()?.unwrap_or_default(),
                };
                // Nobody listening (the receiver dropped) is fine: the event is dropped too.
                let _ = self.events_tx.send(event);
                continue;
            }
            let start = reply.len() - i.remaining();
            return Ok((err, reply[start..].to_vec()));
        }
    }

    /// One MultiRequest: all of `ops` or none. Build ops with [`Op::create`], [`Op::delete`],
    /// [`Op::set_data`] and [`Op::check`]. Returns each op's result, or, as ZooKeeper's
    /// `KeeperException` from multi does, the first failed op's index and error.
    pub async fn multi(&mut self, ops: &[Op]) -> Result<Vec<OpResult>> {
        let request = Op::Multi(ops.to_vec());
        let (err, body) = self.call_raw(op::MULTI, |o| request.write(o)).await?;
        let fail = |index: usize, code: i32| ClientError::Multi {
            index,
            code,
            message: message(code),
            path: ops.get(index).map(op_path).unwrap_or_default().to_string(),
        };
        let mut i = InputArchive::new(&body);
        let mut results = Vec::new();
        let mut first_error = None;
        // A MultiResponse: (MultiHeader type | done | err, result record)…, ended by done = true.
        // A server may send only the header's error, with no body, when it refused the request.
        while i.remaining() > 0 {
            let t = i.read_int()?;
            let done = i.read_bool()?;
            let _err = i.read_int()?;
            if done {
                break;
            }
            let result = match t {
                op::CREATE => OpResult::Path(i.read_path()?),
                op::CREATE2 => OpResult::PathStat(i.read_path()?, Stat::read(&mut i)?),
                op::SET_DATA => OpResult::Stat(Stat::read(&mut i)?),
                op::DELETE | op::CHECK => OpResult::Empty,
                op::ERROR => {
                    // Ops before the failed one say OK (0); ops after it RUNTIMEINCONSISTENCY.
                    let code = i.read_int()?;
                    if code != 0 && first_error.is_none() {
                        first_error = Some((results.len(), code));
                    }
                    OpResult::Number(code)
                }
                other => return Err(crate::error::Error::UnknownOp(other).into()),
            };
            results.push(result);
        }
        if let Some((index, code)) = first_error {
            return Err(fail(index, code));
        }
        if err != 0 {
            return Err(ClientError::Keeper {
                code: err,
                message: message(err),
                path: String::new(),
            });
        }
        Ok(results)
    }

    pub async fn ping(&mut self) -> Result<()> {
        self.call(op::PING, "", |_| {}).await.map(|_| ())
    }

    /// `flags`: 0 persistent, 1 ephemeral, 2 sequential, 3 both. Returns the path created.
    pub async fn create(&mut self, path: &str, data: &[u8], flags: i32) -> Result<String> {
        self.create_with_acl(path, data, flags, &[Acl::open()])
            .await
    }

    /// [`ZkClient::create`] with an ACL list of its own.
    pub async fn create_with_acl(
        &mut self,
        path: &str,
        data: &[u8],
        flags: i32,
        acl: &[Acl],
    ) -> Result<String> {
        let body = self
            .call(op::CREATE, path, |o| {
                o.write_string(Some(path));
                o.write_buffer(Some(data));
                write_acls(o, acl);
                o.write_int(flags);
            })
            .await?;
        Ok(InputArchive::new(&body).read_path()?)
    }

    /// The auth packet (`addauth digest alice:secret`): the connection gains the ids the scheme
    /// gives. AUTHFAILED (an unknown scheme) closes the connection, as ZooKeeper does.
    pub async fn add_auth(&mut self, scheme: &str, auth: &[u8]) -> Result<()> {
        self.call(op::AUTH, "", |o| {
            o.write_int(0);
            o.write_string(Some(scheme));
            o.write_buffer(Some(auth));
        })
        .await
        .map(|_| ())
    }

    pub async fn get_acl(&mut self, path: &str) -> Result<(Vec<Acl>, Stat)> {
        let body = self
            .call(op::GET_ACL, path, |o| o.write_string(Some(path)))
            .await?;
        let mut i = InputArchive::new(&body);
        let acl = read_acls(&mut i)?;
        Ok((acl, Stat::read(&mut i)?))
    }

    pub async fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat> {
        let body = self
            .call(op::SET_ACL, path, |o| {
                o.write_string(Some(path));
                write_acls(o, acl);
                o.write_int(version);
            })
            .await?;
        Ok(Stat::read(&mut InputArchive::new(&body))?)
    }

    pub async fn get(&mut self, path: &str) -> Result<(Vec<u8>, Stat)> {
        self.get_watched(path, false).await
    }

    /// [`ZkClient::get`] leaving a data watch: it fires once, on setData or delete of `path`.
    pub async fn get_and_watch(&mut self, path: &str) -> Result<(Vec<u8>, Stat)> {
        self.get_watched(path, true).await
    }

    async fn get_watched(&mut self, path: &str, watch: bool) -> Result<(Vec<u8>, Stat)> {
        let body = self
            .call(op::GET_DATA, path, |o| {
                o.write_string(Some(path));
                o.write_bool(watch);
            })
            .await?;
        let mut i = InputArchive::new(&body);
        let data = i.read_buffer()?.unwrap_or_default();
        Ok((data, Stat::read(&mut i)?))
    }

    pub async fn set(&mut self, path: &str, data: &[u8], version: i32) -> Result<Stat> {
        let body = self
            .call(op::SET_DATA, path, |o| {
                o.write_string(Some(path));
                o.write_buffer(Some(data));
                o.write_int(version);
            })
            .await?;
        Ok(Stat::read(&mut InputArchive::new(&body))?)
    }

    pub async fn delete(&mut self, path: &str, version: i32) -> Result<()> {
        self.call(op::DELETE, path, |o| {
            o.write_string(Some(path));
            o.write_int(version);
        })
        .await
        .map(|_| ())
    }

    pub async fn exists(&mut self, path: &str) -> Result<Option<Stat>> {
        self.exists_watched(path, false).await
    }

    /// [`ZkClient::exists`] leaving a watch even when `path` is absent: it fires once, on its
    /// create, setData or delete.
    pub async fn exists_and_watch(&mut self, path: &str) -> Result<Option<Stat>> {
        self.exists_watched(path, true).await
    }

    async fn exists_watched(&mut self, path: &str, watch: bool) -> Result<Option<Stat>> {
        match self
            .call(op::EXISTS, path, |o| {
                o.write_string(Some(path));
                o.write_bool(watch);
            })
            .await
        {
            Ok(body) => Ok(Some(Stat::read(&mut InputArchive::new(&body))?)),
            Err(ClientError::Keeper { code, .. }) if code == Code::NoNode.code() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn children(&mut self, path: &str) -> Result<Vec<String>> {
        self.children_watched(path, false).await
    }

    /// [`ZkClient::children`] leaving a child watch: it fires once, when a child comes or goes
    /// (or `path` is deleted); read again with this method to re-arm it.
    pub async fn children_and_watch(&mut self, path: &str) -> Result<Vec<String>> {
        self.children_watched(path, true).await
    }

    async fn children_watched(&mut self, path: &str, watch: bool) -> Result<Vec<String>> {
        let body = self
            .call(op::GET_CHILDREN, path, |o| {
                o.write_string(Some(path));
                o.write_bool(watch);
            })
            .await?;
        let mut i = InputArchive::new(&body);
        let n = i.read_count()?.unwrap_or(0);
        let mut names = (0..n)
            .map(|_| i.read_path())
            .collect::<crate::error::Result<Vec<_>>>()?;
        names.sort();
        Ok(names)
    }

    /// Closes the session: its ephemeral nodes go at once.
    pub async fn close(mut self) -> Result<()> {
        self.call(op::CLOSE_SESSION, "", |_| {}).await.map(|_| ())
    }
}

/// The path an op names, for error messages.
fn op_path(op: &Op) -> &str {
    match op {
        Op::Create { path, .. }
        | Op::Delete { path, .. }
        | Op::SetData { path, .. }
        | Op::Check { path, .. } => path,
        _ => "",
    }
}

/// The ops a client puts in a multi.
impl Op {
    /// A create with the open ACL; `flags` as for [`ZkClient::create`].
    pub fn create(path: &str, data: &[u8], flags: i32) -> Op {
        Op::Create {
            path: path.to_string(),
            data: data.to_vec(),
            acl: vec![Acl::open()],
            flags,
            with_stat: false,
        }
    }

    /// A delete if the version matches (−1: any version).
    pub fn delete(path: &str, version: i32) -> Op {
        Op::Delete {
            path: path.to_string(),
            version,
        }
    }

    pub fn set_data(path: &str, data: &[u8], version: i32) -> Op {
        Op::SetData {
            path: path.to_string(),
            data: data.to_vec(),
            version,
        }
    }

    /// Fails the whole multi unless `path`'s version is `version` (Kafka's check on
    /// `/controller_epoch`).
    pub fn check(path: &str, version: i32) -> Op {
        Op::Check {
            path: path.to_string(),
            version,
        }
    }
}

/// One reply packet; the server closing the connection is an error here (a reply was due).
/// [`read_frame`], failing with `TimedOut` when nothing comes for `timeout_ms`.
async fn read_frame_within(stream: &mut TcpStream, timeout_ms: i32) -> std::io::Result<Vec<u8>> {
    let limit = Duration::from_millis(timeout_ms.max(1) as u64);
    tokio::time::timeout(limit, read_frame(stream))
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within the session timeout ({timeout_ms} ms)"),
            ))
        })
}

async fn read_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    packet::read_packet(stream).await?.ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )
    })
}
