//! Snapshots: the whole tree and the sessions at one zxid, so a restart replays only the log
//! after it — ZooKeeper's `FileSnap`, in its own format (`SnapshotFormatter` prints ours, we
//! read its own): `version-2/snapshot.<zxid in hex>`. The zxid is only in the name.
//!
//! ```text
//! FileHeader  magic int ("ZKSN") | version int (2) | dbid long (−1)
//! sessions    count int, then per session: id long | timeOut int   (no password: derived)
//! ACL cache   count int, then per list: number long | acls vector<ACL>   (`acl_cache.rs`)
//! nodes       parents before children, the root first under the path "":
//!             path ustring | data buffer | acl long (its list's number; −1: world:anyone)
//!             | StatPersisted: czxid mzxid ctime mtime long | version cversion aversion int
//!                              | ephemeralOwner pzxid long
//!             then the path "/": no more nodes
//! seal        Adler-32 of every byte before it, as a long | "/" ustring
//! digest      ZxidDigest: zxid long | digestVersion int | digest long  (ours: empty, zxid 0)
//! seal        Adler-32 of every byte before it (the first seal too) | "/"
//! ```
//! `StatPersisted` has no `dataLength` or `numChildren` (the data and the children give them),
//! and its `cversion` counts creates only (`DataNode::creates`); a reader rebuilds what a
//! client sees. Written to a temporary file, fsynced, then renamed: a crash leaves the old
//! snapshot or the new one, never half of one.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use lab08_znodes::data_tree::{parent_of, DataNode, DataTree};
use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::{session_passwd, Session};
use lab08_znodes::stat::Stat;

use crate::acl_cache::AclCache;
use crate::adler32::adler32;
use crate::error::{io, Error, Result};

/// `FileSnap.SNAP_MAGIC`: "ZKSN" read as a big-endian int.
pub const MAGIC: &[u8; 4] = b"ZKSN";

/// The snapshot of `server`, in ZooKeeper's format: header, body, seal, digest, seal.
pub fn encode(server: &ZkServer) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.buf.extend_from_slice(MAGIC);
    o.write_int(2);
    o.write_long(-1);
    write_body(&mut o, server);
    seal(&mut o);
    o.write_long(0); // an empty ZxidDigest: zxid 0, digest version 2, digest 0
    o.write_int(2);
    o.write_long(0);
    seal(&mut o);
    o.into_bytes()
}

/// The body of a snapshot — sessions, ACL cache, nodes, "/" — as ZooKeeper's
/// `ZKDatabase.serializeSnapshot` writes it. It is also what a leader streams to a follower that
/// is too far behind (ZAB's SNAP, lab 10), followed there by the string "BenWasHere" instead of
/// a seal.
pub fn write_body(o: &mut OutputArchive, server: &ZkServer) {
    o.write_int(server.sessions.len() as i32);
    for s in server.sessions.values() {
        o.write_long(s.id);
        o.write_int(s.timeout_ms);
    }
    let mut acls = AclCache::default();
    let numbers: HashMap<&str, i64> = server
        .tree
        .nodes()
        .map(|(path, node)| (path.as_str(), acls.number(&node.acl)))
        .collect();
    acls.write(o);
    // Path order puts every parent before its children, as ZooKeeper's depth-first walk does.
    for (path, node) in server.tree.nodes() {
        o.write_string(Some(if path == "/" { "" } else { path }));
        o.write_buffer(Some(&node.data));
        o.write_long(numbers[path.as_str()]);
        write_stat_persisted(o, node);
    }
    o.write_string(Some("/"));
}

/// `SnapStream.sealStream`: the Adler-32 of everything so far, then "/".
fn seal(o: &mut OutputArchive) {
    let sum = adler32(&o.buf);
    o.write_long(i64::from(sum));
    o.write_string(Some("/"));
}

fn write_stat_persisted(o: &mut OutputArchive, node: &DataNode) {
    let s = &node.stat;
    o.write_long(s.czxid);
    o.write_long(s.mzxid);
    o.write_long(s.ctime);
    o.write_long(s.mtime);
    o.write_int(s.version);
    o.write_int(node.creates());
    o.write_int(s.aversion);
    o.write_long(s.ephemeral_owner);
    o.write_long(s.pzxid);
}

/// A `StatPersisted`: a `Stat` whose `cversion` is still the count of creates, and whose
/// `dataLength` and `numChildren` are not known yet.
fn read_stat_persisted(i: &mut InputArchive<'_>) -> lab08_znodes::Result<Stat> {
    Ok(Stat {
        czxid: i.read_long()?,
        mzxid: i.read_long()?,
        ctime: i.read_long()?,
        mtime: i.read_long()?,
        version: i.read_int()?,
        cversion: i.read_int()?,
        aversion: i.read_int()?,
        ephemeral_owner: i.read_long()?,
        pzxid: i.read_long()?,
        data_length: 0,
        num_children: 0,
    })
}

/// Nodes by path, as a snapshot lists them.
type Nodes = Vec<(String, DataNode)>;

/// What a snapshot holds — read from ZooKeeper's layout (see the module doc for each field):
///
/// ```text
/// "ZKSN" | 2 | dbid −1 | sessions | ACL cache | nodes … "/" | seal | ZxidDigest | seal
/// ```
#[derive(Debug)]
pub struct Snapshot {
    pub zxid: i64,
    pub sessions: Vec<Session>,
    pub tree: DataTree,
}

/// Reads a snapshot file taken at `zxid` (the number in its file name): its header, its body
/// ([`read_body`]) and the seal after it.
pub fn decode(bytes: &[u8], zxid: i64) -> std::result::Result<Snapshot, String> {
    // BEGIN SOLUTION step 3: check the header; read the body after it; check the seal that follows (a mismatch is an Err saying checksum)
    // ko: 헤더를 확인하고 그 뒤의 본문을 읽은 다음, 이어지는 봉인을 확인하세요(다르면 checksum이라고 말하는 Err)
    if bytes.len() < 16 || &bytes[..4] != MAGIC {
        return Err("not a ZooKeeper snapshot (no ZKSN magic)".into());
    }
    let mut i = InputArchive::new(&bytes[16..]);
    let (sessions, tree) = read_body(&mut i)?;
    let sealed_at = bytes.len() - i.remaining();
    let seal = i
        .read_long()
        .map_err(|e| format!("no seal after the nodes: {e}"))?;
    if i64::from(adler32(&bytes[..sealed_at])) != seal {
        return Err("checksum mismatch".into());
    }
    Ok(Snapshot {
        zxid,
        sessions,
        tree,
    })
    // END SOLUTION
}

/// Reads a snapshot's body ([`write_body`]): the sessions and the tree, with what a client sees
/// rebuilt — `dataLength`, `numChildren` and the client's `cversion` — and every node's parent
/// and ACL number checked.
pub fn read_body(
    i: &mut InputArchive<'_>,
) -> std::result::Result<(Vec<Session>, DataTree), String> {
    // BEGIN SOLUTION step 3: read the sessions, the ACL cache and the nodes up to the path /; refuse an unknown ACL number or a missing parent; rebuild dataLength, numChildren and the cversion clients see
    // ko: 세션, ACL 캐시, 경로 /까지의 노드를 읽으세요. 모르는 ACL 번호나 없는 부모는 거부하고, dataLength, numChildren, 클라이언트가 보는 cversion을 다시 만드세요
    let read = |i: &mut InputArchive<'_>| -> lab08_znodes::Result<(Vec<Session>, Nodes)> {
        let n = i.read_count()?.unwrap_or(0);
        let mut sessions = Vec::with_capacity(n);
        for _ in 0..n {
            let id = i.read_long()?;
            sessions.push(Session {
                id,
                passwd: session_passwd(id),
                timeout_ms: i.read_int()?,
                last_seen_ms: 0,
            });
        }
        let acls = AclCache::read(i)?;
        let mut nodes = Vec::new();
        loop {
            let path = i.read_path()?;
            if path == "/" {
                break;
            }
            let data = i.read_buffer()?.unwrap_or_default();
            let number = i.read_long()?;
            let acl = acls
                .list(number)
                .ok_or(lab08_znodes::Error::UnknownAcl(number))?
                .to_vec();
            let stat = read_stat_persisted(i)?;
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            nodes.push((
                path,
                DataNode {
                    data,
                    acl,
                    stat,
                    children: Default::default(),
                },
            ));
        }
        Ok((sessions, nodes))
    };
    let (sessions, mut nodes) = read(i).map_err(|e| e.to_string())?;
    let known: HashSet<&str> = nodes.iter().map(|(p, _)| p.as_str()).collect();
    if let Some((orphan, _)) = nodes
        .iter()
        .find(|(p, _)| p != "/" && !known.contains(parent_of(p)))
    {
        return Err(format!("{orphan} comes without its parent"));
    }
    let mut children: HashMap<String, i32> = HashMap::new();
    for (path, _) in nodes.iter().filter(|(p, _)| p != "/") {
        *children.entry(parent_of(path).to_string()).or_default() += 1;
    }
    for (path, node) in &mut nodes {
        let n = children.get(path.as_str()).copied().unwrap_or(0);
        node.stat.data_length = node.data.len() as i32;
        node.stat.num_children = n;
        node.stat.cversion = DataNode::client_cversion(node.stat.cversion, n);
    }
    Ok((sessions, DataTree::from_nodes(nodes)))
    // END SOLUTION
}

/// Writes a snapshot of `server` into `dir` atomically; returns its path.
pub fn write(dir: &Path, server: &ZkServer) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    let path = dir.join(format!("snapshot.{:x}", server.zxid));
    let tmp = dir.join(format!(".snapshot.{:x}.tmp", server.zxid));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(&encode(server)).map_err(io("write", &tmp))?;
        f.sync_all().map_err(io("fsync", &tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(io("rename", &tmp))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

/// The newest snapshot in `dir` that reads whole; damaged ones are skipped with a warning
/// (an older snapshot plus more log gives the same state).
pub fn newest_valid(dir: &Path) -> Result<Option<Snapshot>> {
    let mut snaps = crate::txn_log::files_named(dir, "snapshot.")?;
    snaps.reverse();
    for (zxid, path) in snaps {
        let bytes = std::fs::read(&path).map_err(io("read", &path))?;
        match decode(&bytes, zxid) {
            Ok(s) => return Ok(Some(s)),
            Err(reason) => {
                tracing::warn!(snapshot = %path.display(), "skipping a damaged snapshot: {reason}")
            }
        }
    }
    Ok(None)
}

pub fn bad(path: &Path, reason: String) -> Error {
    Error::BadRecord {
        path: path.display().to_string(),
        reason,
    }
}
