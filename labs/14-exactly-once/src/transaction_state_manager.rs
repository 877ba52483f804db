//! Step 3: every transactional id a coordinator owns — Kafka 2.6's `TransactionStateManager`
//! and `TransactionConfig`.
//!
//! A broker is the transaction coordinator for the ids whose `__transaction_state` partition it
//! leads. When it becomes leader of a partition it *loads* it: reads every record, keeps the
//! newest value per id (a tombstone removes it), and learns the partition's **coordinator
//! epoch** — the leader epoch that every WriteTxnMarkers it sends carries, so a partition can
//! refuse the markers of an older coordinator. Transactions found in PrepareCommit or
//! PrepareAbort were decided before the crash: their markers must be (re)sent.
//!
//! `transaction.timeout.ms` is the producer's promise; the coordinator aborts an Ongoing
//! transaction older than that (a producer that hangs must not block consumers in
//! `read_committed` forever), and refuses a timeout above `transaction.max.timeout.ms`.

use std::collections::BTreeMap;

use crate::errors::{Errors, Result};
use crate::transaction_log::{partition_for, read_key, read_value, DEFAULT_NUM_PARTITIONS};
use crate::transaction_metadata::{TransactionMetadata, TransactionState};

/// The coordinator's configuration, with Kafka 2.6's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionConfig {
    /// `transaction.max.timeout.ms` (15 minutes).
    pub transaction_max_timeout_ms: i32,
    /// `transaction.state.log.num.partitions`.
    pub transaction_log_num_partitions: i32,
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms` (10 s).
    pub abort_timed_out_transactions_interval_ms: i64,
    /// `offsets.topic.num.partitions`: AddOffsetsToTxn adds the group's `__consumer_offsets` partition.
    pub offsets_topic_num_partitions: i32,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        TransactionConfig {
            transaction_max_timeout_ms: 900_000,
            transaction_log_num_partitions: DEFAULT_NUM_PARTITIONS,
            abort_timed_out_transactions_interval_ms: 10_000,
            offsets_topic_num_partitions: 50,
        }
    }
}

/// One record of `__transaction_state` as a load reads it: key and value bytes (`None`: a tombstone).
pub type TxnLogRecord = (Vec<u8>, Option<Vec<u8>>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionStateManager {
    pub config: TransactionConfig,
    /// The `__transaction_state` partitions this broker leads, with their coordinator epochs.
    pub owned_partitions: BTreeMap<i32, i32>,
    pub transactions: BTreeMap<String, TransactionMetadata>,
}

impl TransactionStateManager {
    pub fn new(config: TransactionConfig) -> TransactionStateManager {
        TransactionStateManager {
            config,
            ..Default::default()
        }
    }

    /// Whether a producer's `transaction.timeout.ms` is acceptable: positive and not above
    /// `transaction.max.timeout.ms` (else INVALID_TRANSACTION_TIMEOUT).
    pub fn validate_transaction_timeout(&self, txn_timeout_ms: i32) -> bool {
        // BEGIN SOLUTION step 3: positive and at most the maximum
        // ko: 양수이고 최댓값 이하
        txn_timeout_ms > 0 && txn_timeout_ms <= self.config.transaction_max_timeout_ms
        // END SOLUTION
    }

    pub fn partition_for(&self, transactional_id: &str) -> i32 {
        partition_for(transactional_id, self.config.transaction_log_num_partitions)
    }

    /// The coordinator epoch of the id's partition, or NOT_COORDINATOR when this broker does
    /// not lead it.
    pub fn coordinator_epoch(&self, transactional_id: &str) -> std::result::Result<i32, Errors> {
        self.owned_partitions
            .get(&self.partition_for(transactional_id))
            .copied()
            .ok_or(Errors::NotCoordinator)
    }

    /// Becomes coordinator of `partition` at `coordinator_epoch`: replays its records, in
    /// offset order, into the metadata cache. Returns the ids whose transactions were decided
    /// but not completed (PrepareCommit, PrepareAbort), whose markers must be sent again.
    pub fn load_transactions_for_partition(
        &mut self,
        partition: i32,
        coordinator_epoch: i32,
        records: &[TxnLogRecord],
    ) -> Result<Vec<String>> {
        // BEGIN SOLUTION step 3: newest value per id wins, a tombstone removes; then list the ids in a Prepare state
        // ko: ID마다 가장 새 값이 이기고 톰스톤은 지우기. 그다음 Prepare 상태인 ID를 나열하기
        let mut loaded: BTreeMap<String, TransactionMetadata> = BTreeMap::new();
        for (key, value) in records {
            let id = read_key(key)?;
            match read_value(value.as_deref())? {
                None => {
                    loaded.remove(&id);
                }
                Some(t) => {
                    let mut m = TransactionMetadata::new(&id, t.producer_id, t.txn_timeout_ms, 0);
                    m.complete_transition(&t);
                    loaded.insert(id, m);
                }
            }
        }
        self.transactions.retain(|id, _| {
            partition_for(id, self.config.transaction_log_num_partitions) != partition
        });
        let pending = loaded
            .iter()
            .filter(|(_, m)| {
                matches!(
                    m.state,
                    TransactionState::PrepareCommit | TransactionState::PrepareAbort
                )
            })
            .map(|(id, _)| id.clone())
            .collect();
        self.transactions.extend(loaded);
        self.owned_partitions.insert(partition, coordinator_epoch);
        Ok(pending)
        // END SOLUTION
    }

    /// No longer the coordinator of `partition` (another broker leads it now).
    pub fn remove_transactions_for_partition(&mut self, partition: i32) {
        let n = self.config.transaction_log_num_partitions;
        self.owned_partitions.remove(&partition);
        self.transactions
            .retain(|id, _| partition_for(id, n) != partition);
    }

    /// The ids whose Ongoing transaction has run past its timeout at `now_ms` and that no
    /// other change is pending on (`timedOutTransactions`).
    pub fn timed_out_transactions(&self, now_ms: i64) -> Vec<String> {
        // BEGIN SOLUTION step 3: Ongoing, nothing pending, and start time plus timeout before now
        // ko: Ongoing이고 대기 중인 변경이 없고 시작 시각 + 타임아웃이 지금보다 이전
        self.transactions
            .values()
            .filter(|m| {
                m.state == TransactionState::Ongoing
                    && m.pending_state.is_none()
                    && m.txn_start_timestamp + i64::from(m.txn_timeout_ms) < now_ms
            })
            .map(|m| m.transactional_id.clone())
            .collect()
        // END SOLUTION
    }
}
