//! Every partition this broker leads, and the broker-wide parts of Kafka's `ReplicaManager`:
//! its two timers — `isr-expiration` (shrink ISRs, every `replica.lag.time.max.ms / 2`) and
//! `isr-change-propagation` (announce ISR changes, every 2.5 s) — and the purgatory where
//! `acks=all` produces wait.
//!
//! Given: it calls the steps in Kafka's order. After anything that may move a high watermark
//! (an append, a follower's fetch, an ISR change) it retries the produces waiting on that
//! partition (`tryCompleteDelayedRequests`); `tick` expires the ones whose time is up.
//! See `events` for what the shell does with the answers and with [`Ready`].

use std::collections::{BTreeMap, BTreeSet};

use lab04_protocol_codec::ErrorCode;
use lab11_controller::requests::LeaderAndIsrPartitionState;
use lab11_controller::TopicPartition;

use crate::config::{ReplicaConfig, ISR_CHANGE_PROPAGATION_CHECK_MS};
use crate::delayed_produce::DelayedProduce;
use crate::error::{Error, Result};
use crate::events::{AppendResult, FetchPartition, FetchResult, ProduceResponse, Ready};
use crate::partition::Partition;

/// One broker's replica core.
#[derive(Debug, Clone)]
pub struct ReplicaManager {
    pub(crate) broker_id: i32,
    pub(crate) config: ReplicaConfig,
    pub(crate) partitions: BTreeMap<TopicPartition, Partition>,
    /// The produce purgatory: `acks=all` produces by id.
    pub(crate) purgatory: BTreeMap<u64, DelayedProduce>,
    pub(crate) next_produce_id: u64,
    /// Partitions whose ISR changed since the last notification (`isrChangeSet`).
    pub(crate) isr_change_set: BTreeSet<TopicPartition>,
    pub(crate) last_isr_change_ms: i64,
    pub(crate) last_isr_propagation_ms: i64,
    pub(crate) next_isr_expiration_ms: i64,
    pub(crate) next_isr_propagation_ms: i64,
    pub(crate) ready: Ready,
}

impl ReplicaManager {
    /// The replica core of broker `broker_id`, started at `now_ms`.
    pub fn new(broker_id: i32, config: ReplicaConfig, now_ms: i64) -> ReplicaManager {
        ReplicaManager {
            broker_id,
            config,
            partitions: BTreeMap::new(),
            purgatory: BTreeMap::new(),
            next_produce_id: 1,
            isr_change_set: BTreeSet::new(),
            last_isr_change_ms: now_ms,
            last_isr_propagation_ms: now_ms,
            next_isr_expiration_ms: now_ms + config.isr_expiration_period_ms(),
            next_isr_propagation_ms: now_ms + ISR_CHANGE_PROPAGATION_CHECK_MS,
            ready: Ready::default(),
        }
    }

    /// LeaderAndIsr made this broker leader of `tp` (`becomeLeaderOrFollower` → `makeLeader`).
    /// `log_end_offset` and `high_watermark` describe the local log (and its checkpoint) if
    /// the partition is new here. A state whose leader epoch is not newer than the one this
    /// broker leads is ignored, as Kafka does; returns whether it was applied.
    pub fn become_leader(
        &mut self,
        tp: &TopicPartition,
        state: &LeaderAndIsrPartitionState,
        log_end_offset: i64,
        high_watermark: i64,
        now_ms: i64,
    ) -> Result<bool> {
        let partition = self.partitions.entry(tp.clone()).or_insert_with(|| {
            Partition::new(
                tp.clone(),
                self.broker_id,
                self.config,
                log_end_offset,
                high_watermark,
            )
        });
        if partition.is_leader() && state.leader_epoch <= partition.leader_epoch() {
            return Ok(false);
        }
        let hw_moved = partition.make_leader(state, now_ms)?;
        if hw_moved {
            self.try_complete_delayed_produces(tp);
        }
        self.collect_zk_ops();
        Ok(true)
    }

    /// A produce of `record_count` records to `tp` with `acks` = `required_acks` (−1, 0 or
    /// 1) and the request's `timeout_ms` (`ReplicaManager.appendRecords`).
    pub fn append_records(
        &mut self,
        tp: &TopicPartition,
        record_count: i64,
        required_acks: i16,
        timeout_ms: i64,
        now_ms: i64,
    ) -> Result<AppendResult> {
        if record_count <= 0 {
            return Err(Error::EmptyAppend(record_count));
        }
        let refused = |error| {
            Ok(AppendResult::Done {
                base_offset: -1,
                error,
            })
        };
        if !matches!(required_acks, -1..=1) {
            return refused(ErrorCode::InvalidRequiredAcks);
        }
        let Some(partition) = self.partitions.get_mut(tp) else {
            return refused(ErrorCode::UnknownTopicOrPartition);
        };
        let (first, last, hw_moved) =
            match partition.append_records_to_leader(record_count, required_acks, now_ms) {
                Ok(appended) => appended,
                Err(error) => return refused(error),
            };
        if hw_moved {
            self.try_complete_delayed_produces(tp);
        }
        if required_acks != -1 {
            return Ok(AppendResult::Done {
                base_offset: first,
                error: ErrorCode::None,
            });
        }
        let delayed = DelayedProduce {
            id: self.next_produce_id,
            tp: tp.clone(),
            base_offset: first,
            required_offset: last + 1,
            deadline_ms: now_ms + timeout_ms.max(0),
        };
        // `tryCompleteElseWatch`: an ISR of one (or a satisfied one) answers at once.
        if let Some(error) = delayed.try_complete(self.partitions.get(tp)) {
            return Ok(AppendResult::Done {
                base_offset: first,
                error,
            });
        }
        self.next_produce_id += 1;
        self.purgatory.insert(delayed.id, delayed.clone());
        Ok(AppendResult::Delayed {
            id: delayed.id,
            base_offset: first,
            last_offset: last,
        })
    }

    /// One partition of a Fetch, from a follower (`replica_id` ≥ 0) or a consumer (−1).
    pub fn fetch(
        &mut self,
        tp: &TopicPartition,
        request: &FetchPartition,
        now_ms: i64,
    ) -> FetchResult {
        let Some(partition) = self.partitions.get_mut(tp) else {
            return FetchResult {
                error: ErrorCode::UnknownTopicOrPartition,
                high_watermark: -1,
                read_up_to: request.fetch_offset,
            };
        };
        let (result, hw_moved) = partition.fetch(request, now_ms);
        if hw_moved {
            self.try_complete_delayed_produces(tp);
        }
        self.collect_zk_ops();
        result
    }

    /// ZooKeeper answered the `UpdatePartitionState` for `tp` whose `version` was
    /// `written_version`: the znode's new version, or `None` when its version check failed
    /// (`ZkPartitionStateStore`: a success is recorded for the next ISR change notification).
    pub fn on_partition_state_written(
        &mut self,
        tp: &TopicPartition,
        written_version: i32,
        new_zk_version: Option<i32>,
        now_ms: i64,
    ) -> Result<()> {
        let partition = self
            .partitions
            .get_mut(tp)
            .ok_or_else(|| Error::UnknownPartition(tp.clone()))?;
        let (isr_changed, hw_moved) =
            partition.on_isr_update(written_version, new_zk_version, now_ms);
        if isr_changed {
            // `recordIsrChange`
            self.isr_change_set.insert(tp.clone());
            self.last_isr_change_ms = now_ms;
        }
        if hw_moved {
            self.try_complete_delayed_produces(tp);
        }
        Ok(())
    }

    /// Time passed: run the timers that are due. Every loop here is over the partitions or
    /// the purgatory, once.
    pub fn tick(&mut self, now_ms: i64) {
        if now_ms >= self.next_isr_expiration_ms {
            for partition in self.partitions.values_mut() {
                partition.maybe_shrink_isr(now_ms);
            }
            self.next_isr_expiration_ms = now_ms + self.config.isr_expiration_period_ms();
        }
        self.collect_zk_ops();
        if now_ms >= self.next_isr_propagation_ms {
            self.maybe_propagate_isr_changes(now_ms);
            self.next_isr_propagation_ms = now_ms + ISR_CHANGE_PROPAGATION_CHECK_MS;
        }
        if !self.purgatory.is_empty() {
            let expired: Vec<(u64, ErrorCode)> = self
                .purgatory
                .values()
                .filter_map(|d| d.expire(now_ms).map(|e| (d.id, e)))
                .collect();
            for (id, error) in expired {
                self.respond(id, error);
            }
        }
    }

    /// LeaderAndIsr made another broker leader of `tp`, or StopReplica stopped it: this
    /// broker no longer leads it. Its waiting produces are answered NOT_LEADER_OR_FOLLOWER
    /// (the records may still commit under the new leader, or be lost: lab 13).
    pub fn stop_leading(&mut self, tp: &TopicPartition) {
        if self.partitions.remove(tp).is_none() {
            return;
        }
        self.isr_change_set.remove(tp);
        self.try_complete_delayed_produces(tp);
    }

    /// `min.insync.replicas` for one partition (its topic's setting, or the broker's).
    pub fn set_min_insync_replicas(&mut self, tp: &TopicPartition, min_insync_replicas: usize) {
        if let Some(p) = self.partitions.get_mut(tp) {
            p.config.min_insync_replicas = min_insync_replicas;
        }
    }

    /// Takes what the shell must do now.
    pub fn ready(&mut self) -> Ready {
        std::mem::take(&mut self.ready)
    }

    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }
    pub fn partition(&self, tp: &TopicPartition) -> Option<&Partition> {
        self.partitions.get(tp)
    }
    /// How many `acks=all` produces wait.
    pub fn delayed_produce_count(&self) -> usize {
        self.purgatory.len()
    }
    /// Partitions whose ISR change is not announced yet.
    pub fn isr_change_set(&self) -> &BTreeSet<TopicPartition> {
        &self.isr_change_set
    }

    /// `tryCompleteDelayedRequests` for `tp`: answer every waiting produce that is done.
    fn try_complete_delayed_produces(&mut self, tp: &TopicPartition) {
        if self.purgatory.is_empty() {
            return;
        }
        let partition = self.partitions.get(tp);
        let done: Vec<(u64, ErrorCode)> = self
            .purgatory
            .values()
            .filter(|d| &d.tp == tp)
            .filter_map(|d| d.try_complete(partition).map(|e| (d.id, e)))
            .collect();
        for (id, error) in done {
            self.respond(id, error);
        }
    }

    fn respond(&mut self, id: u64, error: ErrorCode) {
        if let Some(d) = self.purgatory.remove(&id) {
            self.ready.produce_responses.push(ProduceResponse {
                id,
                tp: d.tp,
                base_offset: d.base_offset,
                error,
            });
        }
    }

    /// Moves the partitions' ZooKeeper writes into `ready`, in partition order.
    fn collect_zk_ops(&mut self) {
        for partition in self.partitions.values_mut() {
            self.ready.zk_ops.append(&mut partition.zk_ops);
        }
    }
}
