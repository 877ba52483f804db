//! Step 3: one transactional id's state machine — Kafka 2.6's `TransactionMetadata`,
//! `TransactionState` and `TxnTransitMetadata` (kafka.coordinator.transaction).
//!
//! ```text
//!            AddPartitions            EndTxn(commit)               all markers written
//!   Empty ─────────────────▶ Ongoing ───────────────▶ PrepareCommit ─────────────────▶ CompleteCommit
//!     ▲                      │  │  └─ EndTxn(abort), timeout ─▶ PrepareAbort ─────────▶ CompleteAbort
//!     │ InitProducerId       │  └─ InitProducerId (a new instance) ─▶ PrepareEpochFence ─▶ PrepareAbort
//!     └──────────────────────┴──── (from Empty, CompleteCommit, CompleteAbort) ◀──────────────┘
//! ```
//!
//! A change is made in two halves, so that nothing is answered before it is durable: the
//! coordinator *prepares* a transition (the metadata remembers it as `pending_state`, and every
//! other request meanwhile gets CONCURRENT_TRANSACTIONS), writes the target
//! ([`TxnTransitMetadata`]) to `__transaction_state`, and only when the write succeeded
//! *completes* it (or *aborts* it when the write failed).

use std::collections::BTreeSet;

use crate::errors::Errors;

/// A topic partition, as `(topic, partition)`.
pub type TopicPartition = (String, i32);

/// Kafka's `TransactionState`, with the byte `__transaction_state` stores for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionState {
    Empty = 0,
    Ongoing = 1,
    PrepareCommit = 2,
    PrepareAbort = 3,
    CompleteCommit = 4,
    CompleteAbort = 5,
    Dead = 6,
    PrepareEpochFence = 7,
}

impl TransactionState {
    pub fn from_byte(b: i8) -> Option<TransactionState> {
        use TransactionState::*;
        [
            Empty,
            Ongoing,
            PrepareCommit,
            PrepareAbort,
            CompleteCommit,
            CompleteAbort,
            Dead,
            PrepareEpochFence,
        ]
        .into_iter()
        .find(|s| *s as i8 == b)
    }

    /// The states a transition into `self` may start from (`TransactionMetadata.validPreviousStates`).
    pub fn valid_previous_states(self) -> &'static [TransactionState] {
        use TransactionState::*;
        // BEGIN SOLUTION step 3: list, for each state, the states it may be reached from
        // ko: 상태마다 그 상태로 올 수 있는 이전 상태들을 나열하기
        match self {
            Empty => &[Empty, CompleteCommit, CompleteAbort],
            Ongoing => &[Ongoing, Empty, CompleteCommit, CompleteAbort],
            PrepareCommit => &[Ongoing],
            PrepareAbort => &[Ongoing, PrepareEpochFence],
            CompleteCommit => &[PrepareCommit],
            CompleteAbort => &[PrepareAbort],
            Dead => &[Empty, CompleteAbort, CompleteCommit],
            PrepareEpochFence => &[Ongoing],
        }
        // END SOLUTION
    }
}

/// What a transition writes to `__transaction_state`: the metadata as it will be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnTransitMetadata {
    pub producer_id: i64,
    pub last_producer_id: i64,
    pub producer_epoch: i16,
    pub last_producer_epoch: i16,
    pub txn_timeout_ms: i32,
    pub txn_state: TransactionState,
    pub topic_partitions: BTreeSet<TopicPartition>,
    pub txn_start_timestamp: i64,
    pub txn_last_update_timestamp: i64,
}

/// One transactional id as its coordinator holds it in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionMetadata {
    pub transactional_id: String,
    pub producer_id: i64,
    pub last_producer_id: i64,
    pub producer_epoch: i16,
    pub last_producer_epoch: i16,
    pub txn_timeout_ms: i32,
    pub state: TransactionState,
    pub topic_partitions: BTreeSet<TopicPartition>,
    pub txn_start_timestamp: i64,
    pub txn_last_update_timestamp: i64,
    /// A transition prepared but not yet written: the state it goes to.
    pub pending_state: Option<TransactionState>,
}

impl TransactionMetadata {
    /// A new transactional id: a fresh producer id, no epoch yet (−1), Empty.
    pub fn new(
        transactional_id: &str,
        producer_id: i64,
        txn_timeout_ms: i32,
        now_ms: i64,
    ) -> TransactionMetadata {
        TransactionMetadata {
            transactional_id: transactional_id.to_string(),
            producer_id,
            last_producer_id: -1,
            producer_epoch: -1,
            last_producer_epoch: -1,
            txn_timeout_ms,
            state: TransactionState::Empty,
            topic_partitions: BTreeSet::new(),
            txn_start_timestamp: -1,
            txn_last_update_timestamp: now_ms,
            pending_state: None,
        }
    }

    /// The metadata as a transit, with nothing changed yet.
    pub fn transit(&self) -> TxnTransitMetadata {
        TxnTransitMetadata {
            producer_id: self.producer_id,
            last_producer_id: self.last_producer_id,
            producer_epoch: self.producer_epoch,
            last_producer_epoch: self.last_producer_epoch,
            txn_timeout_ms: self.txn_timeout_ms,
            txn_state: self.state,
            topic_partitions: self.topic_partitions.clone(),
            txn_start_timestamp: self.txn_start_timestamp,
            txn_last_update_timestamp: self.txn_last_update_timestamp,
        }
    }

    /// Whether the epoch cannot be bumped again (`isEpochExhausted`): then the producer gets a
    /// new producer id, epoch 0.
    pub fn is_epoch_exhausted(epoch: i16) -> bool {
        epoch >= i16::MAX - 1
    }

    /// First half of a transition: refuses when another is pending (CONCURRENT_TRANSACTIONS)
    /// or when `to.txn_state` cannot follow the current state (INVALID_TXN_STATE); else
    /// remembers the pending state and returns `to`, the record to write.
    pub fn prepare_transition(
        &mut self,
        to: TxnTransitMetadata,
    ) -> Result<TxnTransitMetadata, Errors> {
        // BEGIN SOLUTION step 3: refuse while pending or when the move is not allowed; else mark it pending
        // ko: 대기 중이거나 허용되지 않는 이동이면 거부하고, 아니면 대기 상태로 표시하기
        if self.pending_state.is_some() {
            return Err(Errors::ConcurrentTransactions);
        }
        if !to.txn_state.valid_previous_states().contains(&self.state) {
            return Err(Errors::InvalidTxnState);
        }
        self.pending_state = Some(to.txn_state);
        Ok(to)
        // END SOLUTION
    }

    /// Second half, once `to` is durable in `__transaction_state`: apply it.
    pub fn complete_transition(&mut self, to: &TxnTransitMetadata) {
        // BEGIN SOLUTION step 3: copy every field of the transit and clear the pending state
        // ko: 트랜짓의 모든 필드를 복사하고 대기 상태를 지우기
        self.producer_id = to.producer_id;
        self.last_producer_id = to.last_producer_id;
        self.producer_epoch = to.producer_epoch;
        self.last_producer_epoch = to.last_producer_epoch;
        self.txn_timeout_ms = to.txn_timeout_ms;
        self.state = to.txn_state;
        self.topic_partitions = to.topic_partitions.clone();
        self.txn_start_timestamp = to.txn_start_timestamp;
        self.txn_last_update_timestamp = to.txn_last_update_timestamp;
        self.pending_state = None;
        // END SOLUTION
    }

    /// The write failed: forget the pending transition, the metadata is as before.
    pub fn abort_transition(&mut self) {
        self.pending_state = None;
    }

    /// InitProducerId on a transactional id with no open transaction: the next epoch (0 after
    /// −1), or a new producer id at epoch 0 when the epoch is exhausted; Empty, no partitions.
    pub fn prepare_increment_producer_epoch(
        &mut self,
        new_timeout_ms: i32,
        new_producer_id: i64,
        now_ms: i64,
    ) -> Result<TxnTransitMetadata, Errors> {
        // BEGIN SOLUTION step 3: bump the epoch or rotate the producer id, go to Empty with no partitions
        // ko: 에포크를 올리거나 프로듀서 ID를 바꾸고, 파티션 없이 Empty로 가기
        let mut to = self.transit();
        if Self::is_epoch_exhausted(self.producer_epoch) {
            to.last_producer_id = self.producer_id;
            to.producer_id = new_producer_id;
            to.producer_epoch = 0;
        } else {
            to.producer_epoch = if self.producer_epoch < 0 {
                0
            } else {
                self.producer_epoch + 1
            };
        }
        to.last_producer_epoch = self.producer_epoch;
        to.txn_timeout_ms = new_timeout_ms;
        to.txn_state = TransactionState::Empty;
        to.topic_partitions.clear();
        to.txn_start_timestamp = -1;
        to.txn_last_update_timestamp = now_ms;
        self.prepare_transition(to)
        // END SOLUTION
    }

    /// AddPartitionsToTxn: Ongoing with the partitions added; the transaction starts now if
    /// none was open.
    pub fn prepare_add_partitions(
        &mut self,
        partitions: &[TopicPartition],
        now_ms: i64,
    ) -> Result<TxnTransitMetadata, Errors> {
        // BEGIN SOLUTION step 3: Ongoing with the union of partitions; start time is now unless already Ongoing
        // ko: 파티션을 합쳐 Ongoing으로. 이미 Ongoing이 아니면 시작 시각은 지금
        let mut to = self.transit();
        if self.state != TransactionState::Ongoing {
            to.txn_start_timestamp = now_ms;
        }
        to.topic_partitions.extend(partitions.iter().cloned());
        to.txn_state = TransactionState::Ongoing;
        to.txn_last_update_timestamp = now_ms;
        self.prepare_transition(to)
        // END SOLUTION
    }

    /// EndTxn (or an abort the coordinator decides): PrepareCommit or PrepareAbort at `epoch`
    /// (the epoch is one higher than the producer's when the abort fences it).
    pub fn prepare_abort_or_commit(
        &mut self,
        state: TransactionState,
        epoch: i16,
        now_ms: i64,
    ) -> Result<TxnTransitMetadata, Errors> {
        let mut to = self.transit();
        to.txn_state = state;
        to.producer_epoch = epoch;
        to.txn_last_update_timestamp = now_ms;
        self.prepare_transition(to)
    }

    /// Every marker is written: CompleteCommit or CompleteAbort, with no partitions left.
    pub fn prepare_complete(&mut self, now_ms: i64) -> Result<TxnTransitMetadata, Errors> {
        // BEGIN SOLUTION step 3: from PrepareCommit to CompleteCommit, from PrepareAbort to CompleteAbort, partitions cleared
        // ko: PrepareCommit은 CompleteCommit으로, PrepareAbort는 CompleteAbort로. 파티션은 비우기
        let mut to = self.transit();
        to.txn_state = match self.state {
            TransactionState::PrepareCommit => TransactionState::CompleteCommit,
            TransactionState::PrepareAbort => TransactionState::CompleteAbort,
            _ => return Err(Errors::InvalidTxnState),
        };
        to.topic_partitions.clear();
        to.txn_last_update_timestamp = now_ms;
        self.prepare_transition(to)
        // END SOLUTION
    }
}
