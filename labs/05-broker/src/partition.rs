//! One partition as the broker serves it: its log (lab 03) and its replica state — the
//! leader, the leader epoch, the replicas, the in-sync replicas (ISR) and the high watermark
//! (HW), the offset below which records are *committed* and visible to consumers.
//!
//! Produce, Fetch, ListOffsets and Metadata all go through a [`Partition`]; none of them looks
//! at the log directly. How the replica state changes is the job of a [`Replication`]: lab 05's
//! [`SingleReplica`] is this broker alone — it is the only replica and always in sync, so every
//! append is committed at once (HW = log end offset, LEO).
//!
//! # How lab 12 (replication) plugs in
//!
//! Lab 12 replaces the replica *logic*, not lab 05's request handlers. It implements
//! [`Replication`] and opens the broker with [`crate::Broker::open_with`]:
//!
//! 1. **Followers fetch** — a follower broker sends an ordinary Fetch with its own broker id as
//!    `replica_id` (≥ 0). The Fetch handler already calls [`Partition::record_follower_fetch`]
//!    for such requests, which hands the follower's fetch offset (its LEO) and the time to
//!    [`Replication::on_follower_fetch`]; [`Partition::read`] lets a follower read up to the
//!    LEO, while a consumer stops at the HW. [`SingleReplica`] answers NOT_LEADER_OR_FOLLOWER:
//!    there are no followers on one broker.
//! 2. **The HW advances as the minimum LEO over the ISR** — lab 12's `on_follower_fetch` and
//!    `on_leader_append` store each follower's LEO in [`ReplicaState::followers`], set
//!    `high_watermark` to the smallest LEO of the leader and every ISR member, and move a
//!    follower in or out of `isr` by how long ago it caught up (`replica.lag.time.max.ms`, in
//!    [`Replication::tick`], which the log manager's timer calls every second). Kafka:
//!    `Partition.maybeIncrementLeaderHW`, `maybeShrinkIsr`.
//! 3. **acks=−1 waits for the ISR** — the Produce handler appends, then waits until
//!    [`Partition::is_committed`] says the HW has passed the batch's last offset, waking on
//!    every change signal (`Shared::appended`, which the Fetch handler also fires after a
//!    follower's fetch) until the request's `timeout_ms` runs out (REQUEST_TIMED_OUT). With
//!    [`SingleReplica`] the wait ends at once, because the append itself committed the batch.
//!    Kafka: `DelayedProduce`, completed when `Partition.checkEnoughReplicasReachOffset` holds.
//!
//! Everything here is plain data and rules, with the time passed in: no sockets, no clocks,
//! so lab 12 can test its ISR rules with a simulated clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use lab01_record_batch::BatchHeader;
use lab03_partition_log::{AppendInfo, Log};
use lab04_protocol_codec::ErrorCode;

use crate::producer_state::{PartitionProducers, ProducerCheck};

/// How far one follower has got, as its fetches tell the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerState {
    /// The follower's log end offset: the offset it asked to fetch from.
    pub log_end_offset: i64,
    /// When the follower last fetched up to the leader's LEO (Kafka's `lastCaughtUpTimeMs`).
    pub last_caught_up_ms: i64,
}

/// Who holds copies of a partition and how far the committed part reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaState {
    pub leader_id: i32,
    /// Goes up each time the leadership changes; clients and followers send it to detect a
    /// stale leader (KIP-101, KIP-320).
    pub leader_epoch: i32,
    /// Every broker that should hold a copy, the leader first.
    pub replicas: Vec<i32>,
    /// The replicas that are caught up; acks=−1 waits for all of them.
    pub isr: Vec<i32>,
    /// Offsets below this are committed: on every ISR member, visible to consumers.
    pub high_watermark: i64,
    /// The followers' progress, by broker id (empty on a single broker).
    pub followers: BTreeMap<i32, FollowerState>,
}

/// The replica rules of a broker's partitions. Lab 05: [`SingleReplica`]; lab 12 its own.
pub trait Replication: Send + Sync + 'static {
    /// The state of a partition this broker opens, whose log ends at `log_end_offset`.
    fn open(&self, topic: &str, partition: i32, log_end_offset: i64) -> ReplicaState;

    /// The leader appended to `topic`-`partition`: its log now ends at `log_end_offset`. May
    /// move the HW.
    fn on_leader_append(
        &self,
        topic: &str,
        partition: i32,
        state: &mut ReplicaState,
        log_end_offset: i64,
    );

    /// Follower `replica_id` asked to fetch from `fetch_offset` at `now_ms`; the leader's log
    /// ends at `log_end_offset`. May move the HW and the ISR. An error code refuses the fetch.
    // The partition, its state and the fetch: eight arguments, and a struct for them would
    // only hide what the hook is told.
    #[allow(clippy::too_many_arguments)]
    fn on_follower_fetch(
        &self,
        topic: &str,
        partition: i32,
        state: &mut ReplicaState,
        replica_id: i32,
        fetch_offset: i64,
        log_end_offset: i64,
        now_ms: i64,
    ) -> ErrorCode;

    /// Whether a leader writes its epoch into each batch it appends ([`stamp_leader_epoch`]),
    /// which a cluster's followers need (lab 13). Kafka always does; a broker alone keeps its
    /// batches exactly as the producer sent them.
    fn stamps_leader_epoch(&self) -> bool {
        false
    }

    /// Time passed: drop followers that fell behind from the ISR. Nothing to do on one broker.
    fn tick(
        &self,
        _topic: &str,
        _partition: i32,
        _state: &mut ReplicaState,
        _log_end_offset: i64,
        _now_ms: i64,
    ) {
    }
}

/// One broker, one copy: this broker leads every partition, is its only replica and always in
/// sync, so the HW follows the LEO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SingleReplica {
    pub broker_id: i32,
}

impl Replication for SingleReplica {
    fn open(&self, _topic: &str, _partition: i32, log_end_offset: i64) -> ReplicaState {
        ReplicaState {
            leader_id: self.broker_id,
            leader_epoch: 0,
            replicas: vec![self.broker_id],
            isr: vec![self.broker_id],
            // Everything in the log reached every replica: there is only this one.
            high_watermark: log_end_offset,
            followers: BTreeMap::new(),
        }
    }

    fn on_leader_append(&self, _: &str, _: i32, state: &mut ReplicaState, log_end_offset: i64) {
        state.high_watermark = log_end_offset;
    }

    fn on_follower_fetch(
        &self,
        _: &str,
        _: i32,
        _: &mut ReplicaState,
        _: i32,
        _: i64,
        _: i64,
        _: i64,
    ) -> ErrorCode {
        // No broker follows this one: a replica fetch is for someone else's partition.
        ErrorCode::NotLeaderOrFollower
    }
}

/// Who asks to read: a consumer reads committed records only, a follower everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Consumer,
    Follower(i32),
}

impl Reader {
    /// From a Fetch's `replica_id`: −1 (or any negative) is a consumer.
    pub fn from_replica_id(replica_id: i32) -> Reader {
        if replica_id >= 0 {
            Reader::Follower(replica_id)
        } else {
            Reader::Consumer
        }
    }
}

pub struct Partition {
    topic: String,
    index: i32,
    log: Log,
    state: ReplicaState,
    replication: Arc<dyn Replication>,
    /// Lab 14's producer state; `None` in lab 05 (no sequence checks: a labelled shortcut).
    producers: Option<Box<dyn PartitionProducers>>,
}

impl Partition {
    pub fn new(topic: &str, index: i32, log: Log, replication: Arc<dyn Replication>) -> Partition {
        let state = replication.open(topic, index, log.log_end_offset());
        Partition {
            topic: topic.to_string(),
            index,
            log,
            state,
            replication,
            producers: None,
        }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn index(&self) -> i32 {
        self.index
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The log, for the log manager's flush and retention.
    pub fn log_mut(&mut self) -> &mut Log {
        &mut self.log
    }

    pub fn into_log(self) -> Log {
        self.log
    }

    pub fn state(&self) -> &ReplicaState {
        &self.state
    }

    pub fn high_watermark(&self) -> i64 {
        self.state.high_watermark
    }

    pub fn log_end_offset(&self) -> i64 {
        self.log.log_end_offset()
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log.log_start_offset()
    }

    /// Checks a producer's batch by the topic's settings and changes it where it lies (lab
    /// 03's given `log_validator`: `max.message.bytes`, keys of a compacted topic,
    /// `compression.type`, `message.timestamp.type`). `None`: append `batch` itself; `Some`:
    /// the topic recompressed it, append those bytes instead. Call before
    /// [`Partition::append_as_leader`].
    pub fn validate(
        &self,
        batch: &mut [u8],
        now_ms: i64,
    ) -> lab03_partition_log::Result<Option<Vec<u8>>> {
        lab03_partition_log::log_validator::validate(batch, self.log.config(), now_ms)
    }

    /// Appends one batch as the leader, then lets the replica rules move the HW.
    pub fn append_as_leader(
        &mut self,
        batch: &mut [u8],
        now_ms: i64,
    ) -> lab03_partition_log::Result<AppendInfo> {
        if self.replication.stamps_leader_epoch() {
            stamp_leader_epoch(batch, self.state.leader_epoch);
        }
        let info = self.log.append(batch, now_ms)?;
        self.producers_appended(batch, &info);
        let leo = self.log.log_end_offset();
        self.replication
            .on_leader_append(&self.topic, self.index, &mut self.state, leo);
        Ok(info)
    }

    /// Cuts the log to end at `offset` (at a batch boundary, see lab 03's `Log::truncate_to`),
    /// as a follower does when its log diverges from its leader's (lab 13); the HW never stays
    /// above the new log end. Returns the new log end offset.
    pub fn truncate_to(&mut self, offset: i64, now_ms: i64) -> lab03_partition_log::Result<i64> {
        let before = self.log.log_end_offset();
        let end = self.log.truncate_to(offset, now_ms)?;
        self.state.high_watermark = self.state.high_watermark.min(end);
        if end < before {
            if let Some(p) = self.producers.as_mut() {
                p.on_truncate(&self.log);
            }
        }
        Ok(end)
    }

    /// Appends one batch a follower fetched from its leader (lab 12), *keeping* its offsets:
    /// the batch must start at this log's end (a follower copies its leader's log, it does not
    /// number records itself). The replica rules are not asked: a follower's HW comes from its
    /// leader's answers ([`Partition::replica_state_mut`]).
    pub fn append_as_follower(
        &mut self,
        batch: &mut [u8],
        now_ms: i64,
    ) -> lab03_partition_log::Result<AppendInfo> {
        let header = BatchHeader::parse(batch)?;
        let leo = self.log.log_end_offset();
        if header.base_offset != leo {
            return Err(lab03_partition_log::Error::OffsetOutOfRange {
                offset: header.base_offset,
                log_start_offset: self.log.log_start_offset(),
                log_end_offset: leo,
            });
        }
        // The log gives the batch the next offsets, which are the ones it already has.
        let info = self.log.append(batch, now_ms)?;
        // A follower keeps the producer state too, so it can check sequences once it leads.
        self.producers_appended(batch, &info);
        Ok(info)
    }

    /// The replica state, for a follower's shell (lab 12): it sets the leader, the ISR and the
    /// HW its leader sent. A leader's state changes only through its [`Replication`].
    pub fn replica_state_mut(&mut self) -> &mut ReplicaState {
        &mut self.state
    }

    /// Whether every in-sync replica has `offset`: what an acks=−1 produce waits for.
    pub fn is_committed(&self, offset: i64) -> bool {
        self.state.high_watermark > offset
    }

    /// A follower's fetch from `fetch_offset`: its progress, for the replica rules.
    pub fn record_follower_fetch(
        &mut self,
        replica_id: i32,
        fetch_offset: i64,
        now_ms: i64,
    ) -> ErrorCode {
        let leo = self.log.log_end_offset();
        self.replication.on_follower_fetch(
            &self.topic,
            self.index,
            &mut self.state,
            replica_id,
            fetch_offset,
            leo,
            now_ms,
        )
    }

    /// Time passed, for the replica rules (ISR shrinking in lab 12).
    pub fn tick(&mut self, now_ms: i64) {
        let leo = self.log.log_end_offset();
        self.replication
            .tick(&self.topic, self.index, &mut self.state, leo, now_ms);
    }

    /// Whole batches from `offset`, up to `max_bytes` (at least one batch), as lab 03's
    /// `Log::read`. A consumer sees only batches below the HW; a follower reads to the LEO.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        reader: Reader,
    ) -> lab03_partition_log::Result<Option<Vec<u8>>> {
        let Some(mut bytes) = self.log.read(offset, max_bytes)? else {
            return Ok(None);
        };
        if reader == Reader::Consumer && self.log.log_end_offset() > self.state.high_watermark {
            bytes.truncate(committed_prefix(&bytes, self.state.high_watermark));
        }
        Ok((!bytes.is_empty()).then_some(bytes))
    }
}

/// Writes the leader's epoch into a producer's batch (`partitionLeaderEpoch`, bytes 12..16),
/// as Kafka's `LogValidator` does: every batch then says which leader wrote it, which is what
/// followers build their `leader-epoch-checkpoint` from (lab 13). The CRC starts after this
/// field (at `attributes`), so the batch stays valid. A negative epoch (unknown) is not written.
pub fn stamp_leader_epoch(batch: &mut [u8], leader_epoch: i32) {
    if leader_epoch >= 0 && batch.len() >= 16 {
        batch[12..16].copy_from_slice(&leader_epoch.to_be_bytes());
    }
}

/// Lab 14's producer state ([`crate::producer_state`]), kept apart from the append path above.
impl Partition {
    /// Gives this partition its producer state (lab 14), or takes it away.
    pub fn set_producers(&mut self, producers: Option<Box<dyn PartitionProducers>>) {
        self.producers = producers;
    }

    /// What the producer rules say about a client's batch, before it is appended. Without
    /// producer state (lab 05) every batch is appended.
    pub fn check_producer(&self, header: &BatchHeader) -> ProducerCheck {
        self.producers
            .as_ref()
            .map_or(ProducerCheck::Append, |p| p.check(header))
    }

    /// What the producer rules say about a transaction marker about to be written here by
    /// the leader (`producer_id` at `producer_epoch`, from coordinator epoch
    /// `coordinator_epoch`). Without producer state (lab 05) every marker is written.
    pub fn check_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
    ) -> ProducerCheck {
        self.producers.as_ref().map_or(ProducerCheck::Append, |p| {
            p.check_marker(producer_id, producer_epoch, coordinator_epoch)
        })
    }

    /// The last stable offset: the HW, or the first offset of the oldest open transaction if
    /// that is lower (a `read_committed` consumer reads below it only).
    pub fn last_stable_offset(&self) -> i64 {
        let first_unstable = self
            .producers
            .as_ref()
            .and_then(|p| p.first_unstable_offset());
        first_unstable.map_or(self.state.high_watermark, |f| {
            f.min(self.state.high_watermark)
        })
    }

    /// The aborted transactions overlapping `[from, to)`: (producer id, first offset).
    pub fn aborted_transactions(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        self.producers
            .as_ref()
            .map_or_else(Vec::new, |p| p.aborted_transactions(from, to))
    }

    /// Persists the producer state (a clean shutdown).
    pub fn close_producers(&mut self) {
        if let Some(p) = self.producers.as_mut() {
            p.on_close(&self.log);
        }
    }

    fn producers_appended(&mut self, batch: &[u8], info: &AppendInfo) {
        let Some(producers) = self.producers.as_mut() else {
            return;
        };
        if info.rolled.is_some() {
            // The state as of the new segment's start, before this batch (Kafka's `Log.roll`).
            producers.on_roll(&self.log);
        }
        if let Ok(header) = BatchHeader::parse(batch) {
            producers.on_append(&header, batch);
        }
    }
}

/// How many leading bytes of `batches` are whole batches that end below `high_watermark` (or
/// below lab 14's last stable offset, for a `read_committed` fetch).
pub fn committed_prefix(batches: &[u8], high_watermark: i64) -> usize {
    let mut end = 0;
    while let Ok(header) = BatchHeader::parse(&batches[end..]) {
        let size = header.total_size();
        if size == 0 || header.last_offset() >= high_watermark || end + size > batches.len() {
            break;
        }
        end += size;
    }
    end
}
