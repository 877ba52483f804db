//! The in-sync replicas (ISR) change: the leader drops a follower that fell behind and takes
//! back one that caught up, writes the new ISR to ZooKeeper, and tells the controller.
//!
//! **Shrink** (`Partition.maybeShrinkIsr`, run by the `isr-expiration` task every
//! `replica.lag.time.max.ms / 2`): a follower is out of sync when its LEO differs from the
//! leader's *and* it has not been caught up for more than `replica.lag.time.max.ms`. That one
//! test catches both a stuck follower (no fetch at all: a dead broker, a long GC pause) and a
//! slow one (fetching, but never reaching the end). A follower with the leader's LEO is in sync
//! however long ago it fetched: nothing was written meanwhile.
//!
//! **Expand** (`Partition.maybeExpandIsr`, on each fetch of a follower outside the ISR): it
//! rejoins when its LEO is ≥ the HW *and* ≥ the offset where this leader's epoch began. The
//! second part (KAFKA-7128) stops a follower that has only the old epoch's records from joining
//! and then, elected leader, losing what this leader committed after the HW it saw.
//!
//! **The write** (`ZkPartitionStateStore` → `ReplicationUtils.updateLeaderAndIsr`): a setData
//! of `/brokers/topics/<t>/partitions/<p>/state` *with the zkVersion this leader knows*. If the
//! controller changed the znode meanwhile (a new leader epoch, a broker death), the version no
//! longer matches, the write fails, and the leader keeps its old ISR in memory until the
//! controller's LeaderAndIsr brings the new state. The leader does not bump the leader epoch.
//!
//! **The notification** (`ReplicaManager.maybePropagateIsrChanges`, every 2.5 s): changed
//! partitions are collected and announced in one sequential znode,
//!
//! ```text
//! /isr_change_notification/isr_change_0000000000
//!     {"version":1,"partitions":[{"topic":"orders","partition":0}]}
//! ```
//!
//! once no change came for 5 s or the last announcement is 60 s old. The controller then
//! re-reads those state znodes and sends UpdateMetadata, so every broker's metadata shows the
//! new ISR (`kafka-topics --describe`).

use std::collections::BTreeSet;

use lab11_controller::zk_data::paths;
use lab11_controller::TopicPartition;
use serde::{Deserialize, Serialize};

use crate::config::{ISR_CHANGE_PROPAGATION_BLACKOUT_MS, ISR_CHANGE_PROPAGATION_INTERVAL_MS};
use crate::events::ZkOp;
use crate::partition::Partition;
use crate::replica_manager::ReplicaManager;

/// The directory the controller watches (`IsrChangeNotificationZNode.path`).
pub const ISR_CHANGE_NOTIFICATION_PATH: &str = "/isr_change_notification";
/// The prefix of its sequential children (`IsrChangeNotificationSequenceZNode`).
pub const ISR_CHANGE_NOTIFICATION_PREFIX: &str = "/isr_change_notification/isr_change_";

#[derive(Serialize, Deserialize)]
struct NotificationJson {
    version: i32,
    partitions: Vec<NotificationPartition>,
}

#[derive(Serialize, Deserialize)]
struct NotificationPartition {
    topic: String,
    partition: i32,
}

/// `{"version":1,"partitions":[{"topic":"orders","partition":0}, …]}`, in `partitions`' order.
pub fn encode_isr_change_notification(partitions: &BTreeSet<TopicPartition>) -> Vec<u8> {
    // BEGIN SOLUTION step 3: version 1 and the list of topic and partition objects
    // ko: version 1과 topic, partition 객체의 목록을 쓰세요
    serde_json::to_vec(&NotificationJson {
        version: 1,
        partitions: partitions
            .iter()
            .map(|tp| NotificationPartition {
                topic: tp.topic.clone(),
                partition: tp.partition,
            })
            .collect(),
    })
    .expect("strings and numbers always serialize")
    // END SOLUTION
}

/// Reads a notification (what the controller does with it in lab 13).
pub fn decode_isr_change_notification(bytes: &[u8]) -> crate::Result<BTreeSet<TopicPartition>> {
    let json: NotificationJson = serde_json::from_slice(bytes).map_err(|e| {
        crate::Error::BadNotification(format!("not an ISR change notification: {e}"))
    })?;
    if json.version != 1 {
        return Err(crate::Error::BadNotification(format!(
            "unsupported version {}",
            json.version
        )));
    }
    Ok(json
        .partitions
        .into_iter()
        .map(|p| TopicPartition::new(&p.topic, p.partition))
        .collect())
}

impl Partition {
    /// `maybeExpandIsr` for a follower outside the ISR that just fetched: if its LEO is ≥ the
    /// HW and ≥ the leader epoch's start offset, ask for the ISR with it added.
    pub(crate) fn maybe_expand_isr(&mut self, follower_id: i32) {
        // BEGIN SOLUTION step 3: if the follower is in sync by the two offsets, write the ISR with it appended
        // ko: 팔로워가 두 오프셋 기준으로 동기화됐으면 그것을 덧붙인 ISR을 쓰세요
        let Some(replica) = self.remote_replicas.get(&follower_id) else {
            return;
        };
        let leo = replica.log_end_offset();
        if !self.isr.contains(&follower_id)
            && leo >= self.high_watermark
            && leo >= self.leader_epoch_start_offset
        {
            let mut new_isr = self.isr.clone();
            new_isr.push(follower_id);
            self.update_isr(new_isr);
        }
        // END SOLUTION
    }

    /// `getOutOfSyncReplicas`: the ISR followers (never the leader) whose LEO differs from
    /// the leader's and that were last caught up more than `replica.lag.time.max.ms` ago.
    pub fn out_of_sync_replicas(&self, now_ms: i64) -> Vec<i32> {
        // BEGIN SOLUTION step 3: ISR members other than this broker whose LEO differs and whose last caught-up time is too old
        // ko: 이 브로커가 아닌 ISR 멤버 중 LEO가 다르고 마지막으로 따라잡은 시각이 너무 오래된 것을 고르세요
        let lag = self.config.replica_lag_time_max_ms;
        self.isr
            .iter()
            .copied()
            .filter(|id| *id != self.local_broker_id)
            .filter(|id| {
                self.remote_replicas.get(id).is_some_and(|r| {
                    r.log_end_offset() != self.log_end_offset
                        && now_ms - r.last_caught_up_time_ms() > lag
                })
            })
            .collect()
        // END SOLUTION
    }

    /// `maybeShrinkIsr`: while leading and with no ISR write in flight, ask for the ISR
    /// without the out-of-sync followers.
    pub fn maybe_shrink_isr(&mut self, now_ms: i64) {
        // BEGIN SOLUTION step 3: only a leader with no write in flight; write the ISR without the out-of-sync replicas if there are any
        // ko: 쓰기가 진행 중이 아닌 리더만: 동기화가 깨진 레플리카가 있으면 그것을 뺀 ISR을 쓰세요
        if !self.is_leader() || self.pending_isr.is_some() {
            return;
        }
        let out = self.out_of_sync_replicas(now_ms);
        if !out.is_empty() {
            let new_isr = self
                .isr
                .iter()
                .copied()
                .filter(|b| !out.contains(b))
                .collect();
            self.update_isr(new_isr);
        }
        // END SOLUTION
    }

    /// Asks ZooKeeper for `new_isr`: a conditional setData on the zkVersion we know. The
    /// cached ISR stays as it is until the answer.
    pub(crate) fn update_isr(&mut self, new_isr: Vec<i32>) {
        // BEGIN SOLUTION step 3: push an UpdatePartitionState with the known zkVersion and remember the ISR as pending
        // ko: 알고 있는 zkVersion으로 UpdatePartitionState를 넣고 그 ISR을 대기 중으로 기억하세요
        self.zk_ops.push(ZkOp::UpdatePartitionState {
            tp: self.tp.clone(),
            path: paths::partition_state(&self.tp.topic, self.tp.partition),
            data: self.leader_and_isr_json(&new_isr),
            version: self.zk_version,
        });
        self.pending_isr = Some(new_isr);
        // END SOLUTION
    }

    /// `maybeUpdateIsrAndVersion`: ZooKeeper answered the write that was conditioned on
    /// `written_version` — the znode's new version, or `None` when the version check failed.
    /// On success the pending ISR and the new zkVersion are kept and the HW may move (the ISR
    /// may be smaller now); on failure nothing changes. An answer to an older write (a
    /// LeaderAndIsr set a newer zkVersion since) is ignored. Returns (whether the ISR changed,
    /// whether the HW moved).
    pub fn on_isr_update(
        &mut self,
        written_version: i32,
        new_zk_version: Option<i32>,
        now_ms: i64,
    ) -> (bool, bool) {
        // BEGIN SOLUTION step 3: ignore answers to older writes; take the pending ISR; on success keep it and the new version, then try the HW
        // ko: 예전 쓰기에 대한 답은 무시하고, 대기 중인 ISR을 꺼내 성공이면 그것과 새 버전을 담은 뒤 HW를 옮겨 보세요
        if written_version != self.zk_version {
            return (false, false);
        }
        let Some(isr) = self.pending_isr.take() else {
            return (false, false);
        };
        match new_zk_version {
            Some(version) => {
                self.isr = isr;
                self.zk_version = version;
                (true, self.maybe_increment_leader_hw(now_ms))
            }
            None => (false, false),
        }
        // END SOLUTION
    }
}

impl ReplicaManager {
    /// `maybePropagateIsrChanges` at `now_ms`: if some ISR changed and either no change came
    /// for `ISR_CHANGE_PROPAGATION_BLACKOUT_MS` or the last announcement is older than
    /// `ISR_CHANGE_PROPAGATION_INTERVAL_MS`, create one notification naming them all.
    pub(crate) fn maybe_propagate_isr_changes(&mut self, now_ms: i64) {
        // BEGIN SOLUTION step 3: on either timer condition, one CreateIsrChangeNotification for the whole set; clear it and note the time
        // ko: 두 시간 조건 중 하나면 모인 전체로 CreateIsrChangeNotification 하나를 만들고, 집합을 비우고 시각을 적으세요
        if self.isr_change_set.is_empty() {
            return;
        }
        if self.last_isr_change_ms + ISR_CHANGE_PROPAGATION_BLACKOUT_MS < now_ms
            || self.last_isr_propagation_ms + ISR_CHANGE_PROPAGATION_INTERVAL_MS < now_ms
        {
            let data = encode_isr_change_notification(&self.isr_change_set);
            self.ready.zk_ops.push(ZkOp::CreateIsrChangeNotification {
                path_prefix: ISR_CHANGE_NOTIFICATION_PREFIX.to_string(),
                data,
            });
            self.isr_change_set.clear();
            self.last_isr_propagation_ms = now_ms;
        }
        // END SOLUTION
    }
}
