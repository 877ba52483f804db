//! Step 3: a snapshot holds the tree and the sessions; a damaged one is refused.

use lab08_znodes::proto::{ConnectRequest, Op};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::SessionLimits;
use lab08_znodes::standalone::Standalone;
use lab08_znodes::stat::Acl;
use lab09_persistence::snapshot::{decode, encode};

fn server() -> ZkServer {
    let mut s = Standalone::new(ZkServer::new(
        SessionLimits {
            min_ms: 4_000,
            max_ms: 40_000,
        },
        1,
        1_000,
    ));
    let (c, _) = s.connect(
        &ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: 10_000,
            session_id: 0,
            passwd: vec![0; 16],
            read_only: false,
        },
        1_000,
    );
    let create = |path: &str, flags| Op::Create {
        path: path.into(),
        data: path.as_bytes().to_vec(),
        acl: vec![Acl::open()],
        flags,
        with_stat: false,
    };
    s.submit(c.session_id, &create("/brokers", 0), 1_001)
        .1
        .unwrap();
    s.submit(c.session_id, &create("/brokers/1", 1), 1_002)
        .1
        .unwrap();
    s.submit(c.session_id, &create("/brokers/seq-", 2), 1_003)
        .1
        .unwrap();
    s.server
}

#[test]
fn step3_a_snapshot_restores_tree_sessions_and_zxid() {
    let s = server();
    let snap = decode(&encode(&s)).unwrap();
    assert_eq!(snap.zxid, s.zxid);
    assert_eq!(snap.sessions.len(), 1);
    assert_eq!(snap.sessions[0].id, *s.sessions.keys().next().unwrap());
    assert_eq!(
        snap.tree, s.tree,
        "every node, stat, child list and ephemeral owner"
    );
}

#[test]
fn step3_damage_is_refused() {
    let bytes = encode(&server());
    assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    let mut flipped = bytes.clone();
    flipped[40] ^= 1;
    assert!(decode(&flipped).unwrap_err().contains("checksum"));
    assert!(decode(b"nope").is_err());
}

/// ZooKeeper's `ReferenceCountedACLCache`: each distinct ACL list is written once, with a
/// number, and nodes name their list by number.
#[test]
fn step3_acl_lists_are_written_once_and_named_by_number() {
    let mut s = server();
    let read_only = vec![Acl {
        perms: 1,
        scheme: "world".into(),
        id: "anyone".into(),
    }];
    for path in ["/ro1", "/ro2"] {
        s.tree
            .create(
                path,
                b"",
                &read_only,
                lab08_znodes::CreateMode::from_flags(0).unwrap(),
                0,
                9,
                0,
            )
            .unwrap();
    }
    let bytes = encode(&s);
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    assert_eq!(count(b"anyone"), 2, "two distinct lists, each written once");
    let snap = decode(&bytes).unwrap();
    assert_eq!(snap.tree.node("/ro2").unwrap().acl, read_only);
    assert_eq!(snap.tree.node("/brokers").unwrap().acl, vec![Acl::open()]);
}

/// A snapshot written before ACL lists were numbered (version 1: each node's list inline)
/// still loads.
#[test]
fn step3_a_version_1_snapshot_still_loads() {
    use lab08_znodes::jute::OutputArchive;
    let s = server();
    let mut o = OutputArchive::new();
    o.buf.extend_from_slice(b"ZKSN");
    o.write_int(1);
    o.write_long(s.zxid);
    o.write_int(0); // no sessions
    o.write_int(s.tree.node_count() as i32);
    for (path, node) in s.tree.nodes() {
        o.write_string(Some(path));
        o.write_buffer(Some(&node.data));
        lab08_znodes::proto::write_acls(&mut o, &node.acl);
        node.stat.write(&mut o);
    }
    let crc = crc32c::crc32c(&o.buf);
    o.buf.extend_from_slice(&crc.to_be_bytes());
    let snap = decode(&o.into_bytes()).unwrap();
    assert_eq!(snap.zxid, s.zxid);
    assert_eq!(snap.tree, s.tree);
}
