//! The seam where lab 14 checks an idempotent producer's sequence numbers, one partition at a
//! time. Lab 05 has no such checks — a labelled shortcut: a batch a client resends after a
//! timeout is stored twice. A broker opened with [`crate::Broker::set_producer_states`] gives
//! every partition a [`PartitionProducers`], and then:
//!
//! ```text
//! Produce ──▶ Partition::check_producer(header) ──▶ Append     ──▶ log.append ──▶ on_append
//!                                                ├─▶ Duplicate  ──▶ answer the original offset
//!                                                └─▶ Refuse(e)  ──▶ answer the error
//! segment rolled ──▶ on_roll (Kafka writes `<offset>.snapshot`)      shutdown ──▶ on_close
//! ```
//!
//! Kafka: `Log.analyzeAndValidateProducerState` before the append, `ProducerStateManager.update`
//! after it, `Log.roll` → `producerStateManager.takeSnapshot()`.

use lab01_record_batch::BatchHeader;
use lab03_partition_log::Log;
use lab04_protocol_codec::ErrorCode;

/// What the producer rules say about a client's batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerCheck {
    /// Give it offsets and append it.
    Append,
    /// A retry of a batch already in the log, stored at `first_offset`: answer that offset and
    /// append nothing.
    Duplicate { first_offset: i64 },
    /// Refuse the batch with this error (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH…).
    Refuse(ErrorCode),
}

/// One partition's producer state. Called with the broker lock held: keep it quick.
pub trait PartitionProducers: Send {
    /// Before a client's batch is appended (the header as the client sent it).
    fn check(&self, header: &BatchHeader) -> ProducerCheck;
    /// After a batch went into the log (`batch`, whole); `header.base_offset` is its first
    /// offset there.
    fn on_append(&mut self, header: &BatchHeader, batch: &[u8]);
    /// Before a transaction marker is written as the leader (lab 14): Kafka refuses a marker
    /// of an older producer epoch (INVALID_PRODUCER_EPOCH) or sent by an older transaction
    /// coordinator (TRANSACTION_COORDINATOR_FENCED) — a coordinator that lost its partition
    /// must not end a transaction its successor is ending.
    fn check_marker(
        &self,
        _producer_id: i64,
        _producer_epoch: i16,
        _coordinator_epoch: i32,
    ) -> ProducerCheck {
        ProducerCheck::Append
    }
    /// A new segment was rolled: a good moment to persist the state (`log` is after the roll).
    fn on_roll(&mut self, log: &Log);
    /// The broker shuts down cleanly: persist the state, so the next start replays nothing.
    fn on_close(&mut self, log: &Log);
    /// A follower cut its log (lab 13): forget what the cut batches said (Kafka:
    /// `Log.truncateTo` reloads the producer state up to the new end).
    fn on_truncate(&mut self, _log: &Log) {}
    /// The first offset of the oldest transaction still open here (lab 14): a `read_committed`
    /// consumer reads below it only (the last stable offset). `None`: no open transaction.
    fn first_unstable_offset(&self) -> Option<i64> {
        None
    }
    /// The aborted transactions overlapping `[from, to)`, as (producer id, first offset), for
    /// a `read_committed` fetch.
    fn aborted_transactions(&self, _from: i64, _to: i64) -> Vec<(i64, i64)> {
        Vec::new()
    }
}

/// Opens each partition's [`PartitionProducers`] from its log (snapshot files, or a replay).
pub trait ProducerStates: Send + Sync + 'static {
    fn open(&self, topic: &str, partition: i32, log: &Log) -> Box<dyn PartitionProducers>;
}
