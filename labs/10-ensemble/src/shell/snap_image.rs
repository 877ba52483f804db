//! A server's state as the image a SNAP sync streams (`ZKDatabase.serializeSnapshot`): the
//! sessions with their timeouts, the ACL cache, the nodes in pre-order — and back.
//!
//! A session's password is not in the image: every server derives it from the session id
//! (lab 08's `session_passwd`, as ZooKeeper's `generatePasswd`).

use std::collections::BTreeMap;

use lab08_znodes::data_tree::{DataNode, DataTree};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::{session_passwd, Session};
use lab08_znodes::stat::{Acl, Stat};
use lab09_persistence::acl_cache::AclCache;

use crate::wire::packets::{SnapNode, SnapStream, StatPersisted};

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
