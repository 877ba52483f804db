//! Given: Kafka's `KafkaZkClient` for the controller — every read and write the shell makes
//! on the broker's ZooKeeper session, over lab 08's client, with the chroot added to each
//! path (`ZkConnect::path`).
//!
//! Writes are the core's `ZkOp`s. Each runs as one `multi` whose first op checks that
//! `/controller_epoch` still has the version this controller set when it won (Kafka 2.2+):
//! a controller that was replaced while it was not looking — a long GC pause, a partition —
//! cannot overwrite its successor's partition states, because the whole multi fails.
//!
//! Reads fill the core's events. The `*_and_watch` reads also leave a one-shot watch, so the
//! same read that answers an event re-arms the watch for the next change (Kafka's
//! `registerZNodeChildChangeHandlerAndCheckExistence` and friends).

use std::collections::{BTreeMap, BTreeSet};

use lab08_znodes::client::{ClientError, ZkClient};
use lab08_znodes::proto::{Op, OpResult};
use lab08_znodes::Code;

use crate::broker_info::BrokerInfo;
use crate::events::{
    ClusterSnapshot, ControllerEvent, PartitionStateZNode, RegisteredBroker, ZkOp,
};
use crate::requests::TopicPartition;
use crate::zk_connect::ZkConnect;
use crate::zk_data::{
    decode_controller_epoch, encode_controller_epoch, paths, ControllerZNode,
    LeaderIsrAndControllerEpoch, TopicAssignment,
};

/// Why a ZooKeeper call failed, as the shell must react to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkFailure {
    /// The connection broke or the session expired: its ephemerals (`/brokers/ids/<id>`,
    /// `/controller`) are gone or soon will be. The shell starts a new session.
    Session(String),
    /// ZooKeeper refused this one request (a failed version check, a missing node …); the
    /// session is fine.
    Refused {
        path: String,
        code: i32,
        reason: String,
    },
}

impl ZkFailure {
    fn code(&self) -> Option<i32> {
        match self {
            ZkFailure::Refused { code, .. } => Some(*code),
            ZkFailure::Session(_) => None,
        }
    }
}

impl std::fmt::Display for ZkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZkFailure::Session(reason) => write!(f, "ZooKeeper session lost: {reason}"),
            ZkFailure::Refused { reason, .. } => write!(f, "{reason}"),
        }
    }
}

impl From<ClientError> for ZkFailure {
    fn from(e: ClientError) -> ZkFailure {
        let session = |code: i32| code == Code::SessionExpired.code() || code == -4; // CONNECTIONLOSS
        match &e {
            ClientError::Keeper { code, path, .. } | ClientError::Multi { code, path, .. }
                if !session(*code) =>
            {
                ZkFailure::Refused {
                    path: path.clone(),
                    code: *code,
                    reason: e.to_string(),
                }
            }
            _ => ZkFailure::Session(e.to_string()),
        }
    }
}

pub type ZkResult<T> = std::result::Result<T, ZkFailure>;

/// `true` when `result` failed with ZooKeeper's `code`.
pub fn failed_with<T>(result: &ZkResult<T>, code: Code) -> bool {
    matches!(result, Err(f) if f.code() == Some(code.code()))
}

/// `Ok(None)` for a node that does not exist.
fn optional<T>(result: std::result::Result<T, ClientError>) -> ZkResult<Option<T>> {
    match result.map_err(ZkFailure::from) {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.code() == Some(Code::NoNode.code()) => Ok(None),
        Err(f) => Err(f),
    }
}

/// The milliseconds since 1970, for `/controller`'s timestamp.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The broker's session, seen through the chroot.
pub struct KafkaZkClient<'a> {
    pub zk: &'a mut ZkClient,
    pub connect: &'a ZkConnect,
}

impl KafkaZkClient<'_> {
    fn path(&self, path: &str) -> String {
        self.connect.path(path)
    }

    /// `/controller`'s broker id (watched: its creation, change or deletion fires) and
    /// `/controller_epoch`'s value and version: the `ControllerChanged` event.
    pub async fn controller_changed(&mut self) -> ZkResult<ControllerEvent> {
        let controller = self.path(paths::CONTROLLER);
        let controller_id = match self.zk.exists_and_watch(&controller).await? {
            None => None,
            // It may go between the two reads: then there is none, and the watch will fire.
            Some(_) => optional(self.zk.get(&controller).await)?
                .map(|(bytes, _)| decode_controller(&bytes)),
        };
        let epoch_path = self.path(paths::CONTROLLER_EPOCH);
        let controller_epoch = match optional(self.zk.get(&epoch_path).await)? {
            None => None,
            Some((bytes, stat)) => match decode_controller_epoch(&bytes) {
                Ok(epoch) => Some((epoch, stat.version)),
                Err(e) => return Err(refused(&epoch_path, e)),
            },
        };
        Ok(ControllerEvent::ControllerChanged {
            controller_id,
            controller_epoch,
        })
    }

    /// Runs one of the core's operations; `RegisterController` and `LoadCluster` answer with
    /// the event to step next.
    pub async fn execute(&mut self, op: ZkOp) -> ZkResult<Option<ControllerEvent>> {
        match op {
            ZkOp::RegisterController {
                broker_id,
                epoch,
                epoch_zk_version,
            } => self
                .register_controller(broker_id, epoch, epoch_zk_version)
                .await
                .map(Some),
            ZkOp::LoadCluster => Ok(Some(ControllerEvent::ClusterLoaded(
                self.load_cluster().await?,
            ))),
            ZkOp::Create {
                path,
                data,
                controller_epoch_zk_version,
            } => {
                let path = self.path(&path);
                let mut ops = vec![self.epoch_check(controller_epoch_zk_version)];
                // Kafka's `createRecursive`: the parents that are missing, with no data, in
                // the same all-or-nothing multi.
                let mut missing = Vec::new();
                let mut parent = parent_of(&path);
                while let Some(p) = parent.filter(|p| !p.is_empty()) {
                    if self.zk.exists(p).await?.is_some() {
                        break;
                    }
                    missing.push(p.to_string());
                    parent = parent_of(p);
                }
                ops.extend(missing.iter().rev().map(|p| Op::create(p, b"", 0)));
                ops.push(Op::create(&path, &data, 0));
                self.zk.multi(&ops).await?;
                Ok(None)
            }
            ZkOp::SetData {
                path,
                data,
                version,
                controller_epoch_zk_version,
            } => {
                let ops = [
                    self.epoch_check(controller_epoch_zk_version),
                    Op::set_data(&self.path(&path), &data, version),
                ];
                self.zk.multi(&ops).await?;
                Ok(None)
            }
            ZkOp::DeleteRecursive {
                path,
                controller_epoch_zk_version,
            } => {
                let mut ops = vec![self.epoch_check(controller_epoch_zk_version)];
                let mut leaves_first = Vec::new();
                self.subtree(&self.path(&path), &mut leaves_first).await?;
                if leaves_first.is_empty() {
                    return Ok(None); // nothing to delete is no error
                }
                ops.extend(leaves_first.iter().map(|p| Op::delete(p, -1)));
                self.zk.multi(&ops).await?;
                Ok(None)
            }
        }
    }

    fn epoch_check(&self, controller_epoch_zk_version: i32) -> Op {
        Op::check(
            &self.path(paths::CONTROLLER_EPOCH),
            controller_epoch_zk_version,
        )
    }

    /// `registerControllerAndIncrementControllerEpoch`: the ephemeral `/controller` and the new
    /// epoch in one multi. A lost race is `ControllerRegistrationFailed`, not an error.
    async fn register_controller(
        &mut self,
        broker_id: i32,
        epoch: i32,
        epoch_zk_version: Option<i32>,
    ) -> ZkResult<ControllerEvent> {
        let controller = self.path(paths::CONTROLLER);
        let epoch_path = self.path(paths::CONTROLLER_EPOCH);
        let me = ControllerZNode {
            broker_id,
            timestamp_ms: now_ms(),
        }
        .encode();
        let epoch_bytes = encode_controller_epoch(epoch);
        let ops = match epoch_zk_version {
            Some(version) => vec![
                Op::create(&controller, &me, 1),
                Op::set_data(&epoch_path, &epoch_bytes, version),
            ],
            // The first controller of the cluster creates the epoch znode.
            None => vec![
                Op::create(&epoch_path, &epoch_bytes, 0),
                Op::create(&controller, &me, 1),
            ],
        };
        match self.zk.multi(&ops).await.map_err(ZkFailure::from) {
            Ok(results) => {
                let epoch_zk_version = match (epoch_zk_version, results.get(1)) {
                    (None, _) => 0,
                    (Some(_), Some(OpResult::Stat(stat))) => stat.version,
                    (Some(version), _) => version + 1,
                };
                Ok(ControllerEvent::ControllerRegistered {
                    epoch,
                    epoch_zk_version,
                })
            }
            Err(ZkFailure::Refused { .. }) => {
                // Someone else won, or the epoch moved under us: say who holds /controller now.
                let controller_id = optional(self.zk.get(&controller).await)?
                    .map(|(bytes, _)| decode_controller(&bytes));
                Ok(ControllerEvent::ControllerRegistrationFailed { controller_id })
            }
            Err(e) => Err(e),
        }
    }

    /// `initializeControllerContext`'s reads, every one watched.
    pub async fn load_cluster(&mut self) -> ZkResult<ClusterSnapshot> {
        let brokers = self.brokers().await?;
        let topics = self.topics().await?;
        let mut partition_states = BTreeMap::new();
        for (topic, assignment) in &topics {
            for partition in assignment.partitions.keys() {
                let path = self.path(&paths::partition_state(topic, *partition));
                if let Some((bytes, stat)) = optional(self.zk.get(&path).await)? {
                    match LeaderIsrAndControllerEpoch::decode(&bytes) {
                        Ok(state) => {
                            partition_states.insert(
                                TopicPartition::new(topic, *partition),
                                PartitionStateZNode {
                                    state,
                                    zk_version: stat.version,
                                },
                            );
                        }
                        Err(e) => tracing::warn!("{path}: {e}; the controller ignores it"),
                    }
                }
            }
        }
        let topics_to_delete = self.topics_to_delete().await?;
        Ok(ClusterSnapshot {
            brokers,
            topics,
            partition_states,
            topics_to_delete,
        })
    }

    /// The live brokers (watched): each child of `/brokers/ids` with its registration and its
    /// epoch, the znode's `czxid`. A registration that does not decode is skipped.
    pub async fn brokers(&mut self) -> ZkResult<BTreeMap<i32, RegisteredBroker>> {
        let ids = self.path(paths::BROKER_IDS);
        let mut brokers = BTreeMap::new();
        for child in self.zk.children_and_watch(&ids).await? {
            let Ok(id) = child.parse::<i32>() else {
                continue;
            };
            let path = format!("{ids}/{child}");
            let Some((bytes, stat)) = optional(self.zk.get(&path).await)? else {
                continue; // gone already: the watch fires again
            };
            match BrokerInfo::decode(id, &bytes) {
                Ok(info) => {
                    brokers.insert(
                        id,
                        RegisteredBroker {
                            info,
                            epoch: stat.czxid,
                        },
                    );
                }
                Err(e) => tracing::warn!("{path}: {e}; the controller ignores this broker"),
            }
        }
        Ok(brokers)
    }

    /// Every topic's assignment (watched: the list, and each topic's data).
    pub async fn topics(&mut self) -> ZkResult<BTreeMap<String, TopicAssignment>> {
        let topics_path = self.path(paths::TOPICS);
        let mut topics = BTreeMap::new();
        for topic in self.zk.children_and_watch(&topics_path).await? {
            let path = self.path(&paths::topic(&topic));
            let Some((bytes, _)) = optional(self.zk.get_and_watch(&path).await)? else {
                continue;
            };
            match TopicAssignment::decode(&bytes) {
                Ok(assignment) => {
                    topics.insert(topic, assignment);
                }
                Err(e) => tracing::warn!("{path}: {e}; the controller ignores this topic"),
            }
        }
        Ok(topics)
    }

    /// The children of `/admin/delete_topics` (watched).
    pub async fn topics_to_delete(&mut self) -> ZkResult<BTreeSet<String>> {
        let path = self.path(paths::DELETE_TOPICS);
        Ok(self
            .zk
            .children_and_watch(&path)
            .await?
            .into_iter()
            .collect())
    }

    /// Lab 12: the children of `/isr_change_notification` (watched) and the state znode of
    /// every partition they name. A notification that does not decode is still returned (so
    /// it is deleted), naming nothing.
    pub async fn isr_change_notifications(&mut self) -> ZkResult<ControllerEvent> {
        let dir = self.path(paths::ISR_CHANGE_NOTIFICATION);
        let notifications = self.zk.children_and_watch(&dir).await?;
        let mut named = BTreeSet::new();
        for name in &notifications {
            let path = format!("{dir}/{name}");
            let Some((bytes, _)) = optional(self.zk.get(&path).await)? else {
                continue;
            };
            match crate::isr_change_notification::decode_isr_change_notification(&bytes) {
                Ok(partitions) => named.extend(partitions),
                Err(e) => tracing::warn!("{path}: {e}; deleting it"),
            }
        }
        let mut partition_states = BTreeMap::new();
        for tp in named {
            let path = self.path(&paths::partition_state(&tp.topic, tp.partition));
            if let Some((bytes, stat)) = optional(self.zk.get(&path).await)? {
                match LeaderIsrAndControllerEpoch::decode(&bytes) {
                    Ok(state) => {
                        partition_states.insert(
                            tp,
                            PartitionStateZNode {
                                state,
                                zk_version: stat.version,
                            },
                        );
                    }
                    Err(e) => tracing::warn!("{path}: {e}; the controller ignores it"),
                }
            }
        }
        Ok(ControllerEvent::IsrChangeNotifications {
            notifications,
            partition_states,
        })
    }

    /// `path` and everything under it, children before their parent (the order a multi
    /// must delete them in). Nothing for a path that does not exist.
    async fn subtree(&mut self, path: &str, out: &mut Vec<String>) -> ZkResult<()> {
        // Depth-first with an explicit stack: (path, children already listed?).
        let mut stack = vec![(path.to_string(), false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                out.push(node);
                continue;
            }
            let Some(children) = optional(self.zk.children(&node).await)? else {
                continue;
            };
            stack.push((node.clone(), true));
            for child in children {
                stack.push((format!("{node}/{child}"), false));
            }
        }
        Ok(())
    }
}

/// `/controller`'s broker id; a znode we cannot read counts as some other controller (−1), so
/// nobody tries to replace it while it lives.
fn decode_controller(bytes: &[u8]) -> i32 {
    match ControllerZNode::decode(bytes) {
        Ok(c) => c.broker_id,
        Err(e) => {
            tracing::warn!("/controller: {e}");
            -1
        }
    }
}

fn refused(path: &str, e: impl std::fmt::Display) -> ZkFailure {
    ZkFailure::Refused {
        path: path.to_string(),
        code: 0,
        reason: format!("{path}: {e}"),
    }
}

/// `/a/b/c` → `/a/b`; `/a` → `` (the root); `` → none.
fn parent_of(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[..i])
}
