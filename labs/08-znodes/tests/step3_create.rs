//! Step 3: create — Stat fields as ZooKeeper fills them, sequential names, ephemeral rules.

use lab08_znodes::stat::Acl;
use lab08_znodes::{Code, CreateMode, DataTree};

fn mode(flags: i32) -> CreateMode {
    CreateMode::from_flags(flags).unwrap()
}

#[test]
fn step3_a_new_node_and_its_parent() {
    let mut t = DataTree::new();
    let path = t
        .create("/brokers", b"", &[Acl::open()], mode(0), 0, 5, 1_000)
        .unwrap();
    assert_eq!(path, "/brokers");
    let ids = t
        .create(
            "/brokers/ids",
            b"hello",
            &[Acl::open()],
            mode(0),
            0,
            6,
            2_000,
        )
        .unwrap();
    let s = t.stat(&ids).unwrap();
    assert_eq!(
        (s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime),
        (6, 6, 6, 2_000, 2_000)
    );
    assert_eq!(
        (s.version, s.cversion, s.aversion, s.ephemeral_owner),
        (0, 0, 0, 0)
    );
    assert_eq!((s.data_length, s.num_children), (5, 0));
    let parent = t.stat("/brokers").unwrap();
    assert_eq!(
        (
            parent.cversion,
            parent.pzxid,
            parent.num_children,
            parent.mzxid
        ),
        (1, 6, 1, 5),
        "children changed, not data"
    );
    assert_eq!(t.get_children("/").unwrap().0, ["brokers", "zookeeper"]);
    assert_eq!(t.get_data("/brokers/ids").unwrap().0, b"hello");
}

#[test]
fn step3_sequential_names_use_the_parents_cversion() {
    let mut t = DataTree::new();
    t.create("/q", b"", &[Acl::open()], mode(0), 0, 1, 0)
        .unwrap();
    let a = t
        .create("/q/item-", b"", &[Acl::open()], mode(2), 0, 2, 0)
        .unwrap();
    let b = t
        .create("/q/item-", b"", &[Acl::open()], mode(2), 0, 3, 0)
        .unwrap();
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("/q/item-0000000000", "/q/item-0000000001")
    );
    // A sequential name may end right after the slash.
    assert_eq!(
        t.create("/q/", b"", &[Acl::open()], mode(2), 0, 4, 0)
            .unwrap(),
        "/q/0000000002"
    );
    // The counter is the parent's, not the prefix's; a failed create does not move it.
    assert_eq!(
        t.create("/q/item-", b"", &[], mode(2), 0, 5, 0),
        Err(Code::InvalidAcl)
    );
    let c = t
        .create("/q/other-", b"", &[Acl::open()], mode(2), 0, 5, 0)
        .unwrap();
    assert_eq!(c, "/q/other-0000000003");
    assert_eq!(t.stat("/q").unwrap().cversion, 4);
}

#[test]
fn step3_errors_are_zookeepers() {
    let mut t = DataTree::new();
    let acl = [Acl::open()];
    assert_eq!(
        t.create("/a/b", b"", &acl, mode(0), 0, 1, 0),
        Err(Code::NoNode)
    );
    assert_eq!(
        t.create("a", b"", &acl, mode(0), 0, 1, 0),
        Err(Code::BadArguments)
    );
    assert_eq!(
        t.create("/", b"", &acl, mode(0), 0, 1, 0),
        Err(Code::NodeExists)
    );
    t.create("/a", b"", &acl, mode(0), 0, 1, 0).unwrap();
    assert_eq!(
        t.create("/a", b"", &acl, mode(0), 0, 2, 0),
        Err(Code::NodeExists)
    );
    assert_eq!(
        t.create("/b", b"", &[], mode(0), 0, 2, 0),
        Err(Code::InvalidAcl)
    );
    let e = t.create("/e", b"", &acl, mode(1), 0x77, 3, 0).unwrap();
    assert_eq!(t.stat(&e).unwrap().ephemeral_owner, 0x77);
    assert_eq!(
        t.create("/e/child", b"", &acl, mode(0), 0x77, 4, 0),
        Err(Code::NoChildrenForEphemerals)
    );
    assert_eq!(
        t.create("/e/seq-", b"", &acl, mode(3), 0x77, 4, 0),
        Err(Code::NoChildrenForEphemerals)
    );
    assert_eq!(t.ephemerals(0x77), ["/e"]);
}
