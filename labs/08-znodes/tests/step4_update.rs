//! Step 4: delete and setData with versions — the conditional writes clients build on.

use lab08_znodes::stat::Acl;
use lab08_znodes::{Code, CreateMode, DataTree};

fn tree() -> DataTree {
    let mut t = DataTree::new();
    let m = CreateMode::from_flags(0).unwrap();
    t.create("/a", b"1", &[Acl::open()], m, 0, 1, 100).unwrap();
    t.create("/a/b", b"", &[Acl::open()], m, 0, 2, 100).unwrap();
    t
}

#[test]
fn step4_set_data_checks_and_bumps_the_version() {
    let mut t = tree();
    let s = t.set_data("/a", b"22", 0, 3, 200).unwrap();
    assert_eq!(
        (s.version, s.mzxid, s.mtime, s.data_length, s.czxid, s.ctime),
        (1, 3, 200, 2, 1, 100)
    );
    assert_eq!(t.set_data("/a", b"x", 0, 4, 300), Err(Code::BadVersion));
    assert_eq!(
        t.set_data("/a", b"x", -1, 4, 300).unwrap().version,
        2,
        "-1 matches any version"
    );
    assert_eq!(t.set_data("/nope", b"x", -1, 5, 300), Err(Code::NoNode));
    assert_eq!(t.get_data("/a").unwrap().0, b"x");
}

#[test]
fn step4_delete_checks_version_and_children() {
    let mut t = tree();
    assert_eq!(t.delete("/a", -1, 3), Err(Code::NotEmpty));
    assert_eq!(t.delete("/a/b", 7, 3), Err(Code::BadVersion));
    assert_eq!(t.delete("/a/c", -1, 3), Err(Code::NoNode));
    t.delete("/a/b", 0, 3).unwrap();
    let a = t.stat("/a").unwrap();
    assert_eq!((a.num_children, a.cversion, a.pzxid), (0, 2, 3));
    t.delete("/a", -1, 4).unwrap();
    assert_eq!(t.stat("/a"), Err(Code::NoNode));
    assert_eq!(t.delete("/", -1, 5), Err(Code::BadArguments));
    assert_eq!(t.delete("/zookeeper", -1, 5), Err(Code::BadArguments));
}

#[test]
/// ZooKeeper 3.8: a delete raises the parent's cversion as clients see it (creates plus
/// deletes, `DataNode.copyStat`), but the next sequential suffix counts creates only
/// (`PrepRequestProcessor` names it from the persisted cversion).
fn step4_a_delete_raises_the_cversion_but_not_the_next_sequence_suffix() {
    let mut t = DataTree::new();
    let seq = CreateMode::from_flags(2).unwrap();
    t.create(
        "/q",
        b"",
        &[Acl::open()],
        CreateMode::from_flags(0).unwrap(),
        0,
        1,
        0,
    )
    .unwrap();
    let a = t
        .create("/q/item-", b"", &[Acl::open()], seq, 0, 2, 0)
        .unwrap();
    t.create("/q/item-", b"", &[Acl::open()], seq, 0, 3, 0)
        .unwrap();
    t.delete(&a, -1, 4).unwrap();
    let c = t
        .create("/q/item-", b"", &[Acl::open()], seq, 0, 5, 0)
        .unwrap();
    assert_eq!(c, "/q/item-0000000002");
    assert_eq!(
        t.get_children("/q").unwrap().0,
        ["item-0000000001", "item-0000000002"]
    );
    // 3 creates and 1 delete: a client sees cversion 4 (ZooKeeper's 2 × 3 − 2).
    assert_eq!(t.stat("/q").unwrap().cversion, 4);
    t.delete(&c, -1, 6).unwrap();
    assert_eq!(
        t.create("/q/item-", b"", &[Acl::open()], seq, 0, 7, 0),
        Ok("/q/item-0000000003".to_string()),
        "deleting the newest child does not hand its suffix out again"
    );
}
