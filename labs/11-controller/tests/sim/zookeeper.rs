//! The simulated ZooKeeper: a tree of znodes with versions and czxids, ephemerals tied to
//! sessions, and the four watches Kafka's controller sets. Conditional writes and `multi` are
//! the real ones' rules; there are no ACLs and no disk.

use std::collections::{BTreeMap, BTreeSet};

use lab11_controller::zk_data::{decode_controller_epoch, paths, ControllerZNode};
use lab11_controller::{
    BrokerInfo, ControllerEvent, LeaderIsrAndControllerEpoch, PartitionStateZNode,
    RegisteredBroker, TopicAssignment, TopicPartition,
};

pub struct Znode {
    pub data: Vec<u8>,
    pub version: i32,
    pub czxid: i64,
    pub owner: Option<u64>,
}

#[derive(Debug)]
pub enum ZkError {
    NodeExists,
    NoNode,
    BadVersion,
    SessionExpired,
}

/// What a watcher would hear about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Watch {
    Controller,
    BrokerIds,
    Topics,
    DeleteTopics,
}

pub fn parent(path: &str) -> &str {
    &path[..path.rfind('/').unwrap_or(0)]
}

/// The watch a change at `path` fires (Kafka's controller watches these four).
pub fn watch_for(path: &str) -> Option<Watch> {
    match (path, parent(path)) {
        ("/controller", _) => Some(Watch::Controller),
        (_, "/brokers/ids") => Some(Watch::BrokerIds),
        (_, "/brokers/topics") => Some(Watch::Topics),
        (_, "/admin/delete_topics") => Some(Watch::DeleteTopics),
        _ => None,
    }
}

#[derive(Default)]
pub struct SimZk {
    pub nodes: BTreeMap<String, Znode>,
    pub zxid: i64,
    pub sessions: BTreeSet<u64>,
    pub next_session: u64,
    /// Watches fired by the changes since the sim last looked.
    pub fired: BTreeSet<Watch>,
}

impl SimZk {
    pub fn open_session(&mut self) -> u64 {
        self.next_session += 1;
        self.sessions.insert(self.next_session);
        self.next_session
    }

    /// Ends a session: its ephemerals go, and their watches fire.
    pub fn expire(&mut self, session: u64) {
        self.sessions.remove(&session);
        let owned: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.owner == Some(session))
            .map(|(p, _)| p.clone())
            .collect();
        for p in owned {
            self.nodes.remove(&p);
            self.fire(&p);
        }
    }

    pub fn fire(&mut self, path: &str) {
        if let Some(w) = watch_for(path) {
            self.fired.insert(w);
        }
    }

    /// Creates `path` (and missing parents, persistent and empty); returns its czxid.
    pub fn create(
        &mut self,
        path: &str,
        data: Vec<u8>,
        owner: Option<u64>,
    ) -> Result<i64, ZkError> {
        if self.nodes.contains_key(path) {
            return Err(ZkError::NodeExists);
        }
        let p = parent(path);
        if !p.is_empty() && !self.nodes.contains_key(p) {
            self.create(p, Vec::new(), None)?;
        }
        self.zxid += 1;
        self.nodes.insert(
            path.to_string(),
            Znode {
                data,
                version: 0,
                czxid: self.zxid,
                owner,
            },
        );
        self.fire(path);
        Ok(self.zxid)
    }

    pub fn set(&mut self, path: &str, data: Vec<u8>, version: i32) -> Result<i32, ZkError> {
        let n = self.nodes.get_mut(path).ok_or(ZkError::NoNode)?;
        if version != -1 && n.version != version {
            return Err(ZkError::BadVersion);
        }
        self.zxid += 1;
        n.data = data;
        n.version += 1;
        let v = n.version;
        self.fire(path);
        Ok(v)
    }

    pub fn delete_recursive(&mut self, path: &str) {
        let doomed: Vec<String> = self
            .nodes
            .keys()
            .filter(|p| *p == path || p.starts_with(&format!("{path}/")))
            .cloned()
            .collect();
        for p in doomed {
            self.zxid += 1;
            self.nodes.remove(&p);
            self.fire(&p);
        }
    }

    pub fn children(&self, path: &str) -> Vec<String> {
        let prefix = format!("{path}/");
        self.nodes
            .keys()
            .filter(|p| p.starts_with(&prefix) && !p[prefix.len()..].contains('/'))
            .map(|p| p[prefix.len()..].to_string())
            .collect()
    }

    pub fn controller_epoch(&self) -> Option<(i32, i32)> {
        self.nodes
            .get(paths::CONTROLLER_EPOCH)
            .map(|n| (decode_controller_epoch(&n.data).unwrap(), n.version))
    }

    pub fn controller_id(&self) -> Option<i32> {
        self.nodes
            .get(paths::CONTROLLER)
            .map(|n| ControllerZNode::decode(&n.data).unwrap().broker_id)
    }

    pub fn brokers(&self) -> BTreeMap<i32, RegisteredBroker> {
        self.children(paths::BROKER_IDS)
            .into_iter()
            .map(|c| {
                let id: i32 = c.parse().unwrap();
                let n = &self.nodes[&paths::broker_id(id)];
                (
                    id,
                    RegisteredBroker {
                        info: BrokerInfo::decode(id, &n.data).unwrap(),
                        epoch: n.czxid,
                    },
                )
            })
            .collect()
    }

    pub fn topics(&self) -> BTreeMap<String, TopicAssignment> {
        self.children(paths::TOPICS)
            .into_iter()
            .map(|t| {
                let a = TopicAssignment::decode(&self.nodes[&paths::topic(&t)].data).unwrap();
                (t, a)
            })
            .collect()
    }

    pub fn topics_to_delete(&self) -> BTreeSet<String> {
        self.children(paths::DELETE_TOPICS).into_iter().collect()
    }

    pub fn partition_states(&self) -> BTreeMap<TopicPartition, PartitionStateZNode> {
        let mut out = BTreeMap::new();
        for t in self.children(paths::TOPICS) {
            for p in self.children(&paths::topic_partitions(&t)) {
                let p: i32 = p.parse().unwrap();
                if let Some(n) = self.nodes.get(&paths::partition_state(&t, p)) {
                    out.insert(
                        TopicPartition::new(&t, p),
                        PartitionStateZNode {
                            state: LeaderIsrAndControllerEpoch::decode(&n.data).unwrap(),
                            zk_version: n.version,
                        },
                    );
                }
            }
        }
        out
    }

    pub fn event(&self, w: Watch) -> ControllerEvent {
        match w {
            Watch::Controller => ControllerEvent::ControllerChanged {
                controller_id: self.controller_id(),
                controller_epoch: self.controller_epoch(),
            },
            Watch::BrokerIds => ControllerEvent::BrokersChanged(self.brokers()),
            Watch::Topics => ControllerEvent::TopicsChanged(self.topics()),
            Watch::DeleteTopics => ControllerEvent::TopicDeletionsChanged(self.topics_to_delete()),
        }
    }
}
