//! A seeded simulation of transactional producers, one transaction coordinator that crashes
//! between steps, and the partitions that receive data and markers.
//!
//! Every message (request, answer, record append, marker) takes 0..=`max_delay` ticks. A crash
//! throws the coordinator's memory away, including appends not yet durable; the new
//! incarnation has the next coordinator epoch and reloads `__transaction_state` from what was
//! durable. Messages from the old incarnation may still land (old markers), answers to it are
//! lost. New producer instances for a transactional id appear and fence the old ones
//! (zombies), and some producers hang past `transaction.timeout.ms`.

pub mod checker;

use std::collections::BTreeMap;

use checker::Entry;
use lab14_exactly_once::errors::Errors;
use lab14_exactly_once::transaction_coordinator::{
    TransactionCoordinator, TxnLogAppend, TxnRequest, TxnResponse,
};
use lab14_exactly_once::transaction_metadata::{TopicPartition, TransactionState};
use lab14_exactly_once::transaction_state_manager::{TransactionConfig, TxnLogRecord};

/// The shared dice (SplitMix64, seeded).
pub use kafkalab_testkit::sim::Rng;

const TICK_MS: i64 = 100;
const TXN_TIMEOUT_MS: i32 = 2_000;
const BUSY_TICKS: u64 = 300;
const QUIET_TICKS_MAX: u64 = 3_000;
const REQUEST_TIMEOUT_TICKS: u64 = 8;
const IDS: [&str; 3] = ["app-0", "app-1", "app-2"];

enum Event {
    ToCoordinator(u64, TxnRequest),
    ToClient(u64, TxnResponse),
    Persist(u64, TxnLogAppend),
    AppendAck(u64, u64),
    Marker {
        producer_id: i64,
        epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
        tp: TopicPartition,
        incarnation: u64,
    },
    MarkerAck(u64, i64, TopicPartition, Errors),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    NeedInit,
    Ready,
    InTxn,
    Hung(u64),
}

struct Txn {
    tag: u64,
    added: Vec<TopicPartition>,
    writes_left: u32,
    hang: bool,
    commit: bool,
    offsets: bool,
}

struct Client {
    tid: &'static str,
    phase: Phase,
    producer_id: i64,
    epoch: i16,
    /// The request in flight: its id, when it was sent, and the request (to resend).
    awaiting: Option<(u64, u64, TxnRequest)>,
    txn: Option<Txn>,
    retired: bool,
}

pub struct Sim {
    rng: Rng,
    tick: u64,
    seq: u64,
    events: BTreeMap<(u64, u64), Event>,
    coordinator: TransactionCoordinator,
    incarnation: u64,
    coordinator_epoch: i32,
    down_until: u64,
    durable: BTreeMap<i32, Vec<TxnLogRecord>>,
    clients: Vec<Client>,
    next_request: u64,
    next_tag: u64,
    /// Per partition: the log and, per producer, (epoch, coordinator epoch).
    logs: BTreeMap<TopicPartition, Vec<Entry>>,
    producers: BTreeMap<TopicPartition, BTreeMap<i64, (i16, i32)>>,
    answered: BTreeMap<u64, bool>,
    pub stats: BTreeMap<&'static str, u64>,
}

fn partitions() -> Vec<TopicPartition> {
    (0..3).map(|p| ("o".to_string(), p)).collect()
}

impl Sim {
    pub fn new(seed: u64) -> Sim {
        let mut s = Sim {
            rng: Rng::new(seed),
            tick: 0,
            seq: 0,
            events: BTreeMap::new(),
            coordinator: TransactionCoordinator::new(config(), 0, 0),
            incarnation: 0,
            coordinator_epoch: 0,
            down_until: 0,
            durable: BTreeMap::new(),
            clients: IDS.iter().map(|tid| client(tid)).collect(),
            next_request: 0,
            next_tag: 0,
            logs: partitions()
                .into_iter()
                .map(|tp| (tp, Vec::new()))
                .collect(),
            producers: BTreeMap::new(),
            answered: BTreeMap::new(),
            stats: BTreeMap::new(),
        };
        s.restart_coordinator();
        s
    }

    fn stat(&mut self, key: &'static str) {
        *self.stats.entry(key).or_default() += 1;
    }

    fn send(&mut self, e: Event) {
        let at = self.tick + 1 + self.rng.below(3);
        self.seq += 1;
        self.events.insert((at, self.seq), e);
    }

    /// A new incarnation at the next coordinator epoch, loaded from what is durable.
    fn restart_coordinator(&mut self) {
        self.incarnation += 1;
        self.coordinator_epoch += 1;
        let now = self.tick as i64 * TICK_MS;
        let mut c = TransactionCoordinator::new(config(), self.incarnation as i64 * 100_000, now);
        for p in 0..50 {
            let records = self.durable.get(&p).cloned().unwrap_or_default();
            c.load_partition(p, self.coordinator_epoch, &records)
                .expect("durable records decode");
        }
        self.coordinator = c;
    }

    pub fn run(&mut self) {
        while self.tick < BUSY_TICKS {
            self.step(true);
        }
        let mut quiet = 0;
        while !self.settled() {
            assert!(
                quiet < QUIET_TICKS_MAX,
                "not settled {QUIET_TICKS_MAX} ticks after the faults stopped"
            );
            self.step(false);
            quiet += 1;
        }
        for m in self.coordinator.state.transactions.values() {
            assert!(
                matches!(
                    m.state,
                    TransactionState::Empty
                        | TransactionState::CompleteCommit
                        | TransactionState::CompleteAbort
                ),
                "{} is left in {:?}",
                m.transactional_id,
                m.state
            );
        }
        let closures = checker::check(&self.logs, &self.answered);
        for cs in closures.values() {
            self.stat(if cs[0].0 {
                "transactions committed"
            } else {
                "transactions aborted"
            });
        }
        self.stat("schedules");
    }

    fn settled(&self) -> bool {
        self.events.is_empty()
            && self.tick >= self.down_until
            && self.coordinator.markers.is_empty()
            && self.coordinator.in_progress.is_empty()
            && self.coordinator.state.transactions.values().all(|m| {
                m.pending_state.is_none()
                    && !matches!(
                        m.state,
                        TransactionState::Ongoing
                            | TransactionState::PrepareCommit
                            | TransactionState::PrepareAbort
                    )
            })
            && self
                .clients
                .iter()
                .all(|c| c.retired || (c.awaiting.is_none() && c.phase == Phase::Ready))
    }

    fn step(&mut self, busy: bool) {
        self.tick += 1;
        let now = self.tick as i64 * TICK_MS;
        if busy && self.rng.chance(15) {
            self.stat("coordinator crashes");
            self.restart_coordinator();
            self.down_until = self.tick + self.rng.below(4);
        }
        let up = self.tick >= self.down_until;
        if up {
            self.coordinator.tick(now);
        }
        let due: Vec<(u64, u64)> = self
            .events
            .range(..(self.tick + 1, 0))
            .map(|(k, _)| *k)
            .collect();
        for k in due {
            let e = self.events.remove(&k).expect("listed");
            self.deliver(e, up);
        }
        if busy && self.rng.chance(10) {
            self.spawn_instance();
        }
        for i in 0..self.clients.len() {
            self.act(i, busy);
        }
        if up {
            self.flush_coordinator();
        }
    }

    fn flush_coordinator(&mut self) {
        let ready = self.coordinator.ready(|_| Some(1));
        for a in ready.appends {
            self.send(Event::Persist(self.incarnation, a));
        }
        for (_, req) in ready.markers {
            for m in req.markers {
                for (t, ps) in &m.topics {
                    for p in ps {
                        let tp = (t.clone(), *p);
                        self.send(Event::Marker {
                            producer_id: m.producer_id,
                            epoch: m.producer_epoch,
                            commit: m.transaction_result,
                            coordinator_epoch: m.coordinator_epoch,
                            tp,
                            incarnation: self.incarnation,
                        });
                    }
                }
            }
        }
        for (id, r) in ready.responses {
            self.send(Event::ToClient(id, r));
        }
    }

    fn deliver(&mut self, e: Event, up: bool) {
        match e {
            Event::ToCoordinator(id, r) if up => self.coordinator.step(id, r),
            Event::ToCoordinator(..) => {}
            Event::ToClient(id, r) => self.answer(id, r),
            Event::Persist(inc, a) if inc == self.incarnation && up => {
                self.durable
                    .entry(a.partition)
                    .or_default()
                    .push(a.record.clone());
                self.send(Event::AppendAck(inc, a.append_id));
            }
            Event::Persist(..) => self.stat("appends lost in a crash"),
            Event::AppendAck(inc, id) if inc == self.incarnation && up => {
                self.coordinator.on_append(id, Errors::None)
            }
            Event::AppendAck(..) => {}
            Event::Marker {
                producer_id,
                epoch,
                commit,
                coordinator_epoch,
                tp,
                incarnation,
            } => {
                let result = self.write_marker(&tp, producer_id, epoch, commit, coordinator_epoch);
                self.send(Event::MarkerAck(incarnation, producer_id, tp, result));
            }
            Event::MarkerAck(inc, pid, tp, r) if inc == self.incarnation && up => {
                self.coordinator.on_marker_result(pid, &tp, r)
            }
            Event::MarkerAck(..) => {}
        }
    }

    /// The partition leader's side of a marker (`ProducerAppendInfo.appendEndTxnMarker`).
    fn write_marker(
        &mut self,
        tp: &TopicPartition,
        pid: i64,
        epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
    ) -> Errors {
        let known = self
            .producers
            .entry(tp.clone())
            .or_default()
            .entry(pid)
            .or_insert((-1, -1));
        if epoch < known.0 {
            self.stat("markers refused: old producer epoch");
            return Errors::InvalidProducerEpoch;
        }
        if coordinator_epoch < known.1 {
            self.stat("markers refused: old coordinator");
            return Errors::TransactionCoordinatorFenced;
        }
        *known = (epoch, coordinator_epoch);
        self.logs
            .entry(tp.clone())
            .or_default()
            .push(Entry::Marker {
                producer_id: pid,
                epoch,
                commit,
                coordinator_epoch,
            });
        Errors::None
    }

    /// A transactional batch (`ProducerAppendInfo.checkProducerEpoch`).
    fn write_data(&mut self, tp: &TopicPartition, pid: i64, epoch: i16, txn: u64) -> bool {
        let known = self
            .producers
            .entry(tp.clone())
            .or_default()
            .entry(pid)
            .or_insert((-1, -1));
        if epoch < known.0 {
            return false;
        }
        known.0 = epoch;
        self.logs.entry(tp.clone()).or_default().push(Entry::Data {
            producer_id: pid,
            epoch,
            txn,
        });
        true
    }

    fn spawn_instance(&mut self) {
        let tid = IDS[self.rng.below(IDS.len() as u64) as usize];
        self.stat("new instances (zombies made)");
        self.clients.push(client(tid));
        let live: Vec<usize> = (0..self.clients.len())
            .filter(|i| self.clients[*i].tid == tid && !self.clients[*i].retired)
            .collect();
        if live.len() > 2 {
            self.clients[live[0]].retired = true;
        }
    }

    fn request(&mut self, i: usize, r: TxnRequest) {
        self.next_request += 1;
        let id = self.next_request;
        self.clients[i].awaiting = Some((id, self.tick, r.clone()));
        self.send(Event::ToCoordinator(id, r));
    }

    fn act(&mut self, i: usize, busy: bool) {
        if self.clients[i].retired {
            return;
        }
        if let Some((_, sent, r)) = self.clients[i].awaiting.clone() {
            if self.tick - sent > REQUEST_TIMEOUT_TICKS {
                self.stat("requests retried after a timeout");
                self.request(i, r);
            }
            return;
        }
        let c = &self.clients[i];
        let (tid, pid, epoch) = (c.tid.to_string(), c.producer_id, c.epoch);
        match c.phase {
            Phase::NeedInit => self.request(
                i,
                TxnRequest::InitProducerId {
                    transactional_id: Some(tid),
                    transaction_timeout_ms: TXN_TIMEOUT_MS,
                },
            ),
            Phase::Ready if busy && self.rng.chance(300) => {
                self.next_tag += 1;
                let mut added: Vec<TopicPartition> = partitions()
                    .into_iter()
                    .filter(|_| self.rng.chance(600))
                    .collect();
                if added.is_empty() {
                    added.push(("o".into(), 0));
                }
                let txn = Txn {
                    tag: self.next_tag,
                    added: added.clone(),
                    writes_left: 1 + self.rng.below(4) as u32,
                    hang: self.rng.chance(80),
                    commit: self.rng.chance(700),
                    offsets: self.rng.chance(300),
                };
                self.clients[i].txn = Some(txn);
                self.request(
                    i,
                    TxnRequest::AddPartitions {
                        transactional_id: tid,
                        producer_id: pid,
                        producer_epoch: epoch,
                        partitions: added,
                    },
                );
            }
            Phase::Ready => {}
            Phase::Hung(until) if self.tick < until && busy => {}
            Phase::InTxn | Phase::Hung(_) => {
                let in_txn = self.clients[i].phase == Phase::InTxn;
                let t = self.clients[i].txn.as_mut().expect("a transaction is open");
                if t.writes_left > 0 {
                    t.writes_left -= 1;
                    let tp = t.added[self.rng.below(t.added.len() as u64) as usize].clone();
                    let tag = t.tag;
                    if !self.write_data(&tp, pid, epoch, tag) {
                        self.stat("zombie writes refused");
                        self.clients[i].phase = Phase::NeedInit;
                    }
                } else if t.hang && in_txn {
                    t.hang = false;
                    self.clients[i].phase = Phase::Hung(self.tick + 30);
                } else {
                    let commit = t.commit;
                    self.request(
                        i,
                        TxnRequest::EndTxn {
                            transactional_id: tid,
                            producer_id: pid,
                            producer_epoch: epoch,
                            commit,
                        },
                    );
                }
            }
        }
    }

    fn answer(&mut self, id: u64, r: TxnResponse) {
        let Some(i) = self
            .clients
            .iter()
            .position(|c| c.awaiting.as_ref().is_some_and(|a| a.0 == id))
        else {
            return;
        };
        let retry = |e: Errors| {
            matches!(
                e,
                Errors::ConcurrentTransactions
                    | Errors::CoordinatorNotAvailable
                    | Errors::NotCoordinator
            )
        };
        let (_, _, req) = self.clients[i].awaiting.take().expect("matched");
        match r {
            TxnResponse::InitProducerId {
                error: Errors::None,
                producer_id,
                producer_epoch,
            } => {
                let c = &mut self.clients[i];
                (c.producer_id, c.epoch, c.phase, c.txn) =
                    (producer_id, producer_epoch, Phase::Ready, None);
            }
            TxnResponse::InitProducerId { error, .. } => {
                if error == Errors::ConcurrentTransactions {
                    self.stat("InitProducerId fenced an open transaction");
                }
                self.clients[i].phase = Phase::NeedInit;
            }
            TxnResponse::AddPartitions {
                error: Errors::None,
            } => {
                let c = &mut self.clients[i];
                let t = c.txn.as_mut().expect("adding");
                if t.offsets {
                    let (tid, pid, epoch) = (c.tid.to_string(), c.producer_id, c.epoch);
                    self.request(
                        i,
                        TxnRequest::AddOffsets {
                            transactional_id: tid,
                            producer_id: pid,
                            producer_epoch: epoch,
                            group_id: "g".into(),
                        },
                    );
                } else {
                    c.phase = Phase::InTxn;
                }
            }
            TxnResponse::AddOffsets {
                error: Errors::None,
            } => {
                let c = &mut self.clients[i];
                let t = c.txn.as_mut().expect("adding");
                // TxnOffsetCommit: the group coordinator writes the offsets as a transactional batch.
                let tp = ("__consumer_offsets".to_string(), 3); // partitionFor("g") = 103 % 50
                t.added.push(tp.clone());
                let (pid, epoch, tag) = (c.producer_id, c.epoch, t.tag);
                c.phase = Phase::InTxn;
                if !self.write_data(&tp, pid, epoch, tag) {
                    self.clients[i].phase = Phase::NeedInit;
                }
            }
            TxnResponse::EndTxn {
                error: Errors::None,
            } => {
                let c = &mut self.clients[i];
                let t = c.txn.take().expect("ending");
                self.answered.insert(t.tag, t.commit);
                c.phase = Phase::Ready;
                self.stat("EndTxn answered");
            }
            TxnResponse::AddPartitions { error }
            | TxnResponse::AddOffsets { error }
            | TxnResponse::EndTxn { error } => {
                if retry(error) {
                    self.request(i, req);
                } else {
                    self.stat("requests refused (fenced)");
                    self.clients[i].phase = Phase::NeedInit;
                }
            }
        }
    }
}

fn client(tid: &'static str) -> Client {
    Client {
        tid,
        phase: Phase::NeedInit,
        producer_id: -1,
        epoch: -1,
        awaiting: None,
        txn: None,
        retired: false,
    }
}

fn config() -> TransactionConfig {
    TransactionConfig {
        abort_timed_out_transactions_interval_ms: 500,
        ..TransactionConfig::default()
    }
}
