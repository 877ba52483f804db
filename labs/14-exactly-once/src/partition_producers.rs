//! Given: step 1's pure pieces in the running broker — each partition of lab 05's broker keeps a
//! [`ProducerStateManager`] behind lab 05's `PartitionProducers` seam.
//!
//! ```text
//! open       newest usable `<offset>.snapshot` in the partition's folder, then replay the log
//!            after it (the whole log when there is none)         Kafka: Log.loadProducerState
//! Produce    analyze(batch) → Append / Duplicate(original offsets) / refused
//! appended   update(batch, first offset)
//! roll       write `<new segment base>.snapshot`, keep the newest two   Kafka: Log.roll
//! shutdown   write `<log end>.snapshot`
//! truncated  (a follower whose log diverged, lab 13) drop the snapshots and aborted
//!            transactions past the new end, then open again      Kafka: Log.truncateTo
//! ```
//!
//! A follower appends what it replicates through the same `on_append`, so it knows every
//! producer's last batches when it becomes the leader (Kafka: `Log.appendAsFollower` updates
//! the `ProducerStateManager`): a batch retried to the new leader is still a duplicate.
//!
//! A snapshot only saves replay time: a missing or corrupt one costs a replay of the log, never
//! correctness — the log is the truth.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lab01_record_batch::record_batch::{BatchHeader, RecordBatch};
use lab03_partition_log::Log;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{PartitionProducers, ProducerCheck, ProducerStates};

use crate::control_batch::{read_marker, ControlRecordType};
use crate::errors::Errors;
use crate::producer_snapshot::{
    decode_snapshot, snapshot_file_name, snapshot_offsets, write_snapshot,
};
use crate::producer_state_manager::{AppendDecision, ProducerBatch, ProducerStateManager};
use crate::txn_index::{AbortedTxn, TransactionIndex, TXN_INDEX_SUFFIX};

/// How many snapshot files a partition keeps (Kafka keeps those at or above the log start; two
/// is enough here: the newest, and one in case the newest was torn by a crash).
pub const SNAPSHOTS_KEPT: usize = 2;

/// Calls `apply` with every batch of `log` from `from` on, header and bytes, in offset order.
pub fn for_each_batch(log: &Log, from: i64, mut apply: impl FnMut(&BatchHeader, &[u8])) {
    let mut offset = from.max(log.log_start_offset());
    while offset < log.log_end_offset() {
        // One segment's worth at most per read; the next read starts after its last batch.
        let Ok(Some(bytes)) = log.read(offset, usize::MAX / 2) else {
            break;
        };
        let mut rest = &bytes[..];
        let before = offset;
        while let Ok(h) = BatchHeader::parse(rest) {
            if h.total_size() == 0 || h.total_size() > rest.len() {
                break;
            }
            if h.last_offset() >= offset {
                offset = h.last_offset() + 1;
                apply(&h, &rest[..h.total_size()]);
            }
            rest = &rest[h.total_size()..];
        }
        if offset == before {
            break;
        }
    }
}

/// Lab 05's `ProducerStates`: opens a [`PartitionState`] for each partition.
#[derive(Debug, Default)]
pub struct Idempotence;

impl Idempotence {
    pub fn new() -> Arc<Idempotence> {
        Arc::new(Idempotence)
    }
}

impl ProducerStates for Idempotence {
    fn open(&self, topic: &str, partition: i32, log: &Log) -> Box<dyn PartitionProducers> {
        Box::new(PartitionState::open(topic, partition, log))
    }
}

/// One partition's producers, as lab 05's broker asks about them, and its aborted
/// transactions.
#[derive(Debug)]
pub struct PartitionState {
    pub state: ProducerStateManager,
    /// The partition's aborted transactions. A simplification: one `.txnindex` file for the
    /// whole partition (named for offset 0), where Kafka keeps one per segment.
    pub aborted: TransactionIndex,
    index_file: PathBuf,
    /// For the log lines of a reload.
    topic: String,
    partition: i32,
}

impl PartitionState {
    /// The newest readable snapshot not past the log end, then the log after it
    /// (`Log.loadProducerState`); with none, the whole log.
    pub fn open(topic: &str, partition: i32, log: &Log) -> PartitionState {
        let index_file = log.dir().join(format!("{:020}{TXN_INDEX_SUFFIX}", 0));
        let index = std::fs::read(&index_file)
            .ok()
            .and_then(|b| TransactionIndex::from_bytes(&b).ok());
        let mut state = ProducerStateManager::new();
        let offsets = snapshot_offsets(log.dir()).unwrap_or_default();
        // Without its index the aborted transactions come from a replay of the whole log.
        let usable = offsets
            .into_iter()
            .filter(|o| *o <= log.log_end_offset() && index.is_some());
        for offset in usable {
            let path = log.dir().join(snapshot_file_name(offset));
            match std::fs::read(&path).map(|b| decode_snapshot(&b)) {
                Ok(Ok(entries)) => {
                    state.producers = entries.into_iter().map(|e| (e.producer_id, e)).collect();
                    state.map_end_offset = offset;
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(%topic, partition, "skipping {}: {e}", path.display())
                }
                Err(e) => tracing::warn!(%topic, partition, "skipping {}: {e}", path.display()),
            }
        }
        let from = state.map_end_offset;
        let mut loaded = PartitionState {
            state,
            aborted: index.unwrap_or_default(),
            index_file,
            topic: topic.to_string(),
            partition,
        };
        for_each_batch(log, from, |h, bytes| loaded.on_append(h, bytes));
        loaded.state.map_end_offset = log.log_end_offset();
        let producers = loaded.state.producers.len();
        tracing::debug!(%topic, partition, producers, "loaded producer state");
        loaded
    }

    /// A marker went into the log: the producer's transaction here is over, and the marker's
    /// epochs are the producer's now (step 5's `append_end_txn_marker`, which also remembers
    /// the coordinator epoch that [`PartitionProducers::check_marker`] compares with); an
    /// abort is remembered in the `.txnindex` for `read_committed` fetches.
    fn on_marker(&mut self, header: &BatchHeader, batch: &[u8]) {
        let first_offset = self
            .state
            .entry(header.producer_id)
            .and_then(|e| e.current_txn_first_offset);
        let marker = RecordBatch::decode(batch)
            .ok()
            .and_then(|b| read_marker(&b).ok().flatten());
        let Some(marker) = marker else {
            self.state.rebuild_from_log(std::slice::from_ref(header));
            return;
        };
        let (pid, epoch) = (header.producer_id, header.producer_epoch);
        if let Err(e) = self
            .state
            .append_end_txn_marker(pid, epoch, marker, header.base_offset)
        {
            // Already in the log (a follower's copy, a replay): it counts all the same.
            tracing::warn!(
                producer_id = pid,
                "a marker in the log that the producer state refuses ({e:?}); applied"
            );
            self.state.rebuild_from_log(std::slice::from_ref(header));
        }
        let already = self
            .aborted
            .entries
            .last()
            .is_some_and(|t| t.last_offset >= header.base_offset);
        if marker.control_type != ControlRecordType::Abort || already {
            return;
        }
        let txn = AbortedTxn {
            producer_id: header.producer_id,
            first_offset: first_offset.unwrap_or(header.base_offset),
            last_offset: header.base_offset,
            last_stable_offset: self
                .first_unstable_offset()
                .unwrap_or(header.base_offset + 1),
        };
        if self.aborted.append(txn).is_ok() {
            if let Err(e) = std::fs::write(&self.index_file, self.aborted.to_bytes()) {
                tracing::warn!("{}: {e}", self.index_file.display());
            }
        }
    }

    fn snapshot(&mut self, dir: &Path, at: i64) {
        self.state.map_end_offset = at;
        // The index goes with the snapshot: a snapshot is used only when its index is there.
        if let Err(e) = std::fs::write(&self.index_file, self.aborted.to_bytes()) {
            tracing::warn!("{}: {e}", self.index_file.display());
            return;
        }
        if let Err(e) = write_snapshot(dir, &self.state) {
            tracing::warn!("producer snapshot not written: {e}");
            return;
        }
        let offsets = snapshot_offsets(dir).unwrap_or_default();
        for old in offsets.iter().skip(SNAPSHOTS_KEPT) {
            let _ = std::fs::remove_file(dir.join(snapshot_file_name(*old)));
        }
    }
}

/// Lab 14's wire codes for lab 05's Produce answer.
fn error_code(e: Errors) -> ErrorCode {
    match e {
        Errors::OutOfOrderSequenceNumber => ErrorCode::OutOfOrderSequenceNumber,
        Errors::InvalidProducerEpoch => ErrorCode::InvalidProducerEpoch,
        Errors::UnknownProducerId => ErrorCode::UnknownProducerId,
        Errors::InvalidTxnState => ErrorCode::InvalidTxnState,
        Errors::TransactionCoordinatorFenced => ErrorCode::TransactionCoordinatorFenced,
        _ => ErrorCode::UnknownServerError,
    }
}

impl PartitionProducers for PartitionState {
    fn check(&self, header: &BatchHeader) -> ProducerCheck {
        match self.state.analyze(&ProducerBatch::from_header(header)) {
            Ok(AppendDecision::Append) => ProducerCheck::Append,
            Ok(AppendDecision::Duplicate(b)) => ProducerCheck::Duplicate {
                first_offset: b.first_offset(),
            },
            Err(e) => ProducerCheck::Refuse(error_code(e)),
        }
    }

    fn on_append(&mut self, header: &BatchHeader, batch: &[u8]) {
        if header.attributes.control {
            self.on_marker(header, batch);
        } else {
            self.state
                .update(&ProducerBatch::from_header(header), header.base_offset);
        }
    }

    /// Kafka's `appendEndTxnMarker` checks, before the marker is written.
    fn check_marker(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        coordinator_epoch: i32,
    ) -> ProducerCheck {
        match self.state.entry(producer_id) {
            Some(e) if producer_epoch < e.producer_epoch => {
                ProducerCheck::Refuse(error_code(Errors::InvalidProducerEpoch))
            }
            Some(e) if coordinator_epoch < e.coordinator_epoch => {
                ProducerCheck::Refuse(error_code(Errors::TransactionCoordinatorFenced))
            }
            _ => ProducerCheck::Append,
        }
    }

    fn on_roll(&mut self, log: &Log) {
        // The new segment starts where the state ends: the batch that caused the roll is not
        // applied yet.
        let at = log
            .segments()
            .last()
            .map_or(self.state.map_end_offset, |s| s.base_offset);
        self.snapshot(log.dir(), at);
    }

    fn on_close(&mut self, log: &Log) {
        self.snapshot(log.dir(), log.log_end_offset());
    }

    fn on_truncate(&mut self, log: &Log) {
        let end = log.log_end_offset();
        // What the cut batches said must not come back from a file at the next reload.
        self.aborted.entries.retain(|t| t.last_offset < end);
        if let Err(e) = std::fs::write(&self.index_file, self.aborted.to_bytes()) {
            tracing::warn!("{}: {e}", self.index_file.display());
        }
        for offset in snapshot_offsets(log.dir()).unwrap_or_default() {
            if offset > end {
                let _ = std::fs::remove_file(log.dir().join(snapshot_file_name(offset)));
            }
        }
        *self = PartitionState::open(&self.topic, self.partition, log);
    }

    fn first_unstable_offset(&self) -> Option<i64> {
        self.state
            .producers
            .values()
            .filter_map(|e| e.current_txn_first_offset)
            .min()
    }

    fn aborted_transactions(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        let found = self.aborted.collect_aborted_txns(from, to);
        found
            .aborted
            .iter()
            .map(|t| (t.producer_id, t.first_offset))
            .collect()
    }
}
