//! Snapshots: the whole tree and the sessions at one zxid, so a restart replays only the log
//! after it — ZooKeeper's `FileSnap`, `version-2/snapshot.<zxid in hex>`.
//!
//! ```text
//! magic "ZKSN" | version int (2) | zxid long
//! | sessions int, then per session: id long | timeout int | passwd buffer
//! | ACL map (`acl_cache.rs`): lists int, then per list: number long | acls vector<ACL>
//! | nodes int, then per node: path ustring | data buffer | acl long (its list's number) | Stat
//! | crc32c u32 of everything before it
//! ```
//! Version 1 (before lab 08's step 7) had no ACL map and each node's list inline
//! (`acls vector<ACL>` where the number is now); it still loads.
//! Written to a temporary file, fsynced, then renamed: a crash leaves the old snapshot or the
//! new one, never half of one.

use std::io::Write;
use std::path::{Path, PathBuf};

use lab08_znodes::data_tree::{DataNode, DataTree};
use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::proto::read_acls;
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::Session;
use lab08_znodes::stat::Stat;

use crate::acl_cache::AclCache;
use crate::error::{io, Error, Result};

const MAGIC: &[u8; 4] = b"ZKSN";

/// The snapshot of `server`.
pub fn encode(server: &ZkServer) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.buf.extend_from_slice(MAGIC);
    o.write_int(2);
    o.write_long(server.zxid);
    o.write_int(server.sessions.len() as i32);
    for s in server.sessions.values() {
        o.write_long(s.id);
        o.write_int(s.timeout_ms);
        o.write_buffer(Some(&s.passwd));
    }
    let mut acls = AclCache::default();
    let numbers: Vec<i64> = server
        .tree
        .nodes()
        .map(|(_, node)| acls.number(&node.acl))
        .collect();
    acls.write(&mut o);
    o.write_int(server.tree.node_count() as i32);
    for ((path, node), number) in server.tree.nodes().zip(numbers) {
        o.write_string(Some(path));
        o.write_buffer(Some(&node.data));
        o.write_long(number);
        node.stat.write(&mut o);
    }
    let crc = crc32c::crc32c(&o.buf);
    o.buf.extend_from_slice(&crc.to_be_bytes());
    o.into_bytes()
}

/// What a snapshot holds.
#[derive(Debug)]
pub struct Snapshot {
    pub zxid: i64,
    pub sessions: Vec<Session>,
    pub tree: DataTree,
}

/// Reads a snapshot, checking its magic and checksum first.
pub fn decode(bytes: &[u8]) -> std::result::Result<Snapshot, String> {
    // BEGIN SOLUTION step 3: check length, magic and the trailing CRC-32C (a mismatch is an Err saying checksum); then read zxid, sessions and nodes
    // ko: 길이, 매직, 끝의 CRC-32C를 확인하고(다르면 checksum이라고 말하는 Err) zxid, 세션, 노드를 읽으세요
    if bytes.len() < 4 + 4 + 8 + 4 || &bytes[..4] != MAGIC {
        return Err("not a snapshot (no ZKSN magic)".into());
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32c::crc32c(body) != u32::from_be_bytes(crc.try_into().expect("4 bytes")) {
        return Err("checksum mismatch".into());
    }
    let read = || -> lab08_znodes::Result<Snapshot> {
        let mut i = InputArchive::new(&body[4..]);
        let version = i.read_int()?;
        let zxid = i.read_long()?;
        let n = i.read_count()?.unwrap_or(0);
        let mut sessions = Vec::with_capacity(n);
        for _ in 0..n {
            let id = i.read_long()?;
            let timeout_ms = i.read_int()?;
            let passwd = i.read_buffer()?.unwrap_or_default();
            sessions.push(Session {
                id,
                passwd,
                timeout_ms,
                last_seen_ms: 0,
            });
        }
        // Version 2 numbers the ACL lists; version 1 wrote each node's list inline.
        let acls = if version >= 2 {
            Some(AclCache::read(&mut i)?)
        } else {
            None
        };
        let n = i.read_count()?.unwrap_or(0);
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            let path = i.read_path()?;
            let data = i.read_buffer()?.unwrap_or_default();
            let acl = match &acls {
                Some(cache) => {
                    let number = i.read_long()?;
                    cache
                        .list(number)
                        .ok_or(lab08_znodes::Error::UnknownAcl(number))?
                        .to_vec()
                }
                None => read_acls(&mut i)?,
            };
            let stat = Stat::read(&mut i)?;
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
        Ok(Snapshot {
            zxid,
            sessions,
            tree: DataTree::from_nodes(nodes),
        })
    };
    read().map_err(|e| e.to_string())
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
    for (_, path) in snaps {
        let bytes = std::fs::read(&path).map_err(io("read", &path))?;
        match decode(&bytes) {
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
