//! Step 6: one-shot watches, and the event each change fires.

use lab08_znodes::proto::{ConnectRequest, Op};
use lab08_znodes::server::ZkServer;
use lab08_znodes::session::SessionLimits;
use lab08_znodes::standalone::Standalone;
use lab08_znodes::stat::Acl;
use lab08_znodes::watch::{Change, EventType, WatchManager};

#[test]
fn step6_each_change_fires_the_right_event_once() {
    let mut w = WatchManager::default();
    w.add_data_watch("/controller", 1);
    w.add_data_watch("/controller", 2);
    w.add_child_watch("/brokers/ids", 1);
    let events = w.trigger(&Change::Created("/controller".into()));
    assert_eq!(
        events,
        [
            (1, EventType::NodeCreated, "/controller".to_string()),
            (2, EventType::NodeCreated, "/controller".to_string())
        ]
    );
    assert!(
        w.trigger(&Change::DataChanged("/controller".into()))
            .is_empty(),
        "one-shot: already fired"
    );
    let events = w.trigger(&Change::Created("/brokers/ids/7".into()));
    assert_eq!(
        events,
        [(
            1,
            EventType::NodeChildrenChanged,
            "/brokers/ids".to_string()
        )]
    );
    assert_eq!(w.count(), 0);
}

#[test]
fn step6_a_delete_tells_the_node_watchers_and_the_parent_watchers() {
    let mut w = WatchManager::default();
    w.add_data_watch("/a/b", 1);
    w.add_child_watch("/a/b", 1);
    w.add_child_watch("/a/b", 2);
    w.add_child_watch("/a", 3);
    w.add_data_watch("/a", 4);
    let events = w.trigger(&Change::Deleted("/a/b".into()));
    assert_eq!(
        events,
        [
            (1, EventType::NodeDeleted, "/a/b".to_string()),
            (2, EventType::NodeDeleted, "/a/b".to_string()),
            (3, EventType::NodeChildrenChanged, "/a".to_string()),
        ],
        "session 1 hears once; /a's data watch is not a child watch"
    );
    let events = w.trigger(&Change::DataChanged("/a".into()));
    assert_eq!(events, [(4, EventType::NodeDataChanged, "/a".to_string())]);
}

#[test]
fn step6_a_closed_sessions_watches_go_with_it() {
    let mut w = WatchManager::default();
    w.add_data_watch("/x", 1);
    w.add_child_watch("/x", 1);
    w.add_data_watch("/x", 2);
    w.remove_session(1);
    assert_eq!(
        w.trigger(&Change::Deleted("/x".into())),
        [(2, EventType::NodeDeleted, "/x".to_string())]
    );
}

#[test]
fn step6_an_expired_sessions_node_fires_its_watch() {
    // Through the server: the session of an ephemeral node expires (step 5's request chain),
    // and the session that watched the node hears NodeDeleted.
    let limits = SessionLimits {
        min_ms: 4_000,
        max_ms: 40_000,
    };
    let connect = |time_out| ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out,
        session_id: 0,
        passwd: vec![0; 16],
        read_only: false,
    };
    let create = |path: &str, flags| Op::Create {
        path: path.into(),
        data: vec![],
        acl: vec![Acl::open()],
        flags,
        with_stat: false,
    };
    let mut zk = Standalone::new(ZkServer::with_tick(limits, 3, 1_000, 1_000));
    let (a, _) = zk.connect(&connect(6_000), 1_000);
    let (b, _) = zk.connect(&connect(40_000), 1_000);
    zk.submit(a.session_id, &create("/brokers", 0), 1_100)
        .1
        .unwrap();
    zk.submit(a.session_id, &create("/brokers/1", 1), 1_200)
        .1
        .unwrap();
    let watch = Op::Exists {
        path: "/brokers/1".into(),
        watch: true,
    };
    zk.submit(b.session_id, &watch, 1_300).1.unwrap();
    assert_eq!(zk.expire(8_000).len(), 1, "a's session ends");
    assert_eq!(
        zk.server.take_notifications(),
        [(
            b.session_id,
            EventType::NodeDeleted,
            "/brokers/1".to_string()
        )],
        "b's watch hears the ephemeral node go"
    );
}
