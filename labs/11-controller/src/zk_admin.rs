//! Given: what a broker asks of ZooKeeper while it serves clients — Kafka's `AdminZkClient`.
//!
//! In a cluster a broker does not create a topic's logs when a client asks for a topic: it
//! writes the topic's replica assignment to `/brokers/topics/<topic>` (and its settings to
//! `/config/topics/<topic>`), and the controller, watching `/brokers/topics`, elects leaders
//! and tells the replicas with LeaderAndIsr. Deleting is the same: the broker only adds
//! `/admin/delete_topics/<topic>`.
//!
//! Request handlers hold a [`ZkAdmin`]: a cheap handle that sends each request to the task that
//! owns the broker's one ZooKeeper session (`zk_session`), and waits for the answer.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};

/// One request to the session task.
#[derive(Debug)]
pub enum AdminRequest {
    /// Create `/config/topics/<topic>` with `configs`, then `/brokers/topics/<topic>` with
    /// `assignment` (partition → replicas). A topic that exists gets `Error::TopicExists`.
    CreateTopic {
        topic: String,
        assignment: BTreeMap<i32, Vec<i32>>,
        configs: BTreeMap<String, String>,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Create `/admin/delete_topics/<topic>`. A topic without `/brokers/topics/<topic>` gets
    /// `Error::UnknownTopic`; one already queued for deletion is no error.
    DeleteTopic {
        topic: String,
        reply: oneshot::Sender<Result<()>>,
    },
    /// Read `/config/topics/<topic>`'s settings (none: an empty map), for the logs a broker
    /// creates when LeaderAndIsr names it a replica.
    TopicConfig {
        topic: String,
        reply: oneshot::Sender<Result<BTreeMap<String, String>>>,
    },
    /// Lab 12: a partition's leader writes the ISR it wants — setData of `path` (a partition
    /// state znode, without the chroot) to `data` *if its version is still `version`*
    /// (`ReplicationUtils.updateLeaderAndIsr`). Answers the znode's new version, or `None`
    /// when the version check failed (the controller wrote it since).
    UpdatePartitionState {
        path: String,
        data: Vec<u8>,
        version: i32,
        reply: oneshot::Sender<Result<Option<i32>>>,
    },
    /// Lab 12: create the persistent *sequential* znode `path_prefix<10 digits>` holding
    /// `data` (`/isr_change_notification/isr_change_…`). Answers the path created.
    CreateSequential {
        path_prefix: String,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<String>>,
    },
}

/// A handle on the session task, for request handlers. Clone freely.
#[derive(Debug, Clone)]
pub struct ZkAdmin {
    tx: mpsc::Sender<AdminRequest>,
}

impl ZkAdmin {
    /// A handle and the receiving end the session task (or a test) serves.
    pub fn channel(capacity: usize) -> (ZkAdmin, mpsc::Receiver<AdminRequest>) {
        let (tx, rx) = mpsc::channel(capacity);
        (ZkAdmin { tx }, rx)
    }

    /// `AdminZkClient.createTopicWithAssignment`.
    pub async fn create_topic(
        &self,
        topic: &str,
        assignment: BTreeMap<i32, Vec<i32>>,
        configs: BTreeMap<String, String>,
    ) -> Result<()> {
        self.ask(|reply| AdminRequest::CreateTopic {
            topic: topic.to_string(),
            assignment,
            configs,
            reply,
        })
        .await
    }

    /// `AdminZkClient.deleteTopic`.
    pub async fn delete_topic(&self, topic: &str) -> Result<()> {
        self.ask(|reply| AdminRequest::DeleteTopic {
            topic: topic.to_string(),
            reply,
        })
        .await
    }

    /// The settings of `/config/topics/<topic>`.
    pub async fn topic_config(&self, topic: &str) -> Result<BTreeMap<String, String>> {
        self.ask(|reply| AdminRequest::TopicConfig {
            topic: topic.to_string(),
            reply,
        })
        .await
    }

    /// The conditional setData of a partition state znode (lab 12): `Some(new version)`, or
    /// `None` when `version` is no longer the znode's.
    pub async fn update_partition_state(
        &self,
        path: &str,
        data: Vec<u8>,
        version: i32,
    ) -> Result<Option<i32>> {
        self.ask(|reply| AdminRequest::UpdatePartitionState {
            path: path.to_string(),
            data,
            version,
            reply,
        })
        .await
    }

    /// A persistent sequential znode under `path_prefix` (lab 12's ISR change notification).
    pub async fn create_sequential(&self, path_prefix: &str, data: Vec<u8>) -> Result<String> {
        self.ask(|reply| AdminRequest::CreateSequential {
            path_prefix: path_prefix.to_string(),
            data,
            reply,
        })
        .await
    }

    async fn ask<T>(
        &self,
        request: impl FnOnce(oneshot::Sender<Result<T>>) -> AdminRequest,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let gone = || Error::ZooKeeper("the broker's ZooKeeper session task has stopped".into());
        self.tx.send(request(reply)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}
