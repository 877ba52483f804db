//! Watches: "tell me once when this changes" — ZooKeeper's `WatchManager`. A client sets a
//! watch with a read (`getData`, `exists` or `getChildren` with `watch = true`); the first change
//! after it sends one event and the watch is gone (one-shot: the client reads again, and sets a
//! new watch, to see the next change). Kafka's controller watches `/brokers/ids` this way.
//!
//! ```text
//! event               fired by                              to
//! NodeCreated (1)     create of the path                    data watches of the path (set by exists)
//! NodeDeleted (2)     delete of the path                    data and child watches of the path
//! NodeDataChanged (3) setData of the path                   data watches of the path
//! NodeChildrenChanged (4) create or delete of a child       child watches of the parent
//! ```
//! Plain state: the server records changes here and takes the events to send.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum EventType {
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}

/// One change to one path, as the tree reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Created(String),
    Deleted(String),
    DataChanged(String),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WatchManager {
    /// Path → sessions with a data watch (getData, exists).
    data: BTreeMap<String, BTreeSet<i64>>,
    /// Path → sessions with a child watch (getChildren).
    child: BTreeMap<String, BTreeSet<i64>>,
}

fn parent_of(path: &str) -> &str {
    crate::data_tree::parent_of(path)
}

impl WatchManager {
    pub fn add_data_watch(&mut self, path: &str, session: i64) {
        self.data
            .entry(path.to_string())
            .or_default()
            .insert(session);
    }

    pub fn add_child_watch(&mut self, path: &str, session: i64) {
        self.child
            .entry(path.to_string())
            .or_default()
            .insert(session);
    }

    /// The events one change fires, in ZooKeeper's order (the node's own watchers, then the
    /// parent's child watchers). Every watch that fires is removed: watches are one-shot.
    pub fn trigger(&mut self, change: &Change) -> Vec<(i64, EventType, String)> {
        let mut events: Vec<(i64, EventType, String)> = Vec::new();
        // No watch set anywhere, as on most changes: nothing can fire. (This also lets the
        // request chain of step 5 run before watches are written in step 6.)
        if self.data.is_empty() && self.child.is_empty() {
            return events;
        }
        // BEGIN SOLUTION step 6: pick the event type, take (remove) the data and child watches it fires on the path, then the parent's child watches for a create or delete
        // ko: 이벤트 종류를 정하고, 그 경로에서 울리는 데이터 와치와 자식 와치를 꺼낸(지운) 뒤, create나 delete면 부모의 자식 와치도 꺼내세요
        let mut fire =
            |watches: &mut BTreeMap<String, BTreeSet<i64>>, path: &str, kind: EventType| {
                if let Some(sessions) = watches.remove(path) {
                    events.extend(sessions.into_iter().map(|s| (s, kind, path.to_string())));
                }
            };
        match change {
            Change::Created(path) => {
                fire(&mut self.data, path, EventType::NodeCreated);
                fire(
                    &mut self.child,
                    parent_of(path),
                    EventType::NodeChildrenChanged,
                );
            }
            Change::Deleted(path) => {
                fire(&mut self.data, path, EventType::NodeDeleted);
                fire(&mut self.child, path, EventType::NodeDeleted);
                fire(
                    &mut self.child,
                    parent_of(path),
                    EventType::NodeChildrenChanged,
                );
            }
            Change::DataChanged(path) => fire(&mut self.data, path, EventType::NodeDataChanged),
        }
        // A session watching a path both ways hears about a deletion once.
        let mut seen = BTreeSet::new();
        events.retain(|(s, kind, path)| seen.insert((*s, *kind as i32, path.clone())));
        events
        // END SOLUTION
    }

    /// A session is gone: its watches with it.
    pub fn remove_session(&mut self, session: i64) {
        for map in [&mut self.data, &mut self.child] {
            map.retain(|_, sessions| {
                sessions.remove(&session);
                !sessions.is_empty()
            });
        }
    }

    pub fn count(&self) -> usize {
        self.data
            .values()
            .chain(self.child.values())
            .map(BTreeSet::len)
            .sum()
    }
}
