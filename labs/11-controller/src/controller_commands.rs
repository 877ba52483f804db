//! Given: requests that reach the controller through a broker's request handlers —
//! ControlledShutdown (API 7) and ElectLeaders (API 43) — carried to the session task that
//! runs the controller core, the way `zk_admin` carries ZooKeeper writes.
//!
//! ```text
//! handler (any connection) ──ControllerCommand──> session task: core.step(event)
//!                          <──────── reply ──────  core.take_answer()
//! ```
//! A broker whose controller is not active answers NOT_CONTROLLER (41); so does one without a
//! ZooKeeper session.

use tokio::sync::{mpsc, oneshot};

use crate::failover_rules::NOT_CONTROLLER;
use crate::requests::TopicPartition;

/// The controller's answer to a ControlledShutdown: an error code and the partitions the
/// broker still leads.
pub type ShutdownAnswer = (i16, Vec<TopicPartition>);
/// The controller's answer to a preferred ElectLeaders: a top-level error code, and per
/// partition an error code (0: elected now).
pub type ElectionAnswer = (i16, Vec<(TopicPartition, i16)>);

/// One command for the session task.
#[derive(Debug)]
pub enum ControllerCommand {
    ControlledShutdown {
        broker_id: i32,
        broker_epoch: i64,
        reply: oneshot::Sender<ShutdownAnswer>,
    },
    /// `None`: every partition (`--all-topic-partitions`).
    ElectPreferredLeaders {
        partitions: Option<Vec<TopicPartition>>,
        reply: oneshot::Sender<ElectionAnswer>,
    },
}

impl ControllerCommand {
    /// Answers NOT_CONTROLLER without asking the core.
    pub fn refuse(self) {
        match self {
            ControllerCommand::ControlledShutdown { reply, .. } => {
                let _ = reply.send((NOT_CONTROLLER, Vec::new()));
            }
            ControllerCommand::ElectPreferredLeaders { reply, .. } => {
                let _ = reply.send((NOT_CONTROLLER, Vec::new()));
            }
        }
    }
}

/// A handle for request handlers. Clone freely.
#[derive(Debug, Clone)]
pub struct ControllerCommands {
    tx: mpsc::Sender<ControllerCommand>,
}

impl ControllerCommands {
    pub fn channel(capacity: usize) -> (ControllerCommands, mpsc::Receiver<ControllerCommand>) {
        let (tx, rx) = mpsc::channel(capacity);
        (ControllerCommands { tx }, rx)
    }

    pub async fn controlled_shutdown(&self, broker_id: i32, broker_epoch: i64) -> ShutdownAnswer {
        let (reply, answer) = oneshot::channel();
        let command = ControllerCommand::ControlledShutdown {
            broker_id,
            broker_epoch,
            reply,
        };
        if self.tx.send(command).await.is_err() {
            return (NOT_CONTROLLER, Vec::new());
        }
        answer.await.unwrap_or((NOT_CONTROLLER, Vec::new()))
    }

    pub async fn elect_preferred_leaders(
        &self,
        partitions: Option<Vec<TopicPartition>>,
    ) -> ElectionAnswer {
        let (reply, answer) = oneshot::channel();
        let command = ControllerCommand::ElectPreferredLeaders { partitions, reply };
        if self.tx.send(command).await.is_err() {
            return (NOT_CONTROLLER, Vec::new());
        }
        answer.await.unwrap_or((NOT_CONTROLLER, Vec::new()))
    }
}
