//! Step 1: the idempotent producer's broker side — Kafka 2.6's `ProducerStateManager`,
//! `ProducerStateEntry` and `ProducerAppendInfo` (kafka.log).
//!
//! A producer with `enable.idempotence=true` gets a producer id (InitProducerId) and numbers
//! its batches per partition: sequence 0, 1, 2 … counted in records, so a batch of three
//! records at sequence 10 covers 10..=12. When a Produce times out the client cannot know
//! whether the broker stored it, so it sends the *same* batch again, with the same sequence.
//! The partition leader remembers, per producer id, the epoch and the last five batches
//! (`NUM_BATCHES_TO_RETAIN`, which is why `max.in.flight.requests.per.connection` must be ≤ 5):
//!
//! ```text
//! incoming batch (pid, epoch, first seq, last seq)         answer
//! same epoch, same seq range as a retained batch           duplicate: its original offsets, not appended
//! epoch < the known epoch                                  INVALID_PRODUCER_EPOCH (a zombie)
//! unknown producer, first seq != 0                         UNKNOWN_PRODUCER_ID
//! new epoch, first seq != 0                                OUT_OF_ORDER_SEQUENCE_NUMBER
//! same epoch, first seq != last seq + 1                    OUT_OF_ORDER_SEQUENCE_NUMBER (a gap)
//! otherwise                                                append, then remember it
//! ```
//!
//! Sequences are int32 and wrap: after `i32::MAX` comes 0.

use std::collections::{BTreeMap, VecDeque};

use lab01_record_batch::record_batch::BatchHeader;

use crate::errors::Errors;

/// How many batches per producer the broker remembers for duplicate detection.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;
/// `RecordBatch.NO_PRODUCER_ID`, `NO_PRODUCER_EPOCH`, `NO_SEQUENCE`.
pub const NO_PRODUCER_ID: i64 = -1;
pub const NO_PRODUCER_EPOCH: i16 = -1;
pub const NO_SEQUENCE: i32 = -1;

/// One appended batch as remembered (Kafka's `BatchMetadata`): its last sequence and last
/// offset, and the delta back to its first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    pub last_seq: i32,
    pub last_offset: i64,
    pub offset_delta: i32,
    pub timestamp: i64,
}

impl BatchMetadata {
    pub fn first_seq(&self) -> i32 {
        decrement_sequence(self.last_seq, self.offset_delta)
    }
    pub fn first_offset(&self) -> i64 {
        self.last_offset - i64::from(self.offset_delta)
    }
}

/// What the leader knows of one producer on this partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerStateEntry {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// The last batches, oldest first, at most [`NUM_BATCHES_TO_RETAIN`].
    pub batch_metadata: VecDeque<BatchMetadata>,
    /// The epoch of the transaction coordinator that wrote the last marker.
    pub coordinator_epoch: i32,
    /// The first offset of this producer's open transaction on this partition.
    pub current_txn_first_offset: Option<i64>,
}

impl ProducerStateEntry {
    pub fn empty(producer_id: i64) -> ProducerStateEntry {
        ProducerStateEntry {
            producer_id,
            producer_epoch: NO_PRODUCER_EPOCH,
            batch_metadata: VecDeque::new(),
            coordinator_epoch: -1,
            current_txn_first_offset: None,
        }
    }
    pub fn last_seq(&self) -> i32 {
        self.batch_metadata
            .back()
            .map_or(NO_SEQUENCE, |b| b.last_seq)
    }
    pub fn last_data_offset(&self) -> i64 {
        self.batch_metadata.back().map_or(-1, |b| b.last_offset)
    }
}

/// The producer fields of an incoming batch (from its 61-byte header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub last_offset_delta: i32,
    pub max_timestamp: i64,
    pub is_transactional: bool,
}

impl ProducerBatch {
    pub fn from_header(h: &BatchHeader) -> ProducerBatch {
        ProducerBatch {
            producer_id: h.producer_id,
            producer_epoch: h.producer_epoch,
            base_sequence: h.base_sequence,
            last_offset_delta: h.last_offset_delta,
            max_timestamp: h.max_timestamp,
            is_transactional: h.attributes.transactional,
        }
    }
    /// The sequence of the batch's last record (`DefaultRecordBatch.lastSequence`).
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
}

/// What to do with a batch a client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendDecision {
    /// Assign offsets, append, then call [`ProducerStateManager::update`].
    Append,
    /// A retry of a batch already in the log: answer with these offsets, append nothing.
    Duplicate(BatchMetadata),
}

/// `seq + increment`, wrapping past `i32::MAX` to 0 (`DefaultRecordBatch.incrementSequence`).
pub fn increment_sequence(seq: i32, increment: i32) -> i32 {
    // BEGIN SOLUTION step 1: add, wrapping from i32 MAX to 0 rather than to a negative number
    // ko: 더하되 i32 MAX 다음은 음수가 아니라 0이 되게 하기
    if seq > i32::MAX - increment {
        increment - (i32::MAX - seq) - 1
    } else {
        seq + increment
    }
    // END SOLUTION
}

/// `seq - decrement`, wrapping below 0 to `i32::MAX`.
pub fn decrement_sequence(seq: i32, decrement: i32) -> i32 {
    // BEGIN SOLUTION step 1: subtract, wrapping below 0 back to i32 MAX
    // ko: 빼되 0 아래는 i32 MAX 쪽으로 돌아가게 하기
    if seq < decrement {
        i32::MAX - (decrement - seq) + 1
    } else {
        seq - decrement
    }
    // END SOLUTION
}

/// Every producer's state on one partition, by producer id (sorted, so snapshots are stable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStateManager {
    pub producers: BTreeMap<i64, ProducerStateEntry>,
    /// The offset up to which the state reflects the log (the next offset to apply).
    pub map_end_offset: i64,
}

impl ProducerStateManager {
    pub fn new() -> ProducerStateManager {
        ProducerStateManager::default()
    }

    pub fn entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    /// Checks a batch from a client before it is given offsets (`Log.analyzeAndValidateProducerState`
    /// and `ProducerAppendInfo.append` with origin Client). A batch without a producer id
    /// (not idempotent) is always appended. A duplicate is found before any other check.
    pub fn analyze(&self, batch: &ProducerBatch) -> Result<AppendDecision, Errors> {
        // BEGIN SOLUTION step 1: duplicate first, then the epoch, then the sequence
        // ko: 중복을 먼저, 그다음 에포크, 그다음 시퀀스를 검사하기
        if batch.producer_id == NO_PRODUCER_ID {
            return Ok(AppendDecision::Append);
        }
        let empty = ProducerStateEntry::empty(batch.producer_id);
        let entry = self.producers.get(&batch.producer_id).unwrap_or(&empty);
        if entry.producer_epoch == batch.producer_epoch {
            let last = batch.last_sequence();
            if let Some(dup) = entry
                .batch_metadata
                .iter()
                .find(|b| b.first_seq() == batch.base_sequence && b.last_seq == last)
            {
                return Ok(AppendDecision::Duplicate(*dup));
            }
        }
        if batch.producer_epoch < entry.producer_epoch {
            return Err(Errors::InvalidProducerEpoch);
        }
        check_sequence(entry, batch.producer_epoch, batch.base_sequence)?;
        Ok(AppendDecision::Append)
        // END SOLUTION
    }

    /// Remembers a batch appended at `first_offset` (after [`analyze`](Self::analyze) said
    /// Append, or when replaying the log): a newer epoch forgets the older epoch's batches;
    /// only the last [`NUM_BATCHES_TO_RETAIN`] are kept; a transactional batch opens the
    /// producer's transaction on this partition if none is open.
    pub fn update(&mut self, batch: &ProducerBatch, first_offset: i64) {
        // BEGIN SOLUTION step 1: bump the epoch (clearing old batches), push the batch, keep five
        // ko: 에포크를 올리고(예전 배치는 지우기) 배치를 넣고 다섯 개만 남기기
        if batch.producer_id == NO_PRODUCER_ID {
            return;
        }
        let entry = self
            .producers
            .entry(batch.producer_id)
            .or_insert_with(|| ProducerStateEntry::empty(batch.producer_id));
        if batch.producer_epoch != entry.producer_epoch {
            entry.producer_epoch = batch.producer_epoch;
            entry.batch_metadata.clear();
        }
        entry.batch_metadata.push_back(BatchMetadata {
            last_seq: batch.last_sequence(),
            last_offset: first_offset + i64::from(batch.last_offset_delta),
            offset_delta: batch.last_offset_delta,
            timestamp: batch.max_timestamp,
        });
        while entry.batch_metadata.len() > NUM_BATCHES_TO_RETAIN {
            entry.batch_metadata.pop_front();
        }
        if batch.is_transactional && entry.current_txn_first_offset.is_none() {
            entry.current_txn_first_offset = Some(first_offset);
        }
        self.map_end_offset = first_offset + i64::from(batch.last_offset_delta) + 1;
        // END SOLUTION
    }

    /// Rebuilds the state by replaying batch headers from the log, in offset order, without
    /// sequence checks (the log is already what it is: `AppendOrigin.Replication`). A control
    /// batch (a transaction marker) closes the producer's open transaction and carries its epoch.
    pub fn rebuild_from_log(&mut self, headers: &[BatchHeader]) {
        // BEGIN SOLUTION step 1: apply every batch with a producer id; a control batch ends the open transaction
        // ko: 프로듀서 ID가 있는 모든 배치를 적용하고, 컨트롤 배치는 열린 트랜잭션을 닫기
        for h in headers {
            if h.producer_id == NO_PRODUCER_ID {
                self.map_end_offset = h.last_offset() + 1;
                continue;
            }
            if h.attributes.control {
                let entry = self
                    .producers
                    .entry(h.producer_id)
                    .or_insert_with(|| ProducerStateEntry::empty(h.producer_id));
                if h.producer_epoch != entry.producer_epoch {
                    entry.producer_epoch = h.producer_epoch;
                    entry.batch_metadata.clear();
                }
                entry.current_txn_first_offset = None;
                self.map_end_offset = h.last_offset() + 1;
            } else {
                self.update(&ProducerBatch::from_header(h), h.base_offset);
            }
        }
        // END SOLUTION
    }
}

/// `ProducerAppendInfo.checkSequence` of Kafka 2.6, for a batch whose epoch is not older.
fn check_sequence(entry: &ProducerStateEntry, epoch: i16, first_seq: i32) -> Result<(), Errors> {
    // BEGIN SOLUTION step 1: a new epoch starts at 0; the same epoch continues at last seq + 1
    // ko: 새 에포크는 0에서 시작하고 같은 에포크는 마지막 시퀀스 + 1에서 이어가기
    if epoch != entry.producer_epoch {
        if first_seq != 0 {
            return Err(if entry.producer_epoch != NO_PRODUCER_EPOCH {
                Errors::OutOfOrderSequenceNumber
            } else {
                Errors::UnknownProducerId
            });
        }
        return Ok(());
    }
    let last = entry.last_seq();
    let in_sequence =
        i64::from(first_seq) == i64::from(last) + 1 || (first_seq == 0 && last == i32::MAX);
    if in_sequence {
        Ok(())
    } else {
        Err(Errors::OutOfOrderSequenceNumber)
    }
    // END SOLUTION
}
