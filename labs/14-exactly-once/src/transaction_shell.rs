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
//! A broker alone writes every marker straight into its own partitions. In a cluster the shell
//! is asked with the partitions' leaders (`request_with`, `tick_with`): a marker for a
//! partition this broker leads is written here, the others come back as WriteTxnMarkers
//! requests for `cluster_transactions` to send, whose answers return through
//! `on_marker_results`.
//!
//! A marker for `__consumer_offsets` is written like any other, and then lab 07's group
//! coordinator applies (COMMIT) or drops (ABORT) the offsets the producer wrote there with
//! TxnOffsetCommit (`txn_offsets`).

use lab01_record_batch::{RecordBatch, RecordBatchBuilder};
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, ProducerCheck};
use lab07_consumer_groups::GroupService;

use crate::control_batch::{marker_batch, ControlRecordType, EndTransactionMarker};
use crate::errors::Errors;
use crate::messages::write_txn_markers::{WritableTxnMarker, WriteTxnMarkersRequest};
use crate::partition_producers::for_each_batch;
use crate::producer_id_manager::ProducerIdManager;
use crate::transaction_coordinator::{TransactionCoordinator, TxnRequest, TxnResponse};
use crate::transaction_log::TRANSACTION_STATE_TOPIC;
use crate::transaction_metadata::TopicPartition;
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

/// WriteTxnMarkers requests for partitions another broker leads, by that broker's id.
pub type RemoteMarkers = Vec<(i32, WriteTxnMarkersRequest)>;

/// The offsets topic, whose partition a transaction adds with AddOffsetsToTxn.
const OFFSETS_TOPIC: &str = "__consumer_offsets";

pub struct TxnShell {
    pub coordinator: TransactionCoordinator,
    ids: ProducerIdManager,
    next_request: u64,
    /// In a cluster: an append counts only once the partition's high watermark passed it
    /// (acks=all), see [`TxnShell::complete_replicated`]. A broker alone: at once.
    wait_for_high_watermark: bool,
    /// Appends in the leader's log, not yet below its HW: (append id, partition, end offset).
    unreplicated: Vec<(u64, i32, i64)>,
}

impl TxnShell {
    /// Creates `__transaction_state` if needed and loads every partition of it (a broker
    /// alone leads them all, at coordinator epoch 0).
    /// The topic's partition count wins over `transaction.state.log.num.partitions` once the
    /// topic exists: ids were placed by it (Kafka fixes it at creation too).
    pub fn open(broker: &mut Broker, mut config: TransactionConfig, now_ms: i64) -> TxnShell {
        match broker.partition_count(TRANSACTION_STATE_TOPIC) {
            Some(n) => config.transaction_log_num_partitions = n as i32,
            None => {
                let n = config.transaction_log_num_partitions;
                if let Err(e) = broker.create_topic(TRANSACTION_STATE_TOPIC, n, now_ms) {
                    tracing::error!("cannot create {TRANSACTION_STATE_TOPIC}: {e}");
                }
            }
        }
        let mut shell = TxnShell::unloaded(broker, config, now_ms);
        for p in 0..config.transaction_log_num_partitions {
            shell.load_partition(broker, p, 0);
        }
        shell
    }

    /// A coordinator that owns no `__transaction_state` partition yet (a broker of a cluster:
    /// it loads a partition when it becomes its leader, [`TxnShell::load_partition`]).
    pub fn unloaded(broker: &Broker, config: TransactionConfig, now_ms: i64) -> TxnShell {
        let ids = ProducerIdManager::open(broker.log_dir(), broker.config().broker_id);
        let mut coordinator = TransactionCoordinator::new(config, 0, now_ms);
        coordinator.set_producer_id_block(0, 0); // claimed on first use
        TxnShell {
            coordinator,
            ids,
            next_request: 0,
            wait_for_high_watermark: false,
            unreplicated: Vec::new(),
        }
    }

    /// Appends to `__transaction_state` count once replicated (Kafka appends with
    /// acks=all): the coordinator answers, and sends markers, only after that.
    pub fn wait_for_high_watermark(&mut self) {
        self.wait_for_high_watermark = true;
    }

    /// Whether appends wait for the high watermark now.
    pub fn has_unreplicated(&self) -> bool {
        !self.unreplicated.is_empty()
    }

    /// Reports the appends the high watermark has passed as written (and those whose
    /// partition this broker no longer leads as failed), then drives the coordinator; the
    /// answers and remote markers that follow.
    pub fn complete_replicated(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        now_ms: i64,
        leader_of: &dyn Fn(&TopicPartition) -> Option<i32>,
    ) -> (Vec<(u64, TxnResponse)>, RemoteMarkers) {
        let owned = &self.coordinator.state.owned_partitions;
        let mut done = Vec::new();
        self.unreplicated.retain(|(append_id, p, end)| {
            let hw = broker
                .partition(TRANSACTION_STATE_TOPIC, *p)
                .map(|partition| partition.high_watermark());
            match hw {
                _ if !owned.contains_key(p) => done.push((*append_id, Errors::NotCoordinator)),
                Some(hw) if hw >= *end => done.push((*append_id, Errors::None)),
                Some(_) => return true,
                None => done.push((*append_id, Errors::NotCoordinator)),
            }
            false
        });
        if done.is_empty() {
            return (Vec::new(), Vec::new());
        }
        for (append_id, result) in done {
            self.coordinator.on_append(append_id, result);
        }
        self.drive(broker, groups, now_ms, leader_of)
    }

    /// Kafka's `loadTransactionsForTxnTopicPartition`: reads `__transaction_state`-`p` from
    /// this broker's log and becomes its coordinator at `coordinator_epoch` (the partition's
    /// leader epoch); decided transactions get their markers again.
    pub fn load_partition(&mut self, broker: &Broker, p: i32, coordinator_epoch: i32) {
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
        if let Err(e) = self
            .coordinator
            .load_partition(p, coordinator_epoch, &records)
        {
            tracing::error!("{TRANSACTION_STATE_TOPIC}-{p} unreadable: {e}");
        }
    }

    /// Kafka's `removeTransactionsForTxnTopicPartition`: another broker leads `p` now.
    pub fn unload_partition(&mut self, p: i32) {
        self.coordinator.unload_partition(p);
    }

    /// One request: step, then drive until the coordinator is idle; its answer.
    pub fn request(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        request: TxnRequest,
        now_ms: i64,
    ) -> Option<TxnResponse> {
        let me = broker.config().broker_id;
        self.request_with(broker, groups, request, now_ms, &|_| Some(me))
            .0
    }

    /// [`TxnShell::request`] in a cluster: markers for partitions `leader_of` puts on another
    /// broker come back, to be sent as WriteTxnMarkers (their answers go to
    /// [`TxnShell::on_marker_results`]).
    pub fn request_with(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        request: TxnRequest,
        now_ms: i64,
        leader_of: &dyn Fn(&TopicPartition) -> Option<i32>,
    ) -> (Option<TxnResponse>, RemoteMarkers) {
        let (id, answers, remote) = self.request_later(broker, groups, request, now_ms, leader_of);
        let answer = answers
            .into_iter()
            .find_map(|(r, answer)| (r == id).then_some(answer));
        (answer, remote)
    }

    /// [`TxnShell::request_with`] when answers may come later (appends wait for the HW): the
    /// request's id, and every answer ready now — this request's or earlier ones'.
    pub fn request_later(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        request: TxnRequest,
        now_ms: i64,
        leader_of: &dyn Fn(&TopicPartition) -> Option<i32>,
    ) -> (u64, Vec<(u64, TxnResponse)>, RemoteMarkers) {
        if matches!(request, TxnRequest::InitProducerId { .. })
            && self.coordinator.producer_ids_left() < 2
        {
            match self.ids.claim_block() {
                Ok((start, end)) => self.coordinator.set_producer_id_block(start, end),
                Err(e) => {
                    tracing::error!("no producer id block: {e}");
                    let answer = TxnResponse::InitProducerId {
                        error: Errors::UnknownServerError,
                        producer_id: -1,
                        producer_epoch: -1,
                    };
                    return (u64::MAX, vec![(u64::MAX, answer)], Vec::new());
                }
            }
        }
        let id = self.next_request;
        self.next_request += 1;
        self.coordinator.tick(now_ms);
        self.coordinator.step(id, request);
        let (answers, remote) = self.drive(broker, groups, now_ms, leader_of);
        (id, answers, remote)
    }

    /// Time passes: expired transactions are aborted.
    pub fn tick(&mut self, broker: &mut Broker, groups: &GroupService, now_ms: i64) {
        let me = broker.config().broker_id;
        self.tick_with(broker, groups, now_ms, &|_| Some(me));
    }

    /// [`TxnShell::tick`] in a cluster: also sends the markers still queued (a leader was
    /// unknown, or a leader refused them) to the leaders `leader_of` names now.
    pub fn tick_with(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        now_ms: i64,
        leader_of: &dyn Fn(&TopicPartition) -> Option<i32>,
    ) -> (Vec<(u64, TxnResponse)>, RemoteMarkers) {
        self.coordinator.tick(now_ms);
        self.drive(broker, groups, now_ms, leader_of)
    }

    /// Partition leaders answered WriteTxnMarkers: (producer id, partition, error) each.
    pub fn on_marker_results(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        results: &[(i64, TopicPartition, Errors)],
        now_ms: i64,
        leader_of: &dyn Fn(&TopicPartition) -> Option<i32>,
    ) -> (Vec<(u64, TxnResponse)>, RemoteMarkers) {
        for (producer_id, tp, error) in results {
            self.coordinator.on_marker_result(*producer_id, tp, *error);
        }
        self.drive(broker, groups, now_ms, leader_of)
    }

    /// TxnOffsetCommit at a broker alone: whether the producer is the transactional id's
    /// current one (a zombie is fenced here too). A cluster's group coordinator does not ask
    /// (Kafka 2.6's does not ask the transaction coordinator either).
    pub fn check_offsets_producer(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
    ) -> Errors {
        let known = self.coordinator.state.transactions.get(transactional_id);
        match known {
            Some(m) if m.producer_id == producer_id && m.producer_epoch == producer_epoch => {
                Errors::None
            }
            Some(m) if m.producer_id == producer_id => Errors::InvalidProducerEpoch,
            _ => Errors::InvalidProducerIdMapping,
        }
    }

    /// Does what the coordinator asks until it asks nothing more; returns the answers, and
    /// the markers for partitions led by other brokers.
    fn drive(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        now_ms: i64,
        leader_of: &dyn Fn(&TopicPartition) -> Option<i32>,
    ) -> (Vec<(u64, TxnResponse)>, RemoteMarkers) {
        let me = broker.config().broker_id;
        let mut answers = Vec::new();
        let mut remote = Vec::new();
        // Each round either finishes appends and markers or is the last: bounded in practice
        // by a transaction's steps; the cap only guards against a bug looping forever.
        for _ in 0..64 {
            let ready = self.coordinator.ready(leader_of);
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
                        Ok(info) => Ok(info.last_offset + 1),
                        Err(e) => {
                            tracing::error!("{TRANSACTION_STATE_TOPIC}: {e}");
                            Err(Errors::UnknownServerError)
                        }
                    },
                    None => Err(Errors::NotCoordinator),
                };
                match result {
                    Ok(end) if self.wait_for_high_watermark => {
                        self.unreplicated
                            .push((append.append_id, append.partition, end));
                    }
                    Ok(_) => self.coordinator.on_append(append.append_id, Errors::None),
                    Err(e) => self.coordinator.on_append(append.append_id, e),
                }
            }
            for (leader, request) in ready.markers {
                if leader != me {
                    remote.push((leader, request));
                    continue;
                }
                for m in &request.markers {
                    for (topic, partitions) in &m.topics {
                        for p in partitions {
                            let result = self.write_marker(broker, groups, m, topic, *p, now_ms);
                            let tp = (topic.clone(), *p);
                            self.coordinator
                                .on_marker_result(m.producer_id, &tp, result);
                        }
                    }
                }
            }
        }
        (answers, remote)
    }

    /// Writes `m`'s marker into this broker's `topic`-`partition` — as the coordinator for a
    /// partition it leads itself, or as the leader that got WriteTxnMarkers.
    pub fn write_marker(
        &mut self,
        broker: &mut Broker,
        groups: &GroupService,
        m: &WritableTxnMarker,
        topic: &str,
        partition: i32,
        now_ms: i64,
    ) -> Errors {
        let marker = EndTransactionMarker {
            control_type: if m.transaction_result {
                ControlRecordType::Commit
            } else {
                ControlRecordType::Abort
            },
            coordinator_epoch: m.coordinator_epoch,
        };
        // Kafka's leader refuses a marker from an older coordinator (or producer) epoch.
        if let Some(p) = broker.partition(topic, partition) {
            let check = p.check_marker(m.producer_id, m.producer_epoch, m.coordinator_epoch);
            if let ProducerCheck::Refuse(code) = check {
                tracing::warn!(%topic, partition, producer_id = m.producer_id, coordinator_epoch = m.coordinator_epoch, "marker refused: {code:?}");
                return match code {
                    ErrorCode::TransactionCoordinatorFenced => Errors::TransactionCoordinatorFenced,
                    ErrorCode::InvalidProducerEpoch => Errors::InvalidProducerEpoch,
                    _ => Errors::UnknownServerError,
                };
            }
        }
        let batch = marker_batch(0, now_ms, m.producer_id, m.producer_epoch, marker);
        let written = append_marker(broker, topic, partition, batch.encode(), now_ms);
        if written == Errors::None && topic == OFFSETS_TOPIC {
            // The group coordinator applies or drops what the producer committed there.
            let mut state = groups.state();
            state
                .groups
                .complete_txn(partition, m.producer_id, m.transaction_result);
        }
        written
    }
}
