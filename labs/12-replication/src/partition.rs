//! One partition this broker leads (the leader's half of Kafka's `kafka.cluster.Partition`):
//! who the replicas are, which of them are in sync, how far each follower got, and the high
//! watermark. The log itself stays with the shell (lab 03's `Log`): the core needs only its
//! log end offset, which `append_records_to_leader` moves.
//!
//! ```text
//!            produce                      fetch(offset = its LEO)
//! producer ─────────► leader (broker 1) ◄──────────────────────── follower (broker 2)
//!                     log: 0 1 2 3 4 5 6 7 ─────────────────────► log: 0 1 2 3 4 5
//!                                  HW ┘   └ LEO = 8    records + HW        HW ┘ └ LEO = 6
//!                     ISR = {1, 2, 3}: the HW is the smallest LEO among them
//! ```
//!
//! This file is given: it ties the steps together in Kafka's order. A follower's fetch moves
//! its [`Replica`] (step 1), may let it join the ISR (step 3) and may move the high watermark
//! (step 2); an append may move the high watermark too (an ISR of one); an `acks=all` append
//! first checks `min.insync.replicas` (step 4).

use std::collections::BTreeMap;

use lab04_protocol_codec::ErrorCode;
use lab11_controller::requests::LeaderAndIsrPartitionState;
use lab11_controller::TopicPartition;

use crate::config::ReplicaConfig;
use crate::error::{Error, Result};
use crate::events::{FetchIsolation, FetchPartition, FetchResult, ZkOp};
use crate::replica::{Replica, UNKNOWN_OFFSET};

/// One partition, led by this broker.
#[derive(Debug, Clone)]
pub struct Partition {
    pub(crate) tp: TopicPartition,
    pub(crate) local_broker_id: i32,
    pub(crate) config: ReplicaConfig,
    /// `None` until `make_leader`.
    pub(crate) leader_id: Option<i32>,
    /// Every replica, the preferred leader first (the assignment).
    pub(crate) assigned_replicas: Vec<i32>,
    /// The in-sync replicas, as this leader last wrote or was told them (`inSyncReplicaIds`).
    pub(crate) isr: Vec<i32>,
    pub(crate) leader_epoch: i32,
    /// The leader's LEO when it became leader of this epoch (`leaderEpochStartOffsetOpt`): a
    /// follower must reach it to join the ISR (step 3).
    pub(crate) leader_epoch_start_offset: i64,
    /// The epoch of the controller that made this leader (written back with the ISR).
    pub(crate) controller_epoch: i32,
    /// The state znode's version this leader knows (`zkVersion`).
    pub(crate) zk_version: i32,
    pub(crate) remote_replicas: BTreeMap<i32, Replica>,
    pub(crate) log_end_offset: i64,
    pub(crate) high_watermark: i64,
    /// An ISR this leader asked ZooKeeper for and has no answer about yet. (Kafka 2.6 writes
    /// synchronously under the partition's lock, so it never has two; we wait for the answer.)
    pub(crate) pending_isr: Option<Vec<i32>>,
    /// ZooKeeper writes for the replica manager to collect.
    pub(crate) zk_ops: Vec<ZkOp>,
}

impl Partition {
    /// A partition whose local log ends at `log_end_offset`, with the high watermark of the
    /// broker's `replication-offset-checkpoint` (0 for a new one). Not a leader yet.
    pub fn new(
        tp: TopicPartition,
        local_broker_id: i32,
        config: ReplicaConfig,
        log_end_offset: i64,
        high_watermark: i64,
    ) -> Partition {
        Partition {
            tp,
            local_broker_id,
            config,
            leader_id: None,
            assigned_replicas: Vec::new(),
            isr: Vec::new(),
            leader_epoch: -1,
            leader_epoch_start_offset: UNKNOWN_OFFSET,
            controller_epoch: -1,
            zk_version: -1,
            remote_replicas: BTreeMap::new(),
            log_end_offset,
            high_watermark: high_watermark.clamp(0, log_end_offset.max(0)),
            pending_isr: None,
            zk_ops: Vec::new(),
        }
    }

    /// `Partition.makeLeader`: the controller's LeaderAndIsr names this broker leader of
    /// `state.leader_epoch`. Returns whether the high watermark moved.
    ///
    /// Every follower gets a fresh start: an ISR member counts as caught up *now* (it has a
    /// full `replica.lag.time.max.ms` to prove it), the others as never. A new leader also
    /// forgets what it knew of the followers' LEOs: they are unknown until each fetches.
    pub fn make_leader(&mut self, state: &LeaderAndIsrPartitionState, now_ms: i64) -> Result<bool> {
        let bad = |reason: &str| Error::BadPartitionState {
            tp: self.tp.clone(),
            reason: reason.to_string(),
        };
        if state.leader != self.local_broker_id {
            return Err(bad("the leader is another broker"));
        }
        if !state.replicas.contains(&state.leader) || !state.isr.contains(&state.leader) {
            return Err(bad("the leader is not among the replicas and the ISR"));
        }
        if state.isr.iter().any(|b| !state.replicas.contains(b)) {
            return Err(bad("the ISR names a broker that is not a replica"));
        }
        self.controller_epoch = state.controller_epoch;
        self.assigned_replicas = state.replicas.clone();
        self.remote_replicas
            .retain(|id, _| state.replicas.contains(id) && *id != self.local_broker_id);
        for &id in &state.replicas {
            if id != self.local_broker_id {
                self.remote_replicas
                    .entry(id)
                    .or_insert_with(|| Replica::new(id));
            }
        }
        self.isr = state.isr.clone();
        self.leader_epoch = state.leader_epoch;
        self.leader_epoch_start_offset = self.log_end_offset;
        self.zk_version = state.zk_version;
        self.pending_isr = None;

        let is_new_leader = self.leader_id != Some(self.local_broker_id);
        for (id, replica) in self.remote_replicas.iter_mut() {
            let caught_up = if state.isr.contains(id) { now_ms } else { 0 };
            replica.reset_last_caught_up_time(self.log_end_offset, now_ms, caught_up);
        }
        if is_new_leader {
            self.leader_id = Some(self.local_broker_id);
            for replica in self.remote_replicas.values_mut() {
                replica.update_fetch_state(UNKNOWN_OFFSET, 0, UNKNOWN_OFFSET);
            }
        }
        // The ISR may be just this broker now: the HW may move.
        Ok(self.maybe_increment_leader_hw(now_ms))
    }

    /// `Partition.appendRecordsToLeader`, for `record_count` records: the offsets they take,
    /// `(first, last)`, and whether the high watermark moved. `acks=all` (−1) is refused with
    /// NOT_ENOUGH_REPLICAS before anything is written when the ISR is too small (step 4).
    pub fn append_records_to_leader(
        &mut self,
        record_count: i64,
        required_acks: i16,
        now_ms: i64,
    ) -> std::result::Result<(i64, i64, bool), ErrorCode> {
        if self.leader_id != Some(self.local_broker_id) {
            return Err(ErrorCode::NotLeaderOrFollower);
        }
        if required_acks == -1 {
            self.check_min_insync_replicas()?;
        }
        let first = self.log_end_offset;
        self.log_end_offset += record_count;
        // An ISR of one: this append is committed at once.
        let hw_moved = self.maybe_increment_leader_hw(now_ms);
        Ok((first, self.log_end_offset - 1, hw_moved))
    }

    /// A fetch (`ReplicaManager.fetchMessages` for one partition): check the leader epoch
    /// and the offset, say how far the fetcher may read (step 2), and for a follower record
    /// its progress (`updateFollowerFetchState`). The answer carries the high watermark after
    /// that. The second value says whether the high watermark moved.
    pub fn fetch(&mut self, request: &FetchPartition, now_ms: i64) -> (FetchResult, bool) {
        let refuse = |error, hw| {
            let result = FetchResult {
                error,
                high_watermark: hw,
                read_up_to: request.fetch_offset,
            };
            (result, false)
        };
        if self.leader_id != Some(self.local_broker_id) {
            return refuse(ErrorCode::NotLeaderOrFollower, -1);
        }
        // `Partition.checkCurrentLeaderEpoch` (KIP-320): an older epoch is a fetcher that
        // missed a leader change; a newer one, a leader that has not heard of it yet.
        match request.current_leader_epoch {
            Some(e) if e < self.leader_epoch => {
                return refuse(ErrorCode::FencedLeaderEpoch, self.high_watermark)
            }
            Some(e) if e > self.leader_epoch => {
                return refuse(ErrorCode::UnknownLeaderEpoch, self.high_watermark)
            }
            _ => {}
        }
        if request.fetch_offset < 0 || request.fetch_offset > self.log_end_offset {
            return refuse(ErrorCode::OffsetOutOfRange, self.high_watermark);
        }
        // Read first, with the state as it is; then learn from the fetch (Kafka's order).
        let isolation = FetchIsolation::from_replica_id(request.replica_id);
        let read_up_to = self.fetch_upper_bound(isolation).max(request.fetch_offset);
        let mut hw_moved = false;
        if request.replica_id >= 0 {
            match self.update_follower_fetch_state(request.replica_id, request.fetch_offset, now_ms)
            {
                Some(moved) => hw_moved = moved,
                // Not a replica of this partition: Kafka answers with no records.
                None => return refuse(ErrorCode::None, self.high_watermark),
            }
        }
        let result = FetchResult {
            error: ErrorCode::None,
            high_watermark: self.high_watermark,
            read_up_to,
        };
        (result, hw_moved)
    }

    /// `Partition.updateFollowerFetchState`: `None` if `follower_id` is no remote replica,
    /// else whether the high watermark moved.
    fn update_follower_fetch_state(
        &mut self,
        follower_id: i32,
        fetch_offset: i64,
        now_ms: i64,
    ) -> Option<bool> {
        let leader_end_offset = self.log_end_offset;
        let replica = self.remote_replicas.get_mut(&follower_id)?;
        let previous = replica.log_end_offset();
        replica.update_fetch_state(fetch_offset, now_ms, leader_end_offset);
        // Only an outsider can join; only one ISR write at a time.
        if !self.isr.contains(&follower_id) && self.pending_isr.is_none() {
            self.maybe_expand_isr(follower_id);
        }
        // A follower already in the ISR that got further may let the HW move.
        Some(previous != fetch_offset && self.maybe_increment_leader_hw(now_ms))
    }

    /// The state znode's content for `isr`: this leader, its epoch, and the epoch of the
    /// controller that made it leader (not bumped: the leader changes only the ISR).
    pub(crate) fn leader_and_isr_json(&self, isr: &[i32]) -> Vec<u8> {
        lab11_controller::LeaderIsrAndControllerEpoch {
            leader: self.local_broker_id,
            leader_epoch: self.leader_epoch,
            isr: isr.to_vec(),
            controller_epoch: self.controller_epoch,
        }
        .encode()
    }

    pub fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }
    pub fn is_leader(&self) -> bool {
        self.leader_id == Some(self.local_broker_id)
    }
    pub fn leader_epoch(&self) -> i32 {
        self.leader_epoch
    }
    pub fn leader_epoch_start_offset(&self) -> i64 {
        self.leader_epoch_start_offset
    }
    pub fn zk_version(&self) -> i32 {
        self.zk_version
    }
    pub fn assigned_replicas(&self) -> &[i32] {
        &self.assigned_replicas
    }
    pub fn isr(&self) -> &[i32] {
        &self.isr
    }
    /// Whether `broker_id` is in the ISR or in an ISR this leader asked ZooKeeper for: the
    /// *maximal ISR*, which the HW must respect. ZooKeeper may already hold the pending ISR, so
    /// committing past one of its members could lose records in a failover. Kafka 2.6 needs no
    /// such thing, as it writes ZooKeeper under the partition's lock, which stops the HW from
    /// moving meanwhile; Kafka 2.7's asynchronous AlterIsr (KIP-497) has the same
    /// `maximalIsr` as here.
    pub fn in_maximal_isr(&self, broker_id: i32) -> bool {
        self.isr.contains(&broker_id)
            || self
                .pending_isr
                .as_ref()
                .is_some_and(|pending| pending.contains(&broker_id))
    }
    /// The ISR written to ZooKeeper and not yet confirmed.
    pub fn pending_isr(&self) -> Option<&[i32]> {
        self.pending_isr.as_deref()
    }
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }
    pub fn replica(&self, broker_id: i32) -> Option<&Replica> {
        self.remote_replicas.get(&broker_id)
    }
    pub fn config(&self) -> &ReplicaConfig {
        &self.config
    }
}
