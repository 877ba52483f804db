//! A seeded simulation of one partition with replication factor 3: broker 1 leads (its
//! `ReplicaManager`), brokers 2 and 3 follow (their `FollowerPartition`s), a simulated
//! ZooKeeper holds the partition state znode, a producer sends `acks=all` (and some `acks=1`
//! and `acks=0`) batches, and a consumer reads. Links delay messages but keep their order
//! (TCP). Followers *pause* (a GC pause, a stuck disk, a cut link): they neither fetch nor
//! handle anything until they resume. Now and then the controller rewrites the state znode with
//! the next leader epoch and sends LeaderAndIsr, so the leader's pending ISR write can fail its
//! version check and followers can be fenced. The same seed gives the same run.
//!
//! What is checked is in `checker.rs`.

use std::collections::BTreeMap;

use lab11_controller::LeaderIsrAndControllerEpoch;
use lab12_replication::{
    AppendResult, Error, ErrorCode, FetchPartition, FetchedPartition, FollowerPartition,
    LeaderAndIsrPartitionState, ReplicaConfig, ReplicaManager, TopicPartition, ZkOp,
};

mod checker;
mod faults;

pub use faults::{Faults, Rng};

const LEADER: i32 = 1;
const FOLLOWERS: [i32; 2] = [2, 3];
const ZK: i32 = 0;
const CONTROLLER: i32 = -1;
const T0: i64 = 1_600_000_000_000;

enum Delivery {
    Fetch {
        from: i32,
        request: FetchPartition,
    },
    FetchAnswer {
        to: i32,
        fetch_offset: i64,
        data: FetchedPartition,
        values: Vec<u64>,
    },
    ZkWrite(ZkOp),
    ZkAnswer {
        written_version: i32,
        version: Option<i32>,
    },
    LeaderAndIsr {
        to: i32,
        state: LeaderAndIsrPartitionState,
    },
}

struct Follower {
    core: FollowerPartition,
    log: Vec<u64>,
    paused_until: i64,
    in_flight: bool,
    next_fetch_at: i64,
    /// When the leader last took a fetch of this follower, and since when the leader's view of
    /// its LEO differs from the leader's LEO (the two clocks of `getOutOfSyncReplicas`).
    last_fetch_at_leader: i64,
    differs_since: Option<i64>,
}

pub struct Sim {
    rng: Rng,
    f: Faults,
    now: i64,
    seq: u64,
    queue: BTreeMap<(i64, u64), Delivery>,
    last: BTreeMap<(i32, i32), i64>,
    tp: TopicPartition,
    leader: ReplicaManager,
    leader_log: Vec<u64>,
    /// When the leader last applied a LeaderAndIsr (it resets the followers' clocks).
    last_leader_and_isr_at: i64,
    followers: BTreeMap<i32, Follower>,
    zk_state: LeaderIsrAndControllerEpoch,
    zk_version: i32,
    notifications: u64,
    /// Waiting `acks=all` produces: id → (base offset, record count).
    waiting: BTreeMap<u64, (i64, usize)>,
    next_value: u64,
    consumer_position: i64,
    last_hw: i64,
    /// The end of the highest offset acknowledged to an `acks=all` producer.
    acked_end: i64,
    pub stats: BTreeMap<&'static str, u64>,
}

impl Sim {
    pub fn new(seed: u64, f: Faults) -> Sim {
        let tp = TopicPartition::new("orders", 0);
        let state = LeaderAndIsrPartitionState {
            partition_index: 0,
            controller_epoch: 1,
            leader: LEADER,
            leader_epoch: 0,
            isr: vec![1, 2, 3],
            zk_version: 0,
            replicas: vec![1, 2, 3],
            adding_replicas: vec![],
            removing_replicas: vec![],
            is_new: true,
        };
        let config = ReplicaConfig {
            replica_lag_time_max_ms: f.lag_ms,
            min_insync_replicas: f.min_insync_replicas,
        };
        let mut leader = ReplicaManager::new(LEADER, config, T0);
        leader.become_leader(&tp, &state, 0, 0, T0).unwrap();
        let follower = |id| Follower {
            core: FollowerPartition::new(tp.clone(), id, &state, 0, 0).unwrap(),
            log: Vec::new(),
            paused_until: T0,
            in_flight: false,
            next_fetch_at: T0,
            last_fetch_at_leader: T0,
            differs_since: None,
        };
        Sim {
            rng: Rng::new(seed),
            f,
            now: T0,
            seq: 0,
            queue: BTreeMap::new(),
            last: BTreeMap::new(),
            leader,
            leader_log: Vec::new(),
            last_leader_and_isr_at: T0,
            followers: FOLLOWERS.iter().map(|&id| (id, follower(id))).collect(),
            zk_state: state.leader_isr(),
            zk_version: 0,
            notifications: 0,
            waiting: BTreeMap::new(),
            next_value: 0,
            consumer_position: 0,
            last_hw: 0,
            acked_end: 0,
            stats: BTreeMap::new(),
            tp,
        }
    }

    fn count(&mut self, what: &'static str, n: u64) {
        *self.stats.entry(what).or_insert(0) += n;
    }

    /// Queues `d` on link (from, to), after everything already on it.
    fn send(&mut self, from: i32, to: i32, d: Delivery) {
        let delay = self.rng.below(self.f.max_delay + 1) as i64 * self.f.tick_ms;
        let at = (self.now + delay).max(self.last.get(&(from, to)).copied().unwrap_or(0));
        self.last.insert((from, to), at);
        self.seq += 1;
        self.queue.insert((at, self.seq), d);
    }

    pub fn run(&mut self) {
        for _ in 0..self.f.ticks {
            self.faults();
            if self.rng.chance(self.f.produce) {
                self.produce();
            }
            self.step();
        }
        // The quiet end: no faults, no produces, until everything has settled. The bound is
        // generous: the longest pause must end, then a shrink, a catch-up of the whole backlog
        // (a few records per round trip over slow links), an expand and the notification's
        // blackout.
        let quiet = self.f.max_pause_ticks as i64 + (10 * self.f.lag_ms + 200_000) / self.f.tick_ms;
        for _ in 0..quiet {
            if self.settled() {
                break;
            }
            self.step();
        }
        self.check_quiet_end();
    }

    /// One tick: deliver what is due, let followers fetch, run the leader's timers, maybe
    /// consume, check.
    fn step(&mut self) {
        self.now += self.f.tick_ms;
        self.deliver();
        self.send_fetches();
        self.leader.tick(self.now);
        self.handle_ready();
        if self.rng.chance(self.f.consume) {
            self.consume();
        }
        self.check();
    }

    fn faults(&mut self) {
        for id in FOLLOWERS {
            if self.followers[&id].paused_until <= self.now && self.rng.chance(self.f.pause) {
                let ticks = 1 + self.rng.below(self.f.max_pause_ticks) as i64;
                self.followers.get_mut(&id).unwrap().paused_until =
                    self.now + ticks * self.f.tick_ms;
                self.count("pauses", 1);
                if ticks * self.f.tick_ms > self.f.lag_ms {
                    self.count("pauses longer than the lag time", 1);
                }
            }
        }
        if self.rng.chance(self.f.controller_bump) {
            // What lab 11's controller does when it changes a partition's state: write the
            // znode first (its own version check passes: it read it just now), then tell the
            // replicas. Here the leader and ISR stay and only the leader epoch moves on.
            self.zk_state.leader_epoch += 1;
            self.zk_version += 1;
            let state = LeaderAndIsrPartitionState {
                partition_index: 0,
                controller_epoch: self.zk_state.controller_epoch,
                leader: LEADER,
                leader_epoch: self.zk_state.leader_epoch,
                isr: self.zk_state.isr.clone(),
                zk_version: self.zk_version,
                replicas: vec![1, 2, 3],
                adding_replicas: vec![],
                removing_replicas: vec![],
                is_new: false,
            };
            for to in [LEADER, 2, 3] {
                self.send(
                    CONTROLLER,
                    to,
                    Delivery::LeaderAndIsr {
                        to,
                        state: state.clone(),
                    },
                );
            }
            self.count("controller writes", 1);
        }
    }

    fn produce(&mut self) {
        let acks = match self.rng.below(10) {
            0 => 0,
            1 => 1,
            _ => -1,
        };
        let n = 1 + self.rng.below(3) as i64;
        let isr_size = self.partition().isr().len();
        let leo = self.partition().log_end_offset();
        let timeout = self.f.produce_timeout_ms;
        let result = self
            .leader
            .append_records(&self.tp, n, acks, timeout, self.now)
            .unwrap();
        let base = match result {
            AppendResult::Done {
                base_offset: -1,
                error,
            } => {
                assert_eq!(
                    error,
                    ErrorCode::NotEnoughReplicas,
                    "refused with {error:?}"
                );
                assert!(acks == -1 && isr_size < self.f.min_insync_replicas);
                assert_eq!(
                    self.partition().log_end_offset(),
                    leo,
                    "a refused produce wrote"
                );
                self.count("produces refused: NOT_ENOUGH_REPLICAS", 1);
                return;
            }
            AppendResult::Done { base_offset, error } => {
                assert_eq!(error, ErrorCode::None);
                if acks == -1 {
                    self.acknowledged(base_offset, n as usize);
                }
                base_offset
            }
            AppendResult::Delayed {
                id, base_offset, ..
            } => {
                self.waiting.insert(id, (base_offset, n as usize));
                base_offset
            }
        };
        assert_eq!(
            base,
            self.leader_log.len() as i64,
            "offsets continue the log"
        );
        for _ in 0..n {
            self.leader_log.push(self.next_value);
            self.next_value += 1;
        }
    }

    fn send_fetches(&mut self) {
        for id in FOLLOWERS {
            let f = &self.followers[&id];
            if f.paused_until > self.now || f.in_flight || f.next_fetch_at > self.now {
                continue;
            }
            let request = f.core.build_fetch();
            self.followers.get_mut(&id).unwrap().in_flight = true;
            self.send(id, LEADER, Delivery::Fetch { from: id, request });
        }
    }

    fn deliver(&mut self) {
        // Bounded: each delivery is handled once, or deferred once to its follower's resume.
        while let Some(entry) = self.queue.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let d = entry.remove();
            let paused_follower = match &d {
                Delivery::FetchAnswer { to, .. } | Delivery::LeaderAndIsr { to, .. } => self
                    .followers
                    .get(to)
                    .map(|f| f.paused_until)
                    .filter(|resume| *resume > self.now),
                _ => None,
            };
            if let Some(resume) = paused_follower {
                // Paused: it waits in the socket buffer.
                self.seq += 1;
                self.queue.insert((resume, self.seq), d);
                continue;
            }
            match d {
                Delivery::Fetch { from, request } => self.leader_fetch(from, request),
                Delivery::FetchAnswer {
                    to,
                    fetch_offset,
                    data,
                    values,
                } => self.follower_answer(to, fetch_offset, data, values),
                Delivery::ZkWrite(op) => self.zookeeper(op),
                Delivery::ZkAnswer {
                    written_version,
                    version,
                } => {
                    let (tp, now) = (self.tp.clone(), self.now);
                    self.leader
                        .on_partition_state_written(&tp, written_version, version, now)
                        .unwrap();
                    self.handle_ready();
                }
                Delivery::LeaderAndIsr { to: LEADER, state } => {
                    if self
                        .leader
                        .become_leader(&self.tp, &state, 0, 0, self.now)
                        .unwrap()
                    {
                        self.last_leader_and_isr_at = self.now;
                    }
                    self.handle_ready();
                }
                Delivery::LeaderAndIsr { to, state } => {
                    self.followers
                        .get_mut(&to)
                        .unwrap()
                        .core
                        .make_follower(&state);
                }
            }
        }
    }

    fn leader_fetch(&mut self, from: i32, request: FetchPartition) {
        let result = self.leader.fetch(&self.tp, &request, self.now);
        let mut values = Vec::new();
        match result.error {
            ErrorCode::None => {
                let cap = 1 + self.rng.below(8) as i64;
                let end = result.read_up_to.min(request.fetch_offset + cap) as usize;
                values = self.leader_log[request.fetch_offset as usize..end].to_vec();
                let f = self.followers.get_mut(&from).unwrap();
                f.last_fetch_at_leader = self.now;
                f.differs_since = None;
            }
            ErrorCode::FencedLeaderEpoch | ErrorCode::UnknownLeaderEpoch => {
                self.count("fetches refused for their leader epoch", 1)
            }
            e => panic!("fetch of {from} refused with {e:?}"),
        }
        let last = request.fetch_offset + values.len() as i64 - 1;
        let records = (!values.is_empty()).then_some((request.fetch_offset, last));
        let data = FetchedPartition {
            error: result.error,
            high_watermark: result.high_watermark,
            records,
        };
        let d = Delivery::FetchAnswer {
            to: from,
            fetch_offset: request.fetch_offset,
            data,
            values,
        };
        self.send(LEADER, from, d);
        self.handle_ready();
    }

    fn follower_answer(
        &mut self,
        id: i32,
        fetch_offset: i64,
        data: FetchedPartition,
        values: Vec<u64>,
    ) {
        let backoff = self.rng.below(3) as i64 * self.f.tick_ms;
        let now = self.now;
        let f = self.followers.get_mut(&id).unwrap();
        f.in_flight = false;
        f.next_fetch_at = now + backoff;
        match f.core.process_partition_data(fetch_offset, &data) {
            Ok(Some((first, last))) => {
                assert_eq!(first, f.log.len() as i64);
                assert_eq!(values.len() as i64, last - first + 1);
                f.log.extend(values);
                self.count("records copied", (last - first + 1) as u64);
            }
            Ok(None) => {}
            // Wait for the LeaderAndIsr that is on its way, and fetch again.
            Err(Error::FetchFailed { .. }) => {}
            Err(e) => panic!("follower {id}: {e}"),
        }
    }

    fn zookeeper(&mut self, op: ZkOp) {
        match op {
            ZkOp::UpdatePartitionState { data, version, .. } => {
                let answer = if version == self.zk_version {
                    self.zk_state = LeaderIsrAndControllerEpoch::decode(&data).unwrap();
                    self.zk_version += 1;
                    self.count("ISR changes", 1);
                    Some(self.zk_version)
                } else {
                    self.count("ISR writes refused by the version check", 1);
                    None
                };
                let d = Delivery::ZkAnswer {
                    written_version: version,
                    version: answer,
                };
                self.send(ZK, LEADER, d);
            }
            ZkOp::CreateIsrChangeNotification { .. } => self.notifications += 1,
        }
    }

    fn handle_ready(&mut self) {
        let ready = self.leader.ready();
        for op in ready.zk_ops {
            self.send(LEADER, ZK, Delivery::ZkWrite(op));
        }
        for r in ready.produce_responses {
            let (base, n) = self.waiting.remove(&r.id).expect("answered once");
            match r.error {
                ErrorCode::None => self.acknowledged(base, n),
                ErrorCode::RequestTimedOut => self.count("produces timed out", 1),
                ErrorCode::NotEnoughReplicasAfterAppend => {
                    assert!(self.partition().isr().len() < self.f.min_insync_replicas);
                    self.count("produces answered NOT_ENOUGH_REPLICAS_AFTER_APPEND", 1);
                }
                e => panic!("unexpected produce error {e:?}"),
            }
        }
    }

    fn consume(&mut self) {
        let request = FetchPartition {
            replica_id: -1,
            fetch_offset: self.consumer_position,
            current_leader_epoch: None,
        };
        let result = self.leader.fetch(&self.tp, &request, self.now);
        assert_eq!(result.error, ErrorCode::None);
        let hw = self.partition().high_watermark();
        assert!(
            result.read_up_to <= hw,
            "a consumer may read to {} above HW {hw}",
            result.read_up_to
        );
        self.count(
            "records consumed",
            (result.read_up_to - self.consumer_position) as u64,
        );
        self.consumer_position = result.read_up_to;
    }

    fn partition(&self) -> &lab12_replication::Partition {
        self.leader.partition(&self.tp).unwrap()
    }
}
