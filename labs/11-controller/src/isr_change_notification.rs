//! Given (lab 12's addition): Kafka's `IsrChangeNotificationHandler`. A partition's leader
//! changes its ISR itself — a conditional setData of the partition state znode — so the
//! controller's cache and the brokers' metadata would go stale. The leader therefore also
//! creates a sequential znode `/isr_change_notification/isr_change_<n>` naming the partitions
//! (`{"version":1,"partitions":[{"topic":"t","partition":0}]}`). The controller watches that
//! directory: it re-reads the named partitions' state znodes (the shell does, into the
//! event), keeps the newer ones, sends UpdateMetadata for them to every live broker and
//! deletes the notifications it handled.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::controller::Controller;
use crate::error::{Error, Result};
use crate::events::{PartitionStateZNode, ZkOp};
use crate::requests::TopicPartition;
use crate::zk_data::paths;

#[derive(Deserialize)]
struct NotificationJson {
    version: i32,
    partitions: Vec<NotificationPartition>,
}

#[derive(Deserialize)]
struct NotificationPartition {
    topic: String,
    partition: i32,
}

/// The partitions a notification names.
pub fn decode_isr_change_notification(bytes: &[u8]) -> Result<BTreeSet<TopicPartition>> {
    let json: NotificationJson = serde_json::from_slice(bytes)
        .map_err(|e| Error::ZooKeeper(format!("not an ISR change notification: {e}")))?;
    if json.version != 1 {
        return Err(Error::ZooKeeper(format!(
            "ISR change notification version {} (only 1 is known)",
            json.version
        )));
    }
    Ok(json
        .partitions
        .into_iter()
        .map(|p| TopicPartition::new(&p.topic, p.partition))
        .collect())
}

impl Controller {
    /// `processIsrChangeNotification`: `updateLeaderAndIsrCache`, then UpdateMetadata for the
    /// partitions to every live broker, then the notifications are deleted. A state older than
    /// the one the controller knows (its own later write) is ignored; a partition of a topic
    /// it does not know (being deleted) is skipped.
    pub(crate) fn on_isr_change_notifications(
        &mut self,
        notifications: Vec<String>,
        partition_states: BTreeMap<TopicPartition, PartitionStateZNode>,
    ) {
        let mut changed = Vec::new();
        for (tp, znode) in partition_states {
            if !self.assignments.contains_key(&tp) {
                continue;
            }
            let newer = self
                .partition_states
                .get(&tp)
                .is_none_or(|known| znode.zk_version > known.zk_version);
            if newer {
                self.partition_states.insert(tp.clone(), znode);
            }
            changed.push(tp);
        }
        if !changed.is_empty() {
            let live: BTreeSet<i32> = self.live_brokers.keys().copied().collect();
            self.send_update_metadata(&live, &changed);
        }
        for name in notifications {
            self.ready.zk_ops.push(ZkOp::DeleteRecursive {
                path: format!("{}/{name}", paths::ISR_CHANGE_NOTIFICATION),
                controller_epoch_zk_version: self.epoch_zk_version,
            });
        }
    }
}
