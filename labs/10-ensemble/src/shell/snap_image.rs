//! A server's state as the image a SNAP sync streams (`ZKDatabase.serializeSnapshot`): the
//! sessions with their timeouts, the ACL cache, the nodes in pre-order — and back.
//!
//! A session's password is not in the image: ZooKeeper derives it from the session id and a
//! fixed secret (`SessionTrackerImpl` → `ZooKeeperServer.generatePasswd`: `new
//! Random(id ^ superSecret).nextBytes(16)`), so every server of the ensemble computes the same
//! one, and a client that moves to another server is recognised there. [`session_passwd`]
//! does the same arithmetic as `java.util.Random`.

use std::collections::BTreeMap;

use lab08_znodes::data_tree::{DataNode, DataTree};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::Session;
use lab08_znodes::stat::{Acl, Stat};
use lab09_persistence::acl_cache::AclCache;

use crate::wire::packets::{SnapNode, SnapStream, StatPersisted};

/// `ZooKeeperServer.superSecret`.
const SUPER_SECRET: i64 = 0xB341_5C00;

/// The password of session `id`, as every ZooKeeper server computes it.
pub fn session_passwd(id: i64) -> Vec<u8> {
    // java.util.Random: a 48-bit linear congruential generator.
    const MULTIPLIER: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;
    let mut seed = ((id ^ SUPER_SECRET) ^ MULTIPLIER) & MASK;
    let mut next_int = || {
        seed = (seed.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        (seed >> 16) as i32
    };
    let mut bytes = Vec::with_capacity(16);
    while bytes.len() < 16 {
        let mut rnd = next_int();
        for _ in 0..4.min(16 - bytes.len()) {
            bytes.push(rnd as u8);
            rnd >>= 8;
        }
    }
    bytes
}

/// The image of `server` (its whole committed state).
pub fn image_of(server: &ZkServer) -> SnapStream {
    let sessions = server
        .sessions
        .keys()
        .filter_map(|id| server.sessions.get(*id))
        .map(|s| (s.id, s.timeout_ms))
        .collect();
    let mut cache = AclCache::default();
    let nodes: Vec<SnapNode> = server
        .tree
        .nodes()
        .map(|(path, node)| SnapNode {
            // The root is "" in the stream: "/" ends it.
            path: if path == "/" {
                String::new()
            } else {
                path.clone()
            },
            data: Some(node.data.clone()),
            acl: cache.number(&node.acl),
            stat: StatPersisted {
                czxid: node.stat.czxid,
                mzxid: node.stat.mzxid,
                ctime: node.stat.ctime,
                mtime: node.stat.mtime,
                version: node.stat.version,
                cversion: node.stat.cversion,
                aversion: node.stat.aversion,
                ephemeral_owner: node.stat.ephemeral_owner,
                pzxid: node.stat.pzxid,
            },
        })
        .collect();
    let mut acls = Vec::new();
    let mut n = 1;
    while let Some(list) = cache.list(n) {
        acls.push((n, list.to_vec()));
        n += 1;
    }
    SnapStream {
        sessions,
        acls,
        nodes,
    }
}

/// A fresh server holding `image` at `zxid` (its sessions' clocks start at `now_ms`).
pub fn server_from_image(
    image: &SnapStream,
    zxid: i64,
    mut server: ZkServer,
    now_ms: i64,
) -> ZkServer {
    let acls: BTreeMap<i64, &Vec<Acl>> = image.acls.iter().map(|(n, l)| (*n, l)).collect();
    let mut nodes: Vec<(String, DataNode)> = image
        .nodes
        .iter()
        .map(|n| {
            let data = n.data.clone().unwrap_or_default();
            let acl = match acls.get(&n.acl) {
                Some(list) => (*list).clone(),
                // -1 is ZooKeeper's number for the open ACL.
                None => vec![Acl::open()],
            };
            let s = n.stat;
            let stat = Stat {
                czxid: s.czxid,
                mzxid: s.mzxid,
                ctime: s.ctime,
                mtime: s.mtime,
                version: s.version,
                cversion: s.cversion,
                aversion: s.aversion,
                ephemeral_owner: s.ephemeral_owner,
                data_length: data.len() as i32,
                num_children: 0,
                pzxid: s.pzxid,
            };
            let path = if n.path.is_empty() {
                "/".to_string()
            } else {
                n.path.clone()
            };
            (
                path,
                DataNode {
                    data,
                    acl,
                    stat,
                    children: Default::default(),
                },
            )
        })
        .collect();
    // numChildren is derived, as ZooKeeper derives it when it reads a snapshot.
    let mut counts: BTreeMap<String, i32> = BTreeMap::new();
    for (path, _) in &nodes {
        if path != "/" {
            *counts
                .entry(lab08_znodes::data_tree::parent_of(path).to_string())
                .or_default() += 1;
        }
    }
    for (path, node) in &mut nodes {
        node.stat.num_children = counts.get(path).copied().unwrap_or(0);
    }
    let sessions = image
        .sessions
        .iter()
        .map(|&(id, timeout_ms)| Session {
            id,
            passwd: session_passwd(id),
            timeout_ms,
            last_seen_ms: now_ms,
        })
        .collect();
    server.restore(DataTree::from_nodes(nodes), sessions, zxid);
    server
}
