//! Given: the transaction coordinator in the running broker — the thin shell around step 4's
//! pure [`TransactionCoordinator`], for a broker alone (it leads every `__transaction_state`
//! partition, and every partition a transaction writes to).
//!
//! ```text
//! request ──▶ coordinator.step ──▶ ready(): appends  ──▶ __transaction_state-<p>  ──▶ on_append
//!                                           markers  ──▶ control batch in each
//!                                                        partition of the txn     ──▶ on_marker_result
//!                                           responses ──▶ the waiting request
//! ```
//!
//! The loop runs until the coordinator has nothing left to do, all under one lock, so a
//! request's answer is ready when [`TxnShell::drive`] returns. Persist before you answer: the
//! coordinator only answers once the shell has reported its record appended.
//!
//! Shortcuts, labelled: markers are written straight into this broker's partitions (a cluster
//! would send WriteTxnMarkers to each partition's leader); TxnOffsetCommit's offsets wait in
//! memory until the transaction ends and are then stored as an ordinary offset commit, with no
//! marker in `__consumer_offsets` (Kafka writes them there at once, transactional, then the
//! marker; a coordinator that restarts between the two loses them here).

use std::collections::BTreeMap;

use lab01_record_batch::{RecordBatch, RecordBatchBuilder};
use lab05_broker::Broker;
use lab07_consumer_groups::group_metadata_manager::OffsetRecord;
use lab07_consumer_groups::GroupService;

use crate::control_batch::{marker_batch, ControlRecordType, EndTransactionMarker};
use crate::errors::Errors;
use crate::partition_producers::for_each_batch;
use crate::producer_id_manager::ProducerIdManager;
use crate::transaction_coordinator::{TransactionCoordinator, TxnRequest, TxnResponse};
use crate::transaction_log::TRANSACTION_STATE_TOPIC;
use crate::transaction_state_manager::{TransactionConfig, TxnLogRecord};

/// Appends one marker batch to `topic`-`partition` as its leader.
fn append_marker(
    broker: &mut Broker,
    topic: &str,
    partition: i32,
    mut bytes: Vec<u8>,
    now_ms: i64,
) -> Errors {
    match broker.partition_mut(topic, partition) {
        Some(p) => match p.append_as_leader(&mut bytes, now_ms) {
            Ok(_) => Errors::None,
            Err(e) => {
                tracing::error!(%topic, partition, "marker not written: {e}");
                Errors::UnknownServerError
            }
        },
        None => Errors::UnknownTopicOrPartition,
    }
}

/// The offsets topic, whose partition a transaction adds with AddOffsetsToTxn.
const OFFSETS_TOPIC: &str = "__consumer_offsets";

pub struct TxnShell {
    pub coordinator: TransactionCoordinator,
    ids: ProducerIdManager,
    next_request: u64,
    /// TxnOffsetCommit's offsets by producer id, until the transaction ends.
    pending_offsets: BTreeMap<i64, Vec<(String, OffsetRecord)>>,
}

impl TxnShell {
    /// Creates `__transaction_state` if needed and loads every partition of it.
    /// The topic's partition count wins over `transaction.state.log.num.partitions` once the
    /// topic exists: ids were placed by it (Kafka fixes it at creation too).
    pub fn open(broker: &mut Broker, mut config: TransactionConfig, now_ms: i64) -> TxnShell {
        let ids = ProducerIdManager::open(broker.log_dir(), broker.config().broker_id);
        match broker.partition_count(TRANSACTION_STATE_TOPIC) {
            Some(n) => config.transaction_log_num_partitions = n as i32,
            None => {
                let n = config.transaction_log_num_partitions;
                if let Err(e) = broker.create_topic(TRANSACTION_STATE_TOPIC, n, now_ms) {
                    tracing::error!("cannot create {TRANSACTION_STATE_TOPIC}: {e}");
                }
            }
        }
        let partitions = config.transaction_log_num_partitions;
        let mut coordinator = TransactionCoordinator::new(config, 0, now_ms);
        coordinator.set_producer_id_block(0, 0); // claimed on first use
        for p in 0..partitions {
            let mut records: Vec<TxnLogRecord> = Vec::new();
            if let Some(partition) = broker.partition(TRANSACTION_STATE_TOPIC, p) {
                for_each_batch(partition.log(), 0, |_, bytes| {
                    if let Ok(batch) = RecordBatch::decode(bytes) {
                        records.extend(
                            batch
                                .records
                                .into_iter()
                                .filter_map(|r| Some((r.key?, r.value))),
                        );
                    }
                });
            }
            if let Err(e) = coordinator.load_partition(p, 0, &records) {
                tracing::error!("{TRANSACTION_STATE_TOPIC}-{p} unreadable: {e}");
            }
        }
        TxnShell {
            coordinator,
            ids,
            next_request: 0,
            pending_offsets: BTreeMap::new(),
        }
    }

    /// One request: step, then drive until the coordinator is idle; its answer.
    pub fn request(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        request: TxnRequest,
        now_ms: i64,
    ) -> Option<TxnResponse> {
        if matches!(request, TxnRequest::InitProducerId { .. })
            && self.coordinator.producer_ids_left() < 2
        {
            match self.ids.claim_block() {
                Ok((start, end)) => self.coordinator.set_producer_id_block(start, end),
                Err(e) => {
                    tracing::error!("no producer id block: {e}");
                    return Some(TxnResponse::InitProducerId {
                        error: Errors::UnknownServerError,
                        producer_id: -1,
                        producer_epoch: -1,
                    });
                }
            }
        }
        let id = self.next_request;
        self.next_request += 1;
        self.coordinator.tick(now_ms);
        self.coordinator.step(id, request);
        self.drive(broker, groups, now_ms)
            .into_iter()
            .find_map(|(r, answer)| (r == id).then_some(answer))
    }

    /// Time passes: expired transactions are aborted.
    pub fn tick(&mut self, broker: &mut Broker, groups: &GroupService, now_ms: i64) {
        self.coordinator.tick(now_ms);
        self.drive(broker, groups, now_ms);
    }

    /// TxnOffsetCommit: keeps the offsets until the producer's transaction ends. The producer
    /// must be the transactional id's current one (a zombie is fenced here too).
    pub fn add_offsets(
        &mut self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        offsets: Vec<(String, OffsetRecord)>,
    ) -> Errors {
        let known = self.coordinator.state.transactions.get(transactional_id);
        match known {
            Some(m) if m.producer_id == producer_id && m.producer_epoch == producer_epoch => {
                self.pending_offsets
                    .entry(producer_id)
                    .or_default()
                    .extend(offsets);
                Errors::None
            }
            Some(m) if m.producer_id == producer_id => Errors::InvalidProducerEpoch,
            _ => Errors::InvalidProducerIdMapping,
        }
    }

    /// Does what the coordinator asks until it asks nothing more; returns the answers.
    fn drive(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        now_ms: i64,
    ) -> Vec<(u64, TxnResponse)> {
        let me = broker.config().broker_id;
        let mut answers = Vec::new();
        // Each round either finishes appends and markers or is the last: bounded in practice
        // by a transaction's steps; the cap only guards against a bug looping forever.
        for _ in 0..64 {
            let ready = self.coordinator.ready(|_| Some(me));
            if ready.appends.is_empty() && ready.markers.is_empty() && ready.responses.is_empty() {
                break;
            }
            answers.extend(ready.responses);
            for append in ready.appends {
                let (key, value) = &append.record;
                let mut batch = RecordBatchBuilder::new(0);
                batch.append(now_ms, Some(key), value.as_deref(), vec![]);
                let mut bytes = batch.build().encode();
                let result = match broker.partition_mut(TRANSACTION_STATE_TOPIC, append.partition) {
                    Some(p) => match p.append_as_leader(&mut bytes, now_ms) {
                        Ok(_) => Errors::None,
                        Err(e) => {
                            tracing::error!("{TRANSACTION_STATE_TOPIC}: {e}");
                            Errors::UnknownServerError
                        }
                    },
                    None => Errors::NotCoordinator,
                };
                self.coordinator.on_append(append.append_id, result);
            }
            for (_, request) in ready.markers {
                for m in request.markers {
                    let marker = EndTransactionMarker {
                        control_type: if m.transaction_result {
                            ControlRecordType::Commit
                        } else {
                            ControlRecordType::Abort
                        },
                        coordinator_epoch: m.coordinator_epoch,
                    };
                    for (topic, partitions) in &m.topics {
                        for p in partitions {
                            let result = if topic == OFFSETS_TOPIC {
                                // Its "marker" is storing or dropping the offsets (a shortcut:
                                // lab 07 reads no control batches in __consumer_offsets).
                                self.end_offsets(
                                    broker,
                                    groups,
                                    m.producer_id,
                                    m.transaction_result,
                                );
                                Errors::None
                            } else {
                                let batch = marker_batch(
                                    0,
                                    now_ms,
                                    m.producer_id,
                                    m.producer_epoch,
                                    marker,
                                );
                                append_marker(broker, topic, *p, batch.encode(), now_ms)
                            };
                            let tp = (topic.clone(), *p);
                            self.coordinator
                                .on_marker_result(m.producer_id, &tp, result);
                        }
                    }
                }
            }
        }
        answers
    }

    /// The transaction of `producer_id` ended: its offsets are stored (commit) or dropped.
    fn end_offsets(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        producer_id: i64,
        commit: bool,
    ) {
        let Some(offsets) = self.pending_offsets.remove(&producer_id) else {
            return;
        };
        if !commit {
            return;
        }
        let mut by_group: BTreeMap<String, Vec<OffsetRecord>> = BTreeMap::new();
        for (group, record) in offsets {
            by_group.entry(group).or_default().push(record);
        }
        let mut state = groups.state();
        for (group, records) in by_group {
            let code = state.groups.store(broker, &group, records);
            if code != lab04_protocol_codec::ErrorCode::None {
                tracing::error!(%group, "transactional offsets not stored: {code:?}");
            }
        }
    }
}
