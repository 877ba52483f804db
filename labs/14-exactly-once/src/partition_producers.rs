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
//! ```
//!
//! A snapshot only saves replay time: a missing or corrupt one costs a replay of the log, never
//! correctness — the log is the truth.

use std::path::Path;
use std::sync::Arc;

use lab01_record_batch::record_batch::BatchHeader;
use lab03_partition_log::Log;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{PartitionProducers, ProducerCheck, ProducerStates};

use crate::errors::Errors;
use crate::producer_snapshot::{
    decode_snapshot, snapshot_file_name, snapshot_offsets, write_snapshot,
};
use crate::producer_state_manager::{AppendDecision, ProducerBatch, ProducerStateManager};

/// How many snapshot files a partition keeps (Kafka keeps those at or above the log start; two
/// is enough here: the newest, and one in case the newest was torn by a crash).
pub const SNAPSHOTS_KEPT: usize = 2;

/// Every batch header of `log` from `from` on, in offset order (a replay reads headers only).
pub fn log_headers(log: &Log, from: i64) -> Vec<BatchHeader> {
    let mut headers = Vec::new();
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
                headers.push(h);
            }
            rest = &rest[h.total_size()..];
        }
        if offset == before {
            break;
        }
    }
    headers
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

/// One partition's producers, as lab 05's broker asks about them.
#[derive(Debug)]
pub struct PartitionState {
    pub state: ProducerStateManager,
}

impl PartitionState {
    /// The newest readable snapshot not past the log end, then the log after it
    /// (`Log.loadProducerState`); with none, the whole log.
    pub fn open(topic: &str, partition: i32, log: &Log) -> PartitionState {
        let mut state = ProducerStateManager::new();
        let offsets = snapshot_offsets(log.dir()).unwrap_or_default();
        for offset in offsets.into_iter().filter(|o| *o <= log.log_end_offset()) {
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
        state.rebuild_from_log(&log_headers(log, state.map_end_offset));
        state.map_end_offset = log.log_end_offset();
        tracing::debug!(%topic, partition, producers = state.producers.len(), "loaded producer state");
        PartitionState { state }
    }

    fn snapshot(&mut self, dir: &Path, at: i64) {
        self.state.map_end_offset = at;
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

    fn on_append(&mut self, header: &BatchHeader) {
        if header.attributes.control {
            self.state.rebuild_from_log(std::slice::from_ref(header));
        } else {
            self.state
                .update(&ProducerBatch::from_header(header), header.base_offset);
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
}
