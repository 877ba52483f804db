//! A small ZooKeeper client over the same records: enough for `kafkalab zookeeper-shell` and
//! for tests. One request at a time; notifications (xid −1) are skipped.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::code::Code;
use crate::jute::{InputArchive, OutputArchive};
use crate::packet;
use crate::proto::{op, read_acls, write_acls};
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
        let body = read_frame(&mut stream)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut i = InputArchive::new(&body);
        let _version = i.read_int()?;
        let timeout = i.read_int()?;
        let session_id = i.read_long()?;
        if timeout <= 0 {
            return Err(fail("the server refused the session".into()));
        }
        Ok(ZkClient {
            stream,
            xid: 0,
            session_id,
            timeout_ms: timeout,
        })
    }

    /// Sends one request and returns the reply body, or ZooKeeper's error for `path`.
    async fn call(
        &mut self,
        kind: i32,
        path: &str,
        body: impl FnOnce(&mut OutputArchive),
    ) -> Result<Vec<u8>> {
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
        let io = |e: std::io::Error| ClientError::Io(e.to_string());
        self.stream
            .write_all(&packet::frame(&o.into_bytes()))
            .await
            .map_err(io)?;
        loop {
            let reply = read_frame(&mut self.stream).await.map_err(io)?;
            let mut i = InputArchive::new(&reply);
            let reply_xid = i.read_int()?;
            let _zxid = i.read_long()?;
            let err = i.read_int()?;
            if reply_xid == -1 {
                continue; // a watch notification
            }
            if err != 0 {
                return Err(ClientError::Keeper {
                    code: err,
                    message: message(err),
                    path: path.to_string(),
                });
            }
            let start = reply.len() - i.remaining();
            return Ok(reply[start..].to_vec());
        }
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
        let body = self
            .call(op::GET_DATA, path, |o| {
                o.write_string(Some(path));
                o.write_bool(false);
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
        match self
            .call(op::EXISTS, path, |o| {
                o.write_string(Some(path));
                o.write_bool(false);
            })
            .await
        {
            Ok(body) => Ok(Some(Stat::read(&mut InputArchive::new(&body))?)),
            Err(ClientError::Keeper { code, .. }) if code == Code::NoNode.code() => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn children(&mut self, path: &str) -> Result<Vec<String>> {
        let body = self
            .call(op::GET_CHILDREN, path, |o| {
                o.write_string(Some(path));
                o.write_bool(false);
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

/// One reply packet; the server closing the connection is an error here (a reply was due).
async fn read_frame(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    packet::read_packet(stream).await?.ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        )
    })
}
