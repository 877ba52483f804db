//! The controller core's inputs and outputs. The core never talks to ZooKeeper or a broker
//! itself: a shell (a tokio task on a real ZooKeeper session, or the simulation in
//! `tests/sim`) turns watches, reads and responses into `ControllerEvent`s and carries out the
//! `Ready` the core hands back.
//!
//! The shell's rules, in order (the same as Kafka's controller thread, which blocks on
//! ZooKeeper before it sends):
//! 1. Run `Ready::zk_ops` in order. `RegisterController` and `LoadCluster` answer with an
//!    event (`ControllerRegistered`/`ControllerRegistrationFailed`, `ClusterLoaded`) that goes
//!    back into `step` before anything else.
//! 2. If an op fails, drop the rest of that `Ready` — its requests too — and step
//!    `ZkOpFailed` (or `SessionExpired`). A write fails only when this controller has been
//!    replaced (its `/controller_epoch` check fails) or its session is gone: what it was
//!    about to tell the brokers is not true.
//! 3. Then send `Ready::requests`, in order per broker (one connection per broker, as Kafka's
//!    `ControllerChannelManager`), and step each response as `BrokerResponse`.
//!
//! Events that describe ZooKeeper carry what the shell read *when it handled the event*, not
//! a diff: the core compares with what it knows, so a watch that fires twice does no harm.

use std::collections::{BTreeMap, BTreeSet};

use crate::broker_info::BrokerInfo;
use crate::requests::{ControllerRequest, ControllerResponse, TopicPartition};
use crate::zk_data::{LeaderIsrAndControllerEpoch, TopicAssignment};

/// A live broker: its registration and its epoch (the `czxid` of its `/brokers/ids/<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredBroker {
    pub info: BrokerInfo,
    pub epoch: i64,
}

/// A partition's state znode as read: the state and the znode's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionStateZNode {
    pub state: LeaderIsrAndControllerEpoch,
    pub zk_version: i32,
}

/// Everything a new controller reads when it takes over (`KafkaController.initializeControllerContext`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSnapshot {
    /// The children of `/brokers/ids` with their data and epochs.
    pub brokers: BTreeMap<i32, RegisteredBroker>,
    /// Every `/brokers/topics/<t>`.
    pub topics: BTreeMap<String, TopicAssignment>,
    /// Every `/brokers/topics/<t>/partitions/<p>/state` that exists.
    pub partition_states: BTreeMap<TopicPartition, PartitionStateZNode>,
    /// The children of `/admin/delete_topics`.
    pub topics_to_delete: BTreeSet<String>,
}

/// One input of the controller core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerEvent {
    /// `/controller` was created, changed or deleted — or the broker just started or got a new
    /// session. `controller_id` is `/controller`'s broker id (`None`: no controller);
    /// `controller_epoch` is `/controller_epoch`'s value and znode version (`None`: absent).
    ControllerChanged {
        controller_id: Option<i32>,
        controller_epoch: Option<(i32, i32)>,
    },
    /// `RegisterController` succeeded: this broker is the controller of `epoch`, and
    /// `/controller_epoch` now has znode version `epoch_zk_version`.
    ControllerRegistered { epoch: i32, epoch_zk_version: i32 },
    /// `RegisterController` failed: someone else won (or `/controller_epoch` moved).
    ControllerRegistrationFailed { controller_id: Option<i32> },
    /// The answer to `LoadCluster`.
    ClusterLoaded(ClusterSnapshot),
    /// The children of `/brokers/ids` changed; here they are now.
    BrokersChanged(BTreeMap<i32, RegisteredBroker>),
    /// The children of `/brokers/topics` (or a topic's assignment) changed; here they are now.
    TopicsChanged(BTreeMap<String, TopicAssignment>),
    /// The children of `/admin/delete_topics` changed; here they are now.
    TopicDeletionsChanged(BTreeSet<String>),
    /// Lab 12: the children of `/isr_change_notification` (watched): each notification's name
    /// (`isr_change_0000000003`), and the state znode of every partition they name, as read
    /// now (Kafka's `IsrChangeNotificationHandler`). A partition leader changed its ISR.
    IsrChangeNotifications {
        notifications: Vec<String>,
        partition_states: BTreeMap<TopicPartition, PartitionStateZNode>,
    },
    /// This broker's ZooKeeper session expired: its ephemerals are gone.
    SessionExpired,
    /// A write in `Ready::zk_ops` failed (see the module doc).
    ZkOpFailed { path: String, reason: String },
    /// ControlledShutdown (API 7) from `broker_id` (lab 13's rules, `failover`).
    ControlledShutdown { broker_id: i32, broker_epoch: i64 },
    /// ElectLeaders (API 43), preferred: `None` for every partition.
    ElectPreferredLeaders {
        partitions: Option<Vec<TopicPartition>>,
    },
    /// `leader.imbalance.check.interval.seconds` passed: `auto.leader.rebalance.enable`'s check.
    AutoLeaderRebalance,
    /// A broker answered a request this controller sent.
    BrokerResponse {
        broker_id: i32,
        response: ControllerResponse,
    },
}

/// One ZooKeeper operation the core asks for. Paths are without the chroot. Every write
/// carries `controller_epoch_zk_version`: the shell runs it as a `multi` with a check that
/// `/controller_epoch` still has that version (Kafka's controller epoch zkVersion check, since
/// 2.2), so a deposed controller cannot write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkOp {
    /// Kafka's `registerControllerAndIncrementControllerEpoch`, one `multi`: create the
    /// ephemeral `/controller` for `broker_id` (the shell stamps the time) and set
    /// `/controller_epoch` to `epoch` if its version is still `epoch_zk_version` — or, when that
    /// is `None`, create `/controller_epoch` with `epoch`.
    RegisterController {
        broker_id: i32,
        epoch: i32,
        epoch_zk_version: Option<i32>,
    },
    /// Read the cluster and answer `ClusterLoaded`.
    LoadCluster,
    /// Create a persistent znode, and any missing parents with no data.
    Create {
        path: String,
        data: Vec<u8>,
        controller_epoch_zk_version: i32,
    },
    /// setData if the znode's version is still `version`.
    SetData {
        path: String,
        data: Vec<u8>,
        version: i32,
        controller_epoch_zk_version: i32,
    },
    /// Delete a znode and all its children; a znode that does not exist is no error.
    DeleteRecursive {
        path: String,
        controller_epoch_zk_version: i32,
    },
}

/// A request for one broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRequest {
    pub broker_id: i32,
    pub request: ControllerRequest,
}

/// What the core wants done, taken with `Controller::ready`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    pub zk_ops: Vec<ZkOp>,
    pub requests: Vec<BrokerRequest>,
}

impl Ready {
    pub fn is_empty(&self) -> bool {
        self.zk_ops.is_empty() && self.requests.is_empty()
    }
}
