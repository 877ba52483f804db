//! Step 3: a snapshot in ZooKeeper's `FileSnap` format holds the tree and the sessions — ZooKeeper's
//! own (`tests/data/zk38-snapshot.11`) and ours; a damaged one is refused.

use lab08_znodes::proto::{ConnectRequest, Op};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::{session_passwd, SessionLimits};
use lab08_znodes::standalone::Standalone;
use lab08_znodes::stat::Acl;
use lab09_persistence::snapshot::{decode, encode};

const ZK_SNAPSHOT: &[u8] = include_bytes!("data/zk38-snapshot.11");

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
    for (i, (path, flags)) in [("/brokers", 0), ("/brokers/1", 1), ("/brokers/seq-", 2)]
        .into_iter()
        .enumerate()
    {
        s.submit(c.session_id, &create(path, flags), 1_001 + i as i64)
            .1
            .unwrap();
    }
    s.submit(
        c.session_id,
        &Op::Delete {
            path: "/brokers/seq-0000000001".into(),
            version: -1,
        },
        1_010,
    )
    .1
    .unwrap();
    s.server
}

#[test]
fn step3_zookeepers_own_snapshot_reads_whole() {
    let snap = decode(ZK_SNAPSHOT, 0x11).unwrap();
    assert_eq!(snap.zxid, 0x11, "from the file name");
    let paths: Vec<&String> = snap.tree.nodes().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "/",
            "/app",
            "/app/after",
            "/app/m",
            "/app/seq-0000000000",
            "/zookeeper",
            "/zookeeper/config",
            "/zookeeper/quota"
        ]
    );
    let app = snap.tree.node("/app").unwrap();
    assert_eq!(app.data, b"v3");
    // 7 children created, 3 left: a client sees cversion 2 × 7 − 3.
    let s = app.stat;
    assert_eq!(
        (
            s.czxid,
            s.mzxid,
            s.pzxid,
            s.version,
            s.cversion,
            s.num_children,
            s.data_length
        ),
        (2, 0xa, 0x10, 2, 11, 3, 2)
    );
    assert_eq!(app.creates(), 7, "the next sequential child is …0000000007");
    assert_eq!(snap.tree.node("/app/after").unwrap().data, "ü".as_bytes());
    let acl = &snap.tree.node("/app/seq-0000000000").unwrap().acl;
    assert_eq!(
        (acl[0].scheme.as_str(), acl[0].id.as_str()),
        ("digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")
    );
    assert_eq!(
        snap.tree.node("/").unwrap().acl,
        [Acl::open()],
        "ACL −1 is world:anyone:cdrwa"
    );
    assert_eq!(
        snap.tree.stat("/zookeeper").unwrap().cversion,
        -2,
        "as ZooKeeper shows it"
    );
}

#[test]
fn step3_our_snapshot_restores_tree_and_sessions() {
    let s = server();
    let snap = decode(&encode(&s), s.zxid).unwrap();
    assert_eq!(snap.zxid, s.zxid);
    assert_eq!(snap.sessions.len(), 1);
    let session = &snap.sessions[0];
    assert_eq!(session.id, *s.sessions.keys().next().unwrap());
    assert_eq!(
        (session.timeout_ms, session.passwd.clone()),
        (10_000, session_passwd(session.id)),
        "no password on disk: it is derived from the id"
    );
    assert_eq!(
        snap.tree, s.tree,
        "every node, stat, child list and ephemeral owner"
    );
}

#[test]
fn step3_damage_is_refused() {
    let bytes = encode(&server());
    assert!(decode(&bytes[..bytes.len() / 2], 1).is_err());
    let at = bytes
        .windows(9)
        .position(|w| w == b"/brokers/")
        .expect("a node's path")
        + 16;
    let mut flipped = bytes.clone();
    flipped[at] ^= 1; // in /brokers/1's data, after its path (10 bytes) and the data's length
    assert!(decode(&flipped, 1).unwrap_err().contains("checksum"));
    assert!(decode(b"nope", 1).is_err());
    let mut wrong = bytes.clone();
    wrong[0] = b'X';
    assert!(decode(&wrong, 1).unwrap_err().contains("ZKSN"));
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
    let snap = decode(&bytes, 9).unwrap();
    assert_eq!(snap.tree.node("/ro2").unwrap().acl, read_only);
    assert_eq!(snap.tree.node("/brokers").unwrap().acl, vec![Acl::open()]);
}

/// A snapshot's body — sessions, ACL cache, nodes — is also what a ZooKeeper leader streams to a
/// follower that is too far behind (ZAB's SNAP, lab 10): the same bytes, followed by the string
/// "BenWasHere" instead of a seal.
#[test]
fn step3_the_body_alone_is_what_a_snap_sync_streams() {
    use lab08_znodes::jute::{InputArchive, OutputArchive};
    use lab09_persistence::snapshot::{read_body, write_body};
    let s = server();
    let mut o = OutputArchive::new();
    write_body(&mut o, &s);
    let body = o.buf.clone();
    assert_eq!(
        &encode(&s)[16..16 + body.len()],
        &body[..],
        "after the file header"
    );
    o.write_string(Some("BenWasHere"));
    let bytes = o.into_bytes();
    let mut i = InputArchive::new(&bytes);
    let (sessions, tree) = read_body(&mut i).unwrap();
    assert_eq!((sessions.len(), tree), (1, s.tree));
    assert_eq!(i.read_path().unwrap(), "BenWasHere");
}
