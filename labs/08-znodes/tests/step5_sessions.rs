//! Step 5: when a session ends, its ephemeral nodes go — how Kafka notices a dead broker.

use lab08_znodes::stat::Acl;
use lab08_znodes::{Code, CreateMode, DataTree};

#[test]
fn step5_a_closed_session_takes_its_ephemeral_nodes_with_it() {
    let mut t = DataTree::new();
    let p = CreateMode::from_flags(0).unwrap();
    let e = CreateMode::from_flags(1).unwrap();
    let es = CreateMode::from_flags(3).unwrap();
    t.create("/brokers", b"", &[Acl::open()], p, 0, 1, 0)
        .unwrap();
    t.create("/brokers/1", b"host1", &[Acl::open()], e, 0x10, 2, 0)
        .unwrap();
    t.create("/brokers/2", b"host2", &[Acl::open()], e, 0x20, 3, 0)
        .unwrap();
    let seq = t
        .create("/brokers/lock-", b"", &[Acl::open()], es, 0x10, 4, 0)
        .unwrap();
    t.create("/brokers/kept", b"", &[Acl::open()], p, 0x10, 5, 0)
        .unwrap();
    let mut gone = t.kill_session(0x10, 6);
    gone.sort();
    assert_eq!(gone, vec!["/brokers/1".to_string(), seq.clone()]);
    assert_eq!(t.stat("/brokers/1"), Err(Code::NoNode));
    assert!(t.stat("/brokers/2").is_ok(), "another session's node stays");
    assert!(
        t.stat("/brokers/kept").is_ok(),
        "a persistent node stays, whoever made it"
    );
    assert!(t.ephemerals(0x10).is_empty());
    let parent = t.stat("/brokers").unwrap();
    assert_eq!((parent.num_children, parent.pzxid), (2, 6));
    assert!(
        t.kill_session(0x10, 7).is_empty(),
        "killing twice is harmless"
    );
}
