//! What a `QuorumPacket`'s `data` holds, packet by packet, as captured from ZooKeeper 3.8:
//!
//! ```text
//! FOLLOWERINFO  zxid = acceptedEpoch << 32   data = LearnerInfo (quorum_packet.rs)
//! LEADERINFO    zxid = newEpoch << 32        data = protocolVersion int (0x10000)
//! ACKEPOCH      zxid = learner's last zxid   data = currentEpoch int (-1: none yet)
//! DIFF          zxid = leader's last zxid    data = null; PROPOSAL+COMMIT pairs follow
//! TRUNC         zxid = truncate after this   data = null
//! SNAP          zxid = leader's last zxid    data = null; a SnapStream follows on the stream
//! NEWLEADER     zxid = newEpoch << 32        data = the quorum config text
//! UPTODATE      zxid = -1                    data = null
//! PROPOSAL      zxid = the txn's zxid        data = TxnHeader | txn record | TxnDigest
//! ACK, COMMIT   zxid = the txn's zxid        data = null
//! REQUEST       zxid = -1                    data = sessionId long | cxid int | type int
//!                                                   | the request record; authinfo = ids
//! PING leader→  zxid = last proposed zxid    data = null
//! PING →leader  zxid = last seen zxid        data = (sessionId long | timeout int)*
//!                                                   (empty, not null, with no sessions)
//! REVALIDATE →  zxid = -1                    data = sessionId long | timeout int
//! REVALIDATE ←  zxid = -1                    data = sessionId long | valid boolean
//! SYNC          zxid = 0                     data = null (the leader's answer to a sync)
//! ```

use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::stat::Acl;

use super::quorum_packet::no_trailing;
use super::{complete, Decoded, Result, WireError};

/// The int of LEADERINFO (protocol version) and ACKEPOCH (current epoch).
pub fn decode_int(data: &[u8], what: &'static str) -> Result<i32> {
    let mut input = InputArchive::new(data);
    let v = input.read_int()?;
    no_trailing(&input, what)?;
    Ok(v)
}

pub fn encode_int(v: i32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// `TxnHeader`, the 32 bytes in front of every transaction (in PROPOSAL and in the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnHeader {
    /// The session that asked for it.
    pub client_id: i64,
    pub cxid: i32,
    pub zxid: i64,
    /// The leader's clock when it prepared the txn, ms since the epoch.
    pub time: i64,
    /// The operation code (`ZooDefs.OpCode`): 1 create, 2 delete, 5 setData, -10
    /// createSession, -11 closeSession, -1 error, 14 multi …
    pub kind: i32,
}

impl TxnHeader {
    pub fn read(input: &mut InputArchive<'_>) -> Result<TxnHeader> {
        Ok(TxnHeader {
            client_id: input.read_long()?,
            cxid: input.read_int()?,
            zxid: input.read_long()?,
            time: input.read_long()?,
            kind: input.read_int()?,
        })
    }

    pub fn write(&self, out: &mut OutputArchive) {
        out.write_long(self.client_id);
        out.write_int(self.cxid);
        out.write_long(self.zxid);
        out.write_long(self.time);
        out.write_int(self.kind);
    }
}

/// `TxnDigest`: the leader's digest of the whole tree after this txn (3.6+,
/// `zookeeper.digest.enabled`, on by default). A follower compares it with its own digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnDigest {
    /// `DigestCalculator`'s version: 2 in 3.8.
    pub version: i32,
    pub tree_digest: i64,
}

/// A PROPOSAL's data: header, the txn record as bytes, and the digest if one follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub header: TxnHeader,
    /// The txn record (`CreateTxn`, `SetDataTxn` …) exactly as sent.
    pub txn: Vec<u8>,
    pub digest: Option<TxnDigest>,
}

impl Proposal {
    pub fn decode(data: &[u8]) -> Result<Proposal> {
        let mut input = InputArchive::new(data);
        let header = TxnHeader::read(&mut input)?;
        let start = data.len() - input.remaining();
        let len = txn_record_len(header.kind, &data[start..])?;
        let txn = data[start..start + len].to_vec();
        // `SerializeUtils.deserializeTxn` reads a digest when bytes are left after the record.
        let mut rest = InputArchive::new(&data[start + len..]);
        let digest = if rest.remaining() == 0 {
            None
        } else {
            Some(TxnDigest {
                version: rest.read_int()?,
                tree_digest: rest.read_long()?,
            })
        };
        no_trailing(&rest, "a proposal")?;
        Ok(Proposal {
            header,
            txn,
            digest,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        self.header.write(&mut out);
        out.buf.extend_from_slice(&self.txn);
        if let Some(d) = self.digest {
            out.write_int(d.version);
            out.write_long(d.tree_digest);
        }
        out.into_bytes()
    }
}

/// How many bytes the txn record of type `kind` takes at the front of `bytes`. Jute records
/// carry no length, so only the type tells where a record ends (and a digest begins).
pub fn txn_record_len(kind: i32, bytes: &[u8]) -> Result<usize> {
    let mut i = InputArchive::new(bytes);
    match kind {
        // CreateTxn: path, data, acl, ephemeral, parentCVersion (create, create2)
        1 | 15 => {
            i.read_path()?;
            i.read_buffer()?;
            read_acls(&mut i)?;
            i.read_bool()?;
            i.read_int()?;
        }
        // CreateContainerTxn: path, data, acl, parentCVersion; CreateTTLTxn adds ttl long
        19 | 21 => {
            i.read_path()?;
            i.read_buffer()?;
            read_acls(&mut i)?;
            i.read_int()?;
            if kind == 21 {
                i.read_long()?;
            }
        }
        // DeleteTxn: path (delete, deleteContainer)
        2 | 20 => {
            i.read_path()?;
        }
        // SetDataTxn: path, data, version (setData, reconfig)
        5 | 16 => {
            i.read_path()?;
            i.read_buffer()?;
            i.read_int()?;
        }
        // SetACLTxn: path, acl, version
        7 => {
            i.read_path()?;
            read_acls(&mut i)?;
            i.read_int()?;
        }
        // CheckVersionTxn: path, version
        13 => {
            i.read_path()?;
            i.read_int()?;
        }
        // MultiTxn: vector<Txn { type int, data buffer }>
        14 => {
            for _ in 0..i.read_count()?.unwrap_or(0) {
                i.read_int()?;
                i.read_buffer()?;
            }
        }
        // CreateSessionTxn: timeOut
        -10 => {
            i.read_int()?;
        }
        // CloseSessionTxn: paths2Delete vector<ustring> (the session's ephemerals)
        -11 => {
            for _ in 0..i.read_count()?.unwrap_or(0) {
                i.read_path()?;
            }
        }
        // ErrorTxn: err
        -1 => {
            i.read_int()?;
        }
        other => return Err(WireError::UnknownTxnType(other)),
    }
    Ok(bytes.len() - i.remaining())
}

fn read_acls(i: &mut InputArchive<'_>) -> Result<Vec<Acl>> {
    let n = i.read_count()?.unwrap_or(0);
    let mut acls = Vec::with_capacity(n);
    for _ in 0..n {
        acls.push(Acl::read(i)?);
    }
    Ok(acls)
}

/// A REQUEST's data: the client request a follower passes to the leader
/// (`Learner.request`). The request record is left as bytes: the leader's prep stage
/// decodes it by `kind` exactly as it decodes a client's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedRequest {
    pub session_id: i64,
    pub cxid: i32,
    /// The op code: 1 create, 5 setData, 9 sync, -10 createSession (request = timeout
    /// int), -11 closeSession (no bytes) …
    pub kind: i32,
    pub request: Vec<u8>,
}

impl ForwardedRequest {
    pub fn decode(data: &[u8]) -> Result<ForwardedRequest> {
        let mut input = InputArchive::new(data);
        let session_id = input.read_long()?;
        let cxid = input.read_int()?;
        let kind = input.read_int()?;
        Ok(ForwardedRequest {
            session_id,
            cxid,
            kind,
            request: data[16..].to_vec(),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        out.write_long(self.session_id);
        out.write_int(self.cxid);
        out.write_int(self.kind);
        out.buf.extend_from_slice(&self.request);
        out.into_bytes()
    }
}

/// A follower's PING data: the sessions its clients touched since the last ping, with their
/// timeouts (`LearnerSessionTracker.snapshot`); the leader renews each one.
pub fn decode_ping_sessions(data: &[u8]) -> Result<Vec<(i64, i32)>> {
    let mut input = InputArchive::new(data);
    let mut sessions = Vec::new();
    while input.remaining() > 0 {
        sessions.push((input.read_long()?, input.read_int()?));
    }
    Ok(sessions)
}

pub fn encode_ping_sessions(sessions: &[(i64, i32)]) -> Vec<u8> {
    let mut out = OutputArchive::new();
    for &(id, timeout) in sessions {
        out.write_long(id);
        out.write_int(timeout);
    }
    out.into_bytes()
}

/// REVALIDATE from a follower (a client reconnected to it with an existing session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevalidateRequest {
    pub session_id: i64,
    pub timeout: i32,
}

impl RevalidateRequest {
    pub fn decode(data: &[u8]) -> Result<RevalidateRequest> {
        let mut input = InputArchive::new(data);
        let r = RevalidateRequest {
            session_id: input.read_long()?,
            timeout: input.read_int()?,
        };
        no_trailing(&input, "REVALIDATE")?;
        Ok(r)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        out.write_long(self.session_id);
        out.write_int(self.timeout);
        out.into_bytes()
    }
}

/// The leader's REVALIDATE answer: is the session still alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevalidateAnswer {
    pub session_id: i64,
    pub valid: bool,
}

impl RevalidateAnswer {
    pub fn decode(data: &[u8]) -> Result<RevalidateAnswer> {
        let mut input = InputArchive::new(data);
        let r = RevalidateAnswer {
            session_id: input.read_long()?,
            valid: input.read_bool()?,
        };
        no_trailing(&input, "REVALIDATE")?;
        Ok(r)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        out.write_long(self.session_id);
        out.write_bool(self.valid);
        out.into_bytes()
    }
}

/// `StatPersisted`: a node's stat as snapshots hold it (no dataLength, no numChildren —
/// those are derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatPersisted {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub pzxid: i64,
}

impl StatPersisted {
    fn read(i: &mut InputArchive<'_>) -> Result<StatPersisted> {
        Ok(StatPersisted {
            czxid: i.read_long()?,
            mzxid: i.read_long()?,
            ctime: i.read_long()?,
            mtime: i.read_long()?,
            version: i.read_int()?,
            cversion: i.read_int()?,
            aversion: i.read_int()?,
            ephemeral_owner: i.read_long()?,
            pzxid: i.read_long()?,
        })
    }

    fn write(&self, o: &mut OutputArchive) {
        o.write_long(self.czxid);
        o.write_long(self.mzxid);
        o.write_long(self.ctime);
        o.write_long(self.mtime);
        o.write_int(self.version);
        o.write_int(self.cversion);
        o.write_int(self.aversion);
        o.write_long(self.ephemeral_owner);
        o.write_long(self.pzxid);
    }
}

/// One node of a SNAP stream (`DataTree.serializeNode`): its path, then `DataNode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapNode {
    /// The root is `""`, not `"/"`: `"/"` is the end marker.
    pub path: String,
    pub data: Option<Vec<u8>>,
    /// The node's key in the ACL cache (-1: open ACL, `world:anyone` all).
    pub acl: i64,
    pub stat: StatPersisted,
}

/// The signature the leader writes after a snapshot on the quorum stream.
pub const SNAP_SIGNATURE: &str = "BenWasHere";

/// What follows a SNAP packet on the quorum stream, outside any packet
/// (`LearnerHandler.syncFollower` → `ZKDatabase.serializeSnapshot`, then
/// `oa.writeString("BenWasHere", "signature")`):
///
/// ```text
/// sessions   count int | (sessionId long | timeout int)*
/// acl cache  count int | (id long | vector<ACL>)*          ReferenceCountedACLCache
/// nodes      (path ustring | data buffer | acl long | StatPersisted)*, pre-order from ""
/// end        path "/"
/// signature  ustring "BenWasHere"
/// ```
/// Unlike a snapshot file, there is no file header, no digest and no checksum here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapStream {
    pub sessions: Vec<(i64, i32)>,
    pub acls: Vec<(i64, Vec<Acl>)>,
    pub nodes: Vec<SnapNode>,
}

impl SnapStream {
    /// Decodes the stream at the front of `buf`; `None` until the signature has arrived.
    pub fn decode(buf: &[u8]) -> Result<Decoded<SnapStream>> {
        let mut input = InputArchive::new(buf);
        let Some(snap) = complete(Self::read(&mut input))? else {
            return Ok(None);
        };
        Ok(Some((snap, buf.len() - input.remaining())))
    }

    fn read(i: &mut InputArchive<'_>) -> Result<SnapStream> {
        // BEGIN SOLUTION step 5: sessions, then the ACL cache, then nodes until the path /, then the signature
        // ko: 세션, ACL 캐시, 경로 /가 나올 때까지 노드, 마지막으로 서명을 읽으세요
        let mut sessions = Vec::new();
        for _ in 0..count(i)? {
            sessions.push((i.read_long()?, i.read_int()?));
        }
        let mut acls = Vec::new();
        for _ in 0..count(i)? {
            let id = i.read_long()?;
            let mut list = Vec::new();
            for _ in 0..count(i)? {
                list.push(Acl::read(i)?);
            }
            acls.push((id, list));
        }
        let mut nodes = Vec::new();
        loop {
            let path = i.read_path()?;
            if path == "/" {
                break;
            }
            let data = i.read_buffer()?;
            let acl = i.read_long()?;
            let stat = StatPersisted::read(i)?;
            nodes.push(SnapNode {
                path,
                data,
                acl,
                stat,
            });
        }
        let signature = i.read_string()?.unwrap_or_default();
        if signature != SNAP_SIGNATURE {
            return Err(WireError::BadSignature(signature));
        }
        Ok(SnapStream {
            sessions,
            acls,
            nodes,
        })
        // END SOLUTION
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut o = OutputArchive::new();
        o.write_int(self.sessions.len() as i32);
        for &(id, timeout) in &self.sessions {
            o.write_long(id);
            o.write_int(timeout);
        }
        o.write_int(self.acls.len() as i32);
        for (id, list) in &self.acls {
            o.write_long(*id);
            o.write_int(list.len() as i32);
            for acl in list {
                acl.write(&mut o);
            }
        }
        for node in &self.nodes {
            o.write_string(Some(&node.path));
            o.write_buffer(node.data.as_deref());
            o.write_long(node.acl);
            node.stat.write(&mut o);
        }
        o.write_string(Some("/"));
        o.write_string(Some(SNAP_SIGNATURE));
        o.into_bytes()
    }
}

/// A count on a stream: like `read_count`, but a count larger than the bytes so far is not
/// refused (the rest may not have arrived); a negative one is.
fn count(i: &mut InputArchive<'_>) -> Result<usize> {
    let n = i.read_int()?;
    usize::try_from(n).map_err(|_| {
        WireError::Jute(lab08_znodes::Error::BadLength {
            what: "a count",
            len: n,
        })
    })
}

/// One item of what a leader sends a learner: a packet, or the snapshot that follows SNAP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromLeader {
    Packet(super::quorum_packet::QuorumPacket),
    Snapshot(SnapStream),
}

/// Reads a leader's stream as a learner does (`Learner.syncWithLeader`): packets, except
/// that right after a SNAP packet comes a [`SnapStream`].
#[derive(Debug, Default, Clone)]
pub struct LeaderStreamDecoder {
    snapshot_next: bool,
}

impl LeaderStreamDecoder {
    pub fn new() -> LeaderStreamDecoder {
        LeaderStreamDecoder::default()
    }

    /// Decodes the next item at the front of `buf`; `None` means "read more".
    pub fn decode(&mut self, buf: &[u8]) -> Result<Decoded<FromLeader>> {
        use super::quorum_packet::{PacketType, QuorumPacket};
        if self.snapshot_next {
            let Some((snap, used)) = SnapStream::decode(buf)? else {
                return Ok(None);
            };
            self.snapshot_next = false;
            return Ok(Some((FromLeader::Snapshot(snap), used)));
        }
        let Some((packet, used)) = QuorumPacket::decode(buf)? else {
            return Ok(None);
        };
        self.snapshot_next = packet.kind == PacketType::Snap;
        Ok(Some((FromLeader::Packet(packet), used)))
    }
}

impl FromLeader {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            FromLeader::Packet(p) => p.encode(),
            FromLeader::Snapshot(s) => s.encode(),
        }
    }
}
