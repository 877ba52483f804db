//! Step 6: one-shot watches, and the event each change fires.

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
