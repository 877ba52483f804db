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
