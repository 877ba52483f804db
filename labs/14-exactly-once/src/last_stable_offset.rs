//! Step 5: the partition side of a transaction — Kafka 2.6's `ProducerAppendInfo.appendEndTxnMarker`,
//! `CompletedTxn`, and the **last stable offset** of `Log`.
//!
//! A transaction's batches sit in the log before anyone knows whether they will commit. A
//! `read_committed` consumer must not read past the first of them, so the leader tracks the
//! **LSO**: the first offset of the oldest transaction still open on the partition, or the
//! high watermark when none is open.
//!
//! ```text
//! offset:  10   11   12   13   14   15      HW = 16
//!          A1   B1   A2   B2  [A commit]    A opened at 10 (closed at 14), B opened at 11 (open)
//!          LSO = 11: consumers in read_committed see offsets < 11 only
//! ```
//!
//! When the marker arrives, the producer's transaction on this partition closes: a
//! [`CompletedTxn`] says from which offset to which, and whether it was aborted (then it goes
//! into the `.txnindex`, see `txn_index`).

use crate::control_batch::{ControlRecordType, EndTransactionMarker};
use crate::errors::Errors;
use crate::producer_state_manager::{ProducerStateEntry, ProducerStateManager};

/// A transaction that a marker closed on this partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    /// The marker's offset.
    pub last_offset: i64,
    pub is_aborted: bool,
}

/// `Log.lastStableOffset`: the first unstable offset if lower than the high watermark, else
/// the high watermark.
pub fn last_stable_offset(first_unstable_offset: Option<i64>, high_watermark: i64) -> i64 {
    // BEGIN SOLUTION step 5: the smaller of the first unstable offset and the high watermark
    // ko: 첫 번째 불안정 오프셋과 하이 워터마크 중 작은 것
    first_unstable_offset.map_or(high_watermark, |o| o.min(high_watermark))
    // END SOLUTION
}

impl ProducerStateManager {
    /// The first offset of the oldest transaction open on this partition, if any.
    pub fn first_unstable_offset(&self) -> Option<i64> {
        // BEGIN SOLUTION step 5: the smallest open transaction first offset over all producers
        // ko: 모든 프로듀서에 걸쳐 열린 트랜잭션 첫 오프셋 중 가장 작은 것
        self.producers
            .values()
            .filter_map(|e| e.current_txn_first_offset)
            .min()
        // END SOLUTION
    }

    /// A marker written at `offset` (`appendEndTxnMarker`): refuses an older producer epoch
    /// (INVALID_PRODUCER_EPOCH) or an older coordinator epoch (TRANSACTION_COORDINATOR_FENCED);
    /// else takes the marker's epochs and closes the producer's open transaction, returning it
    /// (`None` when none was open, as for a marker sent twice).
    pub fn append_end_txn_marker(
        &mut self,
        producer_id: i64,
        producer_epoch: i16,
        marker: EndTransactionMarker,
        offset: i64,
    ) -> Result<Option<CompletedTxn>, Errors> {
        // BEGIN SOLUTION step 5: check both epochs, take them, close the open transaction if there is one
        // ko: 두 에포크를 확인하고 받아들인 뒤, 열린 트랜잭션이 있으면 닫기
        let entry = self
            .producers
            .entry(producer_id)
            .or_insert_with(|| ProducerStateEntry::empty(producer_id));
        if producer_epoch < entry.producer_epoch {
            return Err(Errors::InvalidProducerEpoch);
        }
        if marker.coordinator_epoch < entry.coordinator_epoch {
            return Err(Errors::TransactionCoordinatorFenced);
        }
        if producer_epoch != entry.producer_epoch {
            entry.producer_epoch = producer_epoch;
            entry.batch_metadata.clear();
        }
        entry.coordinator_epoch = marker.coordinator_epoch;
        self.map_end_offset = offset + 1;
        Ok(entry
            .current_txn_first_offset
            .take()
            .map(|first_offset| CompletedTxn {
                producer_id,
                first_offset,
                last_offset: offset,
                is_aborted: marker.control_type == ControlRecordType::Abort,
            }))
        // END SOLUTION
    }

    /// The LSO right after `completed` closed (what its `AbortedTxn` records): the oldest
    /// other open transaction's first offset, or just past the marker.
    pub fn last_stable_offset_after(&self, completed: &CompletedTxn) -> i64 {
        self.first_unstable_offset()
            .unwrap_or(completed.last_offset + 1)
    }
}
