//! Step 5, through the server: sessions, their expiry, and the request chain (prep → commit)
//! that every write, session creation and session end goes through.

use lab08_znodes::prep_request_processor::{PrepRequestProcessor, Prepped, Request};
use lab08_znodes::proto::{ConnectRequest, Op, OpResult};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::{session_passwd, SessionLimits};
use lab08_znodes::standalone::Standalone;
use lab08_znodes::stat::Acl;
use lab08_znodes::txn::Txn;
use lab08_znodes::Code;

const LIMITS: SessionLimits = SessionLimits {
    min_ms: 4_000,
    max_ms: 40_000,
};

fn connect(timeout: i32) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: timeout,
        session_id: 0,
        passwd: vec![0; 16],
        read_only: false,
    }
}

fn create(path: &str, flags: i32) -> Op {
    Op::Create {
        path: path.into(),
        data: vec![],
        acl: vec![Acl::open()],
        flags,
        with_stat: false,
    }
}

#[test]
fn step5_an_expired_session_ends_in_a_close_session_transaction() {
    let mut zk = Standalone::new(ZkServer::with_tick(LIMITS, 3, 1_000, 1_000));
    let (a, txn) = zk.connect(&connect(6_000), 1_000);
    assert_eq!(a.session_id >> 56, 3, "myid in the session id's top byte");
    assert_eq!(txn.map(|t| t.zxid), Some(1), "createSession takes a zxid");
    // The password is ZooKeeper's: derived from the id (Random(id ^ superSecret)), so any
    // server, ours or ZooKeeper's, accepts a reconnect. The bytes Java 17 prints for
    // `new Random(0x10000056e680000L ^ 0xB3415C00L).nextBytes(new byte[16])`:
    assert_eq!(a.passwd, session_passwd(a.session_id));
    assert_eq!(
        session_passwd(0x0100_0005_6e68_0000),
        [
            0x2a, 0xa3, 0x78, 0x99, 0x6f, 0x66, 0x42, 0x5e, 0x18, 0x23, 0xa2, 0x22, 0xd0, 0xc9,
            0x52, 0x2a
        ]
    );
    let (b, _) = zk.connect(&connect(100), 1_000);
    assert_eq!(b.time_out, 4_000, "clamped to minSessionTimeout");
    zk.submit(a.session_id, &create("/brokers", 0), 1_100)
        .1
        .unwrap();
    zk.submit(a.session_id, &create("/brokers/1", 1), 1_200)
        .1
        .unwrap();
    // b pings at 4,000: its deadline moves to 8,000 rounded up to the tick: 9,000.
    assert_eq!(
        zk.submit(b.session_id, &Op::Ping, 4_000).1,
        Ok(OpResult::Empty)
    );
    assert!(
        zk.expire(7_000).is_empty(),
        "a's deadline is 8,000 (7,200 rounded up)"
    );
    let closed = zk.expire(8_000);
    assert_eq!(closed.len(), 1);
    assert_eq!(
        closed[0].txn,
        Txn::CloseSession {
            session: a.session_id,
            ephemerals: vec!["/brokers/1".to_string()],
        },
        "ZooKeeper's CloseSessionTxn names the ephemeral nodes that go"
    );
    assert_eq!(zk.server.tree.stat("/brokers/1"), Err(Code::NoNode));
    // That b's watch hears the node go is step 6's `step6_an_expired_sessions_node_fires_its_watch`.
    assert_eq!(
        zk.submit(a.session_id, &Op::Ping, 8_001).1,
        Err(Code::SessionExpired)
    );
    assert!(zk.expire(8_500).is_empty(), "an expiry is submitted once");
    assert_eq!(zk.expire(9_000).len(), 1, "b, silent since 4,000");
    assert!(zk.server.sessions.is_empty());
}

#[test]
fn step5_prep_checks_each_write_against_the_outstanding_ones() {
    let mut server = ZkServer::new(LIMITS, 1, 1_000);
    let mut prep = PrepRequestProcessor::new(&server);
    let connected = prep.prep(
        &mut server.sessions,
        Request::Connect(&connect(10_000)),
        1_000,
    );
    let Prepped::Txn(t) = connected else {
        panic!("a new session is a transaction: {connected:?}")
    };
    server.commit(&t).unwrap();
    prep.committed(t.zxid);
    let Txn::CreateSession { session, .. } = t.txn else {
        panic!("{t:?}")
    };
    // One batch, prepared before anything commits (as while its fsync runs).
    let ops = [
        create("/a", 0),
        create("/a/b", 0),
        create("/a/s-", 2),
        create("/a/s-", 2),
        Op::SetData {
            path: "/a".into(),
            data: b"x".to_vec(),
            version: 0,
        },
        Op::SetData {
            path: "/a".into(),
            data: b"y".to_vec(),
            version: 0,
        },
        Op::GetData {
            path: "/a".into(),
            watch: false,
        },
    ];
    let prepped: Vec<Prepped> = ops
        .iter()
        .map(|op| {
            prep.prep(
                &mut server.sessions,
                Request::Op {
                    session,
                    op,
                    auth: &[],
                },
                2_000,
            )
        })
        .collect();
    assert_eq!(prep.outstanding(), 6);
    assert_eq!(
        server.tree.stat("/a"),
        Err(Code::NoNode),
        "nothing committed yet"
    );
    let zxids: Vec<i64> = prepped
        .iter()
        .filter_map(|p| match p {
            Prepped::Txn(t) => Some(t.zxid),
            _ => None,
        })
        .collect();
    assert_eq!(zxids, [2, 3, 4, 5, 6, 7], "every write a zxid, in order");
    assert!(
        matches!(&prepped[5], Prepped::Txn(t) if t.txn == Txn::Error { session, code: Code::BadVersion }),
        "the second setData sees the first one's version: {:?}",
        prepped[5]
    );
    assert_eq!(
        prepped[6],
        Prepped::Read,
        "a read is answered from the committed tree"
    );
    let results: Vec<_> = prepped
        .iter()
        .filter_map(|p| match p {
            Prepped::Txn(t) => Some(server.commit(t)),
            _ => None,
        })
        .collect();
    prep.committed(server.zxid);
    assert_eq!(prep.outstanding(), 0);
    assert_eq!(
        results[..4],
        [
            Ok(OpResult::Path("/a".into())),
            Ok(OpResult::Path("/a/b".into())),
            Ok(OpResult::Path("/a/s-0000000001".into())),
            Ok(OpResult::Path("/a/s-0000000002".into())),
        ]
    );
    assert_eq!(results[5], Err(Code::BadVersion));
    let (data, stat) = server.tree.get_data("/a").unwrap();
    assert_eq!(
        (data, stat.version, stat.mzxid, server.zxid),
        (b"x".to_vec(), 1, 6, 7)
    );
    // The session ends through the same chain, and its ephemeral node goes with it.
    let ephemeral = create("/a/e", 1);
    let made = prep.prep(
        &mut server.sessions,
        Request::Op {
            session,
            op: &ephemeral,
            auth: &[],
        },
        3_000,
    );
    let Prepped::Txn(t) = made else {
        panic!("a create is a transaction: {made:?}")
    };
    server.commit(&t).unwrap();
    prep.committed(t.zxid);
    let close = Op::CloseSession;
    let closed = prep.prep(
        &mut server.sessions,
        Request::Op {
            session,
            op: &close,
            auth: &[],
        },
        3_100,
    );
    let Prepped::Txn(t) = closed else {
        panic!("closing a session is a transaction: {closed:?}")
    };
    assert_eq!(
        t.txn,
        Txn::CloseSession {
            session,
            ephemerals: vec!["/a/e".to_string()],
        }
    );
    server.commit(&t).unwrap();
    assert_eq!(
        server.tree.stat("/a/e"),
        Err(Code::NoNode),
        "ephemeral: gone"
    );
    assert!(server.tree.stat("/a").is_ok(), "persistent nodes stay");
}
