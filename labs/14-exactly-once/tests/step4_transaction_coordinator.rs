//! Step 4: the transaction coordinator, request by request, with every record persisted by a
//! tiny shell before its answer is released.

use lab14_exactly_once::errors::Errors;
use lab14_exactly_once::transaction_coordinator::{
    TransactionCoordinator, TxnRequest, TxnResponse,
};
use lab14_exactly_once::transaction_log::read_value;
use lab14_exactly_once::transaction_metadata::TransactionState;
use lab14_exactly_once::transaction_state_manager::{TransactionConfig, TxnLogRecord};

const TID: &str = "hello"; // __transaction_state partition 22

/// (producer id, epoch, commit, partition, coordinator epoch) of one marker sent.
type SentMarker = (i64, i16, bool, (String, i32), i32);

struct Shell {
    c: TransactionCoordinator,
    log: Vec<TxnLogRecord>,
    answers: Vec<(u64, TxnResponse)>,
    markers: Vec<SentMarker>,
    next: u64,
}

impl Shell {
    fn new() -> Shell {
        let mut c = TransactionCoordinator::new(TransactionConfig::default(), 1000, 0);
        for p in 0..50 {
            c.load_partition(p, 3, &[]).unwrap();
        }
        Shell {
            c,
            log: Vec::new(),
            answers: Vec::new(),
            markers: Vec::new(),
            next: 0,
        }
    }

    /// Persists every append, acknowledges every marker, until nothing is left; returns the
    /// answer to the last request.
    fn run(&mut self, request: TxnRequest) -> TxnResponse {
        self.next += 1;
        let id = self.next;
        self.c.step(id, request);
        self.settle();
        self.answers
            .iter()
            .rev()
            .find(|(r, _)| *r == id)
            .expect("an answer")
            .1
    }

    fn settle(&mut self) {
        for _ in 0..100 {
            let ready = self.c.ready(|_| Some(1));
            if ready.appends.is_empty() && ready.markers.is_empty() && ready.responses.is_empty() {
                return;
            }
            // Persist first: an answer is released only by on_append.
            for a in ready.appends {
                self.log.push(a.record.clone());
                self.c.on_append(a.append_id, Errors::None);
            }
            for (_, req) in ready.markers {
                for m in req.markers {
                    for (t, ps) in m.topics {
                        for p in ps {
                            self.markers.push((
                                m.producer_id,
                                m.producer_epoch,
                                m.transaction_result,
                                (t.clone(), p),
                                m.coordinator_epoch,
                            ));
                            self.c
                                .on_marker_result(m.producer_id, &(t.clone(), p), Errors::None);
                        }
                    }
                }
            }
            self.answers.extend(ready.responses);
        }
        panic!("the coordinator did not settle in 100 rounds");
    }

    fn state(&self) -> TransactionState {
        self.c.state.transactions[TID].state
    }
}

fn init(timeout: i32) -> TxnRequest {
    TxnRequest::InitProducerId {
        transactional_id: Some(TID.into()),
        transaction_timeout_ms: timeout,
    }
}

fn add(pid: i64, epoch: i16, parts: &[i32]) -> TxnRequest {
    TxnRequest::AddPartitions {
        transactional_id: TID.into(),
        producer_id: pid,
        producer_epoch: epoch,
        partitions: parts.iter().map(|p| ("o".to_string(), *p)).collect(),
    }
}

fn end(pid: i64, epoch: i16, commit: bool) -> TxnRequest {
    TxnRequest::EndTxn {
        transactional_id: TID.into(),
        producer_id: pid,
        producer_epoch: epoch,
        commit,
    }
}

#[test]
fn step4_init_then_commit_writes_commit_markers_to_every_partition() {
    let mut s = Shell::new();
    let r = s.run(init(60_000));
    assert_eq!(
        r,
        TxnResponse::InitProducerId {
            error: Errors::None,
            producer_id: 1000,
            producer_epoch: 0
        }
    );
    assert_eq!(
        s.run(add(1000, 0, &[0, 1])),
        TxnResponse::AddPartitions {
            error: Errors::None
        }
    );
    assert_eq!(
        s.run(TxnRequest::AddOffsets {
            transactional_id: TID.into(),
            producer_id: 1000,
            producer_epoch: 0,
            group_id: "g".into()
        }),
        TxnResponse::AddOffsets {
            error: Errors::None
        }
    );
    assert_eq!(
        s.run(end(1000, 0, true)),
        TxnResponse::EndTxn {
            error: Errors::None
        }
    );
    assert_eq!(s.state(), TransactionState::CompleteCommit);
    assert_eq!(s.markers.len(), 3);
    assert!(
        s.markers.iter().all(|m| m.2 && m.1 == 0 && m.4 == 3),
        "{:?}",
        s.markers
    );
    assert!(s.markers.iter().any(|m| m.3 .0 == "__consumer_offsets"));
    let states: Vec<TransactionState> = s
        .log
        .iter()
        .map(|(_, v)| read_value(v.as_deref()).unwrap().unwrap().txn_state)
        .collect();
    use TransactionState::*;
    assert_eq!(
        states,
        [Empty, Ongoing, Ongoing, PrepareCommit, CompleteCommit]
    );
    // A retried commit is answered NONE; an abort now is INVALID_TXN_STATE.
    assert_eq!(
        s.run(end(1000, 0, true)),
        TxnResponse::EndTxn {
            error: Errors::None
        }
    );
    assert_eq!(
        s.run(end(1000, 0, false)),
        TxnResponse::EndTxn {
            error: Errors::InvalidTxnState
        }
    );
}

#[test]
fn step4_a_new_instance_fences_the_zombie() {
    let mut s = Shell::new();
    s.run(init(60_000));
    s.run(add(1000, 0, &[0]));
    // A second instance with the same transactional.id: the open txn is aborted at epoch 1.
    let r = s.run(init(60_000));
    assert_eq!(
        r,
        TxnResponse::InitProducerId {
            error: Errors::ConcurrentTransactions,
            producer_id: -1,
            producer_epoch: -1
        }
    );
    assert_eq!(s.markers, vec![(1000, 1, false, ("o".into(), 0), 3)]);
    let r = s.run(init(60_000));
    assert_eq!(
        r,
        TxnResponse::InitProducerId {
            error: Errors::None,
            producer_id: 1000,
            producer_epoch: 2
        }
    );
    // The zombie (epoch 0) can neither add nor commit.
    assert_eq!(
        s.run(add(1000, 0, &[1])),
        TxnResponse::AddPartitions {
            error: Errors::InvalidProducerEpoch
        }
    );
    assert_eq!(
        s.run(end(1000, 0, true)),
        TxnResponse::EndTxn {
            error: Errors::InvalidProducerEpoch
        }
    );
    assert_eq!(
        s.run(add(999, 2, &[1])),
        TxnResponse::AddPartitions {
            error: Errors::InvalidProducerIdMapping
        }
    );
}

#[test]
fn step4_timeouts_and_bad_requests() {
    let mut s = Shell::new();
    let bad = s.run(init(900_001));
    assert_eq!(
        bad,
        TxnResponse::InitProducerId {
            error: Errors::InvalidTransactionTimeout,
            producer_id: -1,
            producer_epoch: -1
        }
    );
    let idempotent = s.run(TxnRequest::InitProducerId {
        transactional_id: None,
        transaction_timeout_ms: 0,
    });
    assert!(matches!(
        idempotent,
        TxnResponse::InitProducerId {
            error: Errors::None,
            producer_epoch: 0,
            ..
        }
    ));
    assert!(
        s.log.is_empty(),
        "an idempotent producer's id is not persisted"
    );
    s.run(init(1_000));
    s.run(add(1001, 0, &[0]));
    assert_eq!(
        s.run(end(1000, 0, true)),
        TxnResponse::EndTxn {
            error: Errors::InvalidProducerIdMapping
        }
    );
    s.c.tick(5_000);
    s.settle();
    assert_eq!(
        s.state(),
        TransactionState::Ongoing,
        "the check runs every 10 s"
    );
    s.c.tick(10_000);
    s.settle();
    assert_eq!(s.state(), TransactionState::CompleteAbort);
    assert_eq!(
        s.c.state.transactions[TID].producer_epoch, 1,
        "the abort fenced the producer"
    );
    assert_eq!(
        s.run(end(1001, 0, true)),
        TxnResponse::EndTxn {
            error: Errors::InvalidProducerEpoch
        }
    );
}

#[test]
fn step4_a_reloaded_coordinator_finishes_a_decided_transaction() {
    let mut s = Shell::new();
    s.run(init(60_000));
    s.run(add(1000, 0, &[0, 1]));
    s.c.step(99, end(1000, 0, true));
    let ready = s.c.ready(|_| Some(1));
    // PrepareCommit is written, then the coordinator dies before any marker.
    s.log.push(ready.appends[0].record.clone());
    let mut c = TransactionCoordinator::new(TransactionConfig::default(), 2000, 0);
    c.load_partition(22, 4, &s.log).unwrap();
    let ready = c.ready(|_| Some(1));
    let sent: Vec<_> = ready
        .markers
        .iter()
        .flat_map(|(_, r)| r.markers.clone())
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].transaction_result && sent[0].coordinator_epoch == 4);
    assert_eq!(sent[0].topics, vec![("o".to_string(), vec![0, 1])]);
    // A leader that moved: the marker is sent again; the other one lands.
    c.on_marker_result(1000, &("o".into(), 0), Errors::NotLeaderOrFollower);
    c.on_marker_result(1000, &("o".into(), 1), Errors::None);
    let ready = c.ready(|_| Some(2));
    assert!(
        ready.appends.is_empty(),
        "not complete while a marker is missing"
    );
    assert_eq!(ready.markers.len(), 1);
    assert_eq!(ready.markers[0].0, 2, "sent to the partition's new leader");
    c.on_marker_result(1000, &("o".into(), 0), Errors::None);
    let ready = c.ready(|_| Some(2));
    let done = read_value(ready.appends[0].record.1.as_deref())
        .unwrap()
        .unwrap();
    assert_eq!(done.txn_state, TransactionState::CompleteCommit);
    assert_eq!(ready.appends[0].coordinator_epoch, 4);
}
