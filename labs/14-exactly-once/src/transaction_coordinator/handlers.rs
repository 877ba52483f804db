//! Step 4: the coordinator's rules, one method per request and per answer.

use super::{AfterAppend, TransactionCoordinator, TxnResponse};
use crate::errors::Errors;
use crate::transaction_metadata::{TopicPartition, TransactionMetadata, TransactionState};

impl TransactionCoordinator {
    /// InitProducerId: an idempotent producer gets a new id at epoch 0 at once; a
    /// transactional one gets its id's next epoch once that is durable — or, when the previous
    /// instance left a transaction open, that transaction is aborted at a bumped epoch and the
    /// answer is CONCURRENT_TRANSACTIONS (retry).
    pub(super) fn handle_init_producer_id(
        &mut self,
        request_id: u64,
        transactional_id: Option<&str>,
        timeout_ms: i32,
    ) {
        // BEGIN SOLUTION step 4: check id, timeout and ownership; create the metadata; then bump, fence or refuse by state
        // ko: ID, 타임아웃, 소유를 확인하고 메타데이터를 만들기. 그다음 상태에 따라 올리기, 펜싱, 거절
        let reply = |error, producer_id, producer_epoch| TxnResponse::InitProducerId {
            error,
            producer_id,
            producer_epoch,
        };
        let refuse = |s: &mut Self, e: Errors| s.responses.push((request_id, reply(e, -1, -1)));
        let Some(id) = transactional_id else {
            let pid = self.allocate_producer_id();
            self.responses
                .push((request_id, reply(Errors::None, pid, 0)));
            return;
        };
        if id.is_empty() {
            return refuse(self, Errors::InvalidRequest);
        }
        if !self.state.validate_transaction_timeout(timeout_ms) {
            return refuse(self, Errors::InvalidTransactionTimeout);
        }
        if self.state.coordinator_epoch(id).is_err() {
            return refuse(self, Errors::NotCoordinator);
        }
        if !self.state.transactions.contains_key(id) {
            let pid = self.allocate_producer_id();
            let m = TransactionMetadata::new(id, pid, timeout_ms, self.now_ms);
            self.state.transactions.insert(id.to_string(), m);
        }
        let now = self.now_ms;
        let (state, epoch, pending) = {
            let m = &self.state.transactions[id];
            (m.state, m.producer_epoch, m.pending_state.is_some())
        };
        if pending {
            return refuse(self, Errors::ConcurrentTransactions);
        }
        match state {
            TransactionState::PrepareCommit | TransactionState::PrepareAbort => {
                refuse(self, Errors::ConcurrentTransactions)
            }
            TransactionState::Empty
            | TransactionState::CompleteCommit
            | TransactionState::CompleteAbort => {
                let new_pid = if TransactionMetadata::is_epoch_exhausted(epoch) {
                    self.allocate_producer_id()
                } else {
                    -1
                };
                let m = self.state.transactions.get_mut(id).expect("inserted above");
                match m.prepare_increment_producer_epoch(timeout_ms, new_pid, now) {
                    Ok(t) => {
                        let answer = reply(Errors::None, t.producer_id, t.producer_epoch);
                        let failure = (request_id, reply(Errors::CoordinatorNotAvailable, -1, -1));
                        self.append(
                            id,
                            t,
                            AfterAppend::Respond(request_id, answer),
                            Some(failure),
                        );
                    }
                    Err(e) => refuse(self, e),
                }
            }
            TransactionState::Ongoing => {
                // Fence the old instance: abort its transaction at the next epoch.
                let m = self.state.transactions.get_mut(id).expect("inserted above");
                match m.prepare_abort_or_commit(
                    TransactionState::PrepareAbort,
                    epoch.saturating_add(1),
                    now,
                ) {
                    Ok(t) => {
                        let answer = (request_id, reply(Errors::ConcurrentTransactions, -1, -1));
                        let failure = (request_id, reply(Errors::CoordinatorNotAvailable, -1, -1));
                        self.append(id, t, AfterAppend::Decided(Some(answer)), Some(failure));
                    }
                    Err(e) => refuse(self, e),
                }
            }
            TransactionState::Dead | TransactionState::PrepareEpochFence => {
                refuse(self, Errors::UnknownServerError)
            }
        }
        // END SOLUTION
    }

    /// AddPartitionsToTxn / AddOffsetsToTxn. Returns the error to answer at once, or `None`
    /// when the answer is queued (at once for partitions already in the transaction, else
    /// after the append).
    pub(super) fn handle_add_partitions(
        &mut self,
        request_id: u64,
        id: &str,
        producer_id: i64,
        producer_epoch: i16,
        partitions: &[TopicPartition],
        offsets: bool,
    ) -> Option<Errors> {
        // BEGIN SOLUTION step 4: check id, ownership, producer id, epoch, pending and state; then add and persist
        // ko: ID, 소유, 프로듀서 ID, 에포크, 대기, 상태를 확인한 다음 파티션을 더하고 기록하기
        let answer = |error| {
            if offsets {
                TxnResponse::AddOffsets { error }
            } else {
                TxnResponse::AddPartitions { error }
            }
        };
        if id.is_empty() {
            return Some(Errors::InvalidRequest);
        }
        if self.state.coordinator_epoch(id).is_err() {
            return Some(Errors::NotCoordinator);
        }
        let now = self.now_ms;
        let Some(m) = self.state.transactions.get_mut(id) else {
            return Some(Errors::InvalidProducerIdMapping);
        };
        if m.producer_id != producer_id {
            return Some(Errors::InvalidProducerIdMapping);
        }
        if m.producer_epoch != producer_epoch {
            return Some(Errors::InvalidProducerEpoch);
        }
        if m.pending_state.is_some()
            || matches!(
                m.state,
                TransactionState::PrepareCommit | TransactionState::PrepareAbort
            )
        {
            return Some(Errors::ConcurrentTransactions);
        }
        if m.state == TransactionState::Ongoing
            && partitions.iter().all(|p| m.topic_partitions.contains(p))
        {
            self.responses.push((request_id, answer(Errors::None)));
            return None;
        }
        match m.prepare_add_partitions(partitions, now) {
            Ok(t) => {
                let failure = Some((request_id, answer(Errors::CoordinatorNotAvailable)));
                self.append(
                    id,
                    t,
                    AfterAppend::Respond(request_id, answer(Errors::None)),
                    failure,
                );
                None
            }
            Err(e) => Some(e),
        }
        // END SOLUTION
    }

    /// EndTxn from a client (`request_id` Some) or an abort the coordinator decides itself
    /// (timeout: `request_id` None, `epoch` already bumped). Ok when the answer is queued.
    pub(super) fn handle_end_txn(
        &mut self,
        request_id: Option<u64>,
        id: &str,
        producer_id: i64,
        epoch: i16,
        commit: bool,
    ) -> Result<(), Errors> {
        // BEGIN SOLUTION step 4: the checks of handleEndTransaction, then PrepareCommit or PrepareAbort, or an answer by state
        // ko: handleEndTransaction의 검사, 그다음 PrepareCommit이나 PrepareAbort, 아니면 상태에 따른 응답
        use TransactionState::*;
        if id.is_empty() {
            return Err(Errors::InvalidRequest);
        }
        self.state.coordinator_epoch(id)?;
        let now = self.now_ms;
        let from_client = request_id.is_some();
        let m = self
            .state
            .transactions
            .get_mut(id)
            .ok_or(Errors::InvalidProducerIdMapping)?;
        if m.producer_id != producer_id {
            return Err(Errors::InvalidProducerIdMapping);
        }
        if (from_client && epoch != m.producer_epoch) || epoch < m.producer_epoch {
            return Err(Errors::InvalidProducerEpoch);
        }
        if m.pending_state.is_some() {
            return Err(Errors::ConcurrentTransactions);
        }
        let done = |s: &mut Self| {
            if let Some(r) = request_id {
                s.responses.push((
                    r,
                    TxnResponse::EndTxn {
                        error: Errors::None,
                    },
                ));
            }
            Ok(())
        };
        match (m.state, commit) {
            (Ongoing, _) => {
                let next = if commit { PrepareCommit } else { PrepareAbort };
                let t = m.prepare_abort_or_commit(next, epoch, now)?;
                let answer = request_id.map(|r| {
                    (
                        r,
                        TxnResponse::EndTxn {
                            error: Errors::None,
                        },
                    )
                });
                let failure = request_id.map(|r| {
                    (
                        r,
                        TxnResponse::EndTxn {
                            error: Errors::CoordinatorNotAvailable,
                        },
                    )
                });
                self.append(id, t, AfterAppend::Decided(answer), failure);
                Ok(())
            }
            (CompleteCommit, true) | (CompleteAbort, false) => done(self),
            (PrepareCommit, true) | (PrepareAbort, false) => Err(Errors::ConcurrentTransactions),
            _ => Err(Errors::InvalidTxnState),
        }
        // END SOLUTION
    }

    /// The shell wrote (`Errors::None`) or failed to write the record of `append_id`.
    pub fn on_append(&mut self, append_id: u64, result: Errors) {
        // BEGIN SOLUTION step 4: on success complete the transition and do what follows; on failure abort it and answer the failure
        // ko: 성공이면 전이를 완료하고 다음 일을 하기. 실패면 전이를 취소하고 실패를 응답하기
        let Some(p) = self.pending_appends.remove(&append_id) else {
            return;
        };
        let Some(m) = self.state.transactions.get_mut(&p.transactional_id) else {
            return;
        };
        if result != Errors::None {
            m.abort_transition();
            if let Some(f) = p.failure {
                self.responses.push(f);
            }
            if p.after == AfterAppend::Completed {
                // The decision stands; only its completion must be written again.
                self.in_progress
                    .insert(p.transactional_id.clone(), Default::default());
                self.try_complete(&p.transactional_id);
            }
            return;
        }
        m.complete_transition(&p.transit);
        match p.after {
            AfterAppend::Respond(r, answer) => self.responses.push((r, answer)),
            AfterAppend::Decided(answer) => {
                self.responses.extend(answer);
                self.send_markers(&p.transactional_id);
            }
            AfterAppend::Completed => {}
        }
        // END SOLUTION
    }

    /// A partition leader's answer to one marker. Success ticks the partition off (and the
    /// last one completes the transaction); a fenced coordinator stops sending; any other
    /// error sends the marker again.
    pub fn on_marker_result(
        &mut self,
        producer_id: i64,
        partition: &TopicPartition,
        result: Errors,
    ) {
        // BEGIN SOLUTION step 4: find the decided transaction of the producer; tick off, stop, or queue the marker again
        // ko: 프로듀서의 결정된 트랜잭션을 찾아 완료 처리하거나, 멈추거나, 마커를 다시 넣기
        let Some(id) = self.in_progress.keys().find(|id| {
            self.state
                .transactions
                .get(*id)
                .is_some_and(|m| m.producer_id == producer_id)
                && self.in_progress[*id].contains(partition)
        }) else {
            return;
        };
        let id = id.clone();
        match result {
            Errors::None => {
                if let Some(s) = self.in_progress.get_mut(&id) {
                    s.remove(partition);
                }
                self.try_complete(&id);
            }
            Errors::InvalidProducerEpoch | Errors::TransactionCoordinatorFenced => {
                self.markers.remove_markers_for_txn_id(&id);
                self.in_progress.remove(&id);
            }
            _ => {
                let m = &self.state.transactions[&id];
                let marker = crate::transaction_marker_channel_manager::PendingMarker {
                    transactional_id: id.clone(),
                    producer_id,
                    producer_epoch: m.producer_epoch,
                    commit: m.state == TransactionState::PrepareCommit,
                    coordinator_epoch: self.state.coordinator_epoch(&id).unwrap_or(-1),
                    partition: partition.clone(),
                };
                self.markers.add(marker);
            }
        }
        // END SOLUTION
    }

    /// Time passes: every `transaction.abort.timed.out.transaction.cleanup.interval.ms`, each
    /// expired transaction is aborted at a bumped epoch, which fences its producer.
    pub fn tick(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        if now_ms - self.last_abort_check_ms
            < self.state.config.abort_timed_out_transactions_interval_ms
        {
            return;
        }
        self.last_abort_check_ms = now_ms;
        // BEGIN SOLUTION step 4: abort each timed-out transaction at its epoch plus one, as the coordinator
        // ko: 타임아웃된 트랜잭션마다 에포크 + 1로, 코디네이터로서 중단하기
        for id in self.state.timed_out_transactions(now_ms) {
            let m = &self.state.transactions[&id];
            let (pid, epoch) = (m.producer_id, m.producer_epoch);
            let _ = self.handle_end_txn(None, &id, pid, epoch.saturating_add(1), false);
        }
        // END SOLUTION
    }
}
