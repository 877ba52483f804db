//! Step 4: the transaction coordinator as a pure core — Kafka 2.6's `TransactionCoordinator`
//! (`handleInitProducerId`, `handleAddPartitionsToTransaction`, `handleEndTransaction`,
//! `abortTimedOutTransactions`) and the completion of `TransactionMarkerRequestCompletionHandler`.
//!
//! Inputs: [`step`](TransactionCoordinator::step) with a request, [`tick`](TransactionCoordinator::tick)
//! with the time, [`on_append`](TransactionCoordinator::on_append) when the shell has written
//! (or failed to write) a record to `__transaction_state`, [`on_marker_result`](TransactionCoordinator::on_marker_result)
//! with a partition leader's answer to a marker. Outputs, from [`ready`](TransactionCoordinator::ready):
//! records to append, WriteTxnMarkers requests per partition leader, responses.
//!
//! **The ordering rule: persist before you answer or send.** A response that changes a
//! transaction and every marker is sent only after its record is durable, so a coordinator
//! that crashes and reloads `__transaction_state` never contradicts what it said: a
//! transaction it reported decided (PrepareCommit/PrepareAbort) is finished the same way.
//!
//! Fencing: InitProducerId for a transactional id bumps the epoch. If the old instance (a
//! zombie) still has a transaction open, the coordinator aborts it *at the bumped epoch* and
//! answers CONCURRENT_TRANSACTIONS; the retry then bumps again. Partitions that got the abort
//! marker refuse the zombie's next batch (INVALID_PRODUCER_EPOCH), and the coordinator refuses
//! its AddPartitionsToTxn and EndTxn.

use std::collections::{BTreeMap, BTreeSet};

use crate::errors::Errors;
use crate::messages::write_txn_markers::WriteTxnMarkersRequest;
use crate::transaction_log::{key_to_bytes, partition_for, value_to_bytes};
use crate::transaction_marker_channel_manager::{PendingMarker, TransactionMarkerChannelManager};
use crate::transaction_metadata::{TopicPartition, TransactionState, TxnTransitMetadata};
use crate::transaction_state_manager::{TransactionConfig, TransactionStateManager, TxnLogRecord};

/// A request to the coordinator, with the shell's id for its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnRequest {
    InitProducerId {
        transactional_id: Option<String>,
        transaction_timeout_ms: i32,
    },
    AddPartitions {
        transactional_id: String,
        producer_id: i64,
        producer_epoch: i16,
        partitions: Vec<TopicPartition>,
    },
    AddOffsets {
        transactional_id: String,
        producer_id: i64,
        producer_epoch: i16,
        group_id: String,
    },
    EndTxn {
        transactional_id: String,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
    },
}

/// The answer (the shell turns it into the API's response; AddPartitionsToTxn repeats the
/// error for every partition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnResponse {
    InitProducerId {
        error: Errors,
        producer_id: i64,
        producer_epoch: i16,
    },
    AddPartitions {
        error: Errors,
    },
    AddOffsets {
        error: Errors,
    },
    EndTxn {
        error: Errors,
    },
}

/// A record the shell must append to `__transaction_state` and report with `on_append`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnLogAppend {
    pub append_id: u64,
    pub partition: i32,
    pub coordinator_epoch: i32,
    pub record: TxnLogRecord,
}

/// What to do once an append is durable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AfterAppend {
    Respond(u64, TxnResponse),
    /// PrepareCommit/PrepareAbort: answer (if a client asked), then send the markers.
    Decided(Option<(u64, TxnResponse)>),
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PendingAppend {
    transactional_id: String,
    transit: TxnTransitMetadata,
    after: AfterAppend,
    failure: Option<(u64, TxnResponse)>,
}

/// What the shell must do now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    pub appends: Vec<TxnLogAppend>,
    pub markers: Vec<(i32, WriteTxnMarkersRequest)>,
    pub responses: Vec<(u64, TxnResponse)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCoordinator {
    pub state: TransactionStateManager,
    pub markers: TransactionMarkerChannelManager,
    /// Per decided transaction, the partitions whose marker is not yet acknowledged.
    pub in_progress: BTreeMap<String, BTreeSet<TopicPartition>>,
    /// The next producer id of this coordinator's block (Kafka takes blocks of 1000 from
    /// ZooKeeper's `/latest_producer_id_block`; the shell hands one in).
    next_producer_id: i64,
    /// The end of that block: the shell hands in a new one before it runs out.
    producer_id_block_end: i64,
    next_append_id: u64,
    pending_appends: BTreeMap<u64, PendingAppend>,
    appends: Vec<TxnLogAppend>,
    responses: Vec<(u64, TxnResponse)>,
    now_ms: i64,
    last_abort_check_ms: i64,
}

impl TransactionCoordinator {
    pub fn new(
        config: TransactionConfig,
        producer_id_block_start: i64,
        now_ms: i64,
    ) -> TransactionCoordinator {
        TransactionCoordinator {
            state: TransactionStateManager::new(config),
            markers: TransactionMarkerChannelManager::default(),
            in_progress: BTreeMap::new(),
            next_producer_id: producer_id_block_start,
            producer_id_block_end: i64::MAX,
            next_append_id: 0,
            pending_appends: BTreeMap::new(),
            appends: Vec::new(),
            responses: Vec::new(),
            now_ms,
            last_abort_check_ms: now_ms,
        }
    }

    /// Becomes coordinator of a `__transaction_state` partition: loads it and resends the
    /// markers of every transaction decided but not completed.
    pub fn load_partition(
        &mut self,
        partition: i32,
        coordinator_epoch: i32,
        records: &[TxnLogRecord],
    ) -> crate::errors::Result<()> {
        for id in
            self.state
                .load_transactions_for_partition(partition, coordinator_epoch, records)?
        {
            self.send_markers(&id);
        }
        Ok(())
    }

    /// No longer the coordinator of a `__transaction_state` partition: forgets its ids, and
    /// the markers and completions still owed for them — the new leader reloads the partition
    /// and sends them itself (Kafka: `removeTransactionsForTxnTopicPartition`).
    pub fn unload_partition(&mut self, partition: i32) {
        self.state.remove_transactions_for_partition(partition);
        let n = self.state.config.transaction_log_num_partitions;
        let gone: Vec<String> = self
            .in_progress
            .keys()
            .filter(|id| partition_for(id, n) == partition)
            .cloned()
            .collect();
        for id in gone {
            self.in_progress.remove(&id);
            self.markers.remove_markers_for_txn_id(&id);
        }
        self.pending_appends
            .retain(|_, p| partition_for(&p.transactional_id, n) != partition);
    }

    /// How many ids are left in the current block.
    pub fn producer_ids_left(&self) -> i64 {
        self.producer_id_block_end - self.next_producer_id
    }

    /// A new block of producer ids, `[start, end)`, claimed by the shell.
    pub fn set_producer_id_block(&mut self, start: i64, end: i64) {
        self.next_producer_id = start;
        self.producer_id_block_end = end;
    }

    fn allocate_producer_id(&mut self) -> i64 {
        self.next_producer_id += 1;
        self.next_producer_id - 1
    }

    /// Takes what the shell must do: append, send, answer.
    pub fn ready(&mut self, leader_of: impl Fn(&TopicPartition) -> Option<i32>) -> Ready {
        Ready {
            appends: std::mem::take(&mut self.appends),
            markers: self.markers.drain(leader_of),
            responses: std::mem::take(&mut self.responses),
        }
    }

    /// Queues `transit` for `transactional_id` as a record to append.
    fn append(
        &mut self,
        transactional_id: &str,
        transit: TxnTransitMetadata,
        after: AfterAppend,
        failure: Option<(u64, TxnResponse)>,
    ) {
        let append_id = self.next_append_id;
        self.next_append_id += 1;
        let coordinator_epoch = self.state.coordinator_epoch(transactional_id).unwrap_or(-1);
        self.appends.push(TxnLogAppend {
            append_id,
            partition: self.state.partition_for(transactional_id),
            coordinator_epoch,
            record: (
                key_to_bytes(transactional_id),
                Some(value_to_bytes(&transit)),
            ),
        });
        self.pending_appends.insert(
            append_id,
            PendingAppend {
                transactional_id: transactional_id.to_string(),
                transit,
                after,
                failure,
            },
        );
    }

    /// Queues one marker per partition of a decided transaction.
    fn send_markers(&mut self, transactional_id: &str) {
        let Some(m) = self.state.transactions.get(transactional_id) else {
            return;
        };
        let Ok(coordinator_epoch) = self.state.coordinator_epoch(transactional_id) else {
            return;
        };
        let commit = m.state == TransactionState::PrepareCommit;
        let partitions = m.topic_partitions.clone();
        for p in &partitions {
            self.markers.add(PendingMarker {
                transactional_id: transactional_id.to_string(),
                producer_id: m.producer_id,
                producer_epoch: m.producer_epoch,
                commit,
                coordinator_epoch,
                partition: p.clone(),
            });
        }
        self.in_progress
            .insert(transactional_id.to_string(), partitions);
        self.try_complete(transactional_id);
    }

    /// Writes CompleteCommit/CompleteAbort once no marker is outstanding.
    fn try_complete(&mut self, transactional_id: &str) {
        if self
            .in_progress
            .get(transactional_id)
            .is_some_and(|s| !s.is_empty())
        {
            return;
        }
        let now = self.now_ms;
        let Some(m) = self.state.transactions.get_mut(transactional_id) else {
            return;
        };
        if let Ok(t) = m.prepare_complete(now) {
            self.in_progress.remove(transactional_id);
            self.append(transactional_id, t, AfterAppend::Completed, None);
        }
    }

    /// A request arrives.
    pub fn step(&mut self, request_id: u64, request: TxnRequest) {
        match request {
            TxnRequest::InitProducerId {
                transactional_id,
                transaction_timeout_ms,
            } => self.handle_init_producer_id(
                request_id,
                transactional_id.as_deref(),
                transaction_timeout_ms,
            ),
            TxnRequest::AddPartitions {
                transactional_id,
                producer_id,
                producer_epoch,
                partitions,
            } => {
                let r = self.handle_add_partitions(
                    request_id,
                    &transactional_id,
                    producer_id,
                    producer_epoch,
                    &partitions,
                    false,
                );
                if let Some(error) = r {
                    self.responses
                        .push((request_id, TxnResponse::AddPartitions { error }));
                }
            }
            TxnRequest::AddOffsets {
                transactional_id,
                producer_id,
                producer_epoch,
                group_id,
            } => {
                let n = self.state.config.offsets_topic_num_partitions;
                // The group's offsets partition: the same hash as lab 07's `partition_for_group`.
                let p = partition_for(&group_id, n);
                let partitions = [("__consumer_offsets".to_string(), p)];
                let r = self.handle_add_partitions(
                    request_id,
                    &transactional_id,
                    producer_id,
                    producer_epoch,
                    &partitions,
                    true,
                );
                if let Some(error) = r {
                    self.responses
                        .push((request_id, TxnResponse::AddOffsets { error }));
                }
            }
            TxnRequest::EndTxn {
                transactional_id,
                producer_id,
                producer_epoch,
                commit,
            } => {
                if let Err(error) = self.handle_end_txn(
                    Some(request_id),
                    &transactional_id,
                    producer_id,
                    producer_epoch,
                    commit,
                ) {
                    self.responses
                        .push((request_id, TxnResponse::EndTxn { error }));
                }
            }
        }
    }
}

mod handlers;
