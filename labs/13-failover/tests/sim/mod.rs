//! A seeded simulation of failover: three brokers replicate one partition (replication factor
//! 3, `min.insync.replicas=2`); a simulated ZooKeeper holds the partition state znode; a
//! controller beside it runs lab 13's `offline_partition_leader_election` (lab 11's
//! `next_leader_and_isr`, plus unclean election when enabled) whenever a broker's session
//! comes or goes, and sends LeaderAndIsr. Each broker runs lab 12's `ReplicaManager` while it
//! leads and `FollowerPartition` while it follows, keeps an in-memory log of `(leader epoch,
//! value)` and a `LeaderEpochFileCache`, and a new follower truncates with
//! OffsetsForLeaderEpoch (steps 1–3). Faults: kill -9 and restart (the log survives, memory
//! does not), isolation (cut from the other brokers and from ZooKeeper: the session expires),
//! slow disks (the broker stalls), message delays (in order per link). A producer sends
//! `acks=all`, two consumers read below the high watermark. After the faults, everything heals
//! and the run settles; lab 13's `FailoverChecker` then compares what was acknowledged and
//! read with the ISR's logs. The same seed gives the same run.
//!
//! Files: `broker.rs` (one broker: disk, role, message handling), `clients.rs` (the producer,
//! the consumers, the end-state report), `faults.rs` (the dice and the knobs, including the
//! broken variants).

mod broker;
mod clients;
mod faults;

use std::collections::{BTreeMap, BTreeSet};

use lab11_controller::LeaderIsrAndControllerEpoch;
use lab12_replication::{
    ErrorCode, FetchPartition, FetchedPartition, LeaderAndIsrPartitionState, ReplicaConfig,
    TopicPartition, ZkOp,
};
use lab13_failover::election::offline_partition_leader_election;
use lab13_failover::failover_checker::{CheckReport, FailoverChecker};

use broker::{Broker, Role};
pub use faults::{Faults, Rng, Truncation};

const BROKERS: [i32; 3] = [1, 2, 3];
const ZK: i32 = 0;
const T0: i64 = 1_600_000_000_000;

pub(crate) enum Delivery {
    Fetch {
        from: i32,
        request: FetchPartition,
    },
    FetchAnswer {
        asked_epoch: i32,
        fetch_offset: i64,
        data: FetchedPartition,
        records: Vec<(i32, u64)>,
    },
    EpochQuery {
        from: i32,
        current_leader_epoch: i32,
        epoch: i32,
    },
    EpochAnswer {
        asked_epoch: i32,
        answer: (ErrorCode, i32, i64),
    },
    ZkWrite(ZkOp),
    ZkAnswer {
        written_version: i32,
        version: Option<i32>,
    },
    LeaderAndIsr(LeaderAndIsrPartitionState),
}

struct Message {
    from: i32,
    to: i32,
    /// The recipient's incarnation when it was sent: a restarted broker has new sockets.
    to_incarnation: u64,
    d: Delivery,
}

pub struct Sim {
    pub(crate) rng: Rng,
    pub(crate) f: Faults,
    pub(crate) now: i64,
    seq: u64,
    queue: BTreeMap<(i64, u64), Message>,
    last: BTreeMap<(i32, i32), i64>,
    pub(crate) tp: TopicPartition,
    pub(crate) config: ReplicaConfig,
    pub(crate) brokers: BTreeMap<i32, Broker>,
    /// The partition state znode and its version.
    zk_state: LeaderIsrAndControllerEpoch,
    zk_version: i32,
    /// Brokers with a live ZooKeeper session, as the controller sees them.
    registered: BTreeSet<i32>,
    /// Waiting `acks=all` produces: (broker, incarnation, id) → value.
    pub(crate) waiting: BTreeMap<(i32, u64, u64), u64>,
    next_value: u64,
    positions: [i64; 2],
    pub(crate) checker: FailoverChecker,
    pub stats: BTreeMap<&'static str, u64>,
}

impl Sim {
    pub fn new(seed: u64, f: Faults) -> Sim {
        let tp = TopicPartition::new("orders", 0);
        let config = ReplicaConfig {
            replica_lag_time_max_ms: f.lag_ms,
            min_insync_replicas: f.min_insync_replicas,
        };
        let mut sim = Sim {
            rng: Rng::new(seed),
            f,
            now: T0,
            seq: 0,
            queue: BTreeMap::new(),
            last: BTreeMap::new(),
            tp,
            config,
            brokers: BROKERS.iter().map(|&id| (id, Broker::new())).collect(),
            zk_state: LeaderIsrAndControllerEpoch {
                leader: 1,
                leader_epoch: 0,
                isr: BROKERS.to_vec(),
                controller_epoch: 1,
            },
            zk_version: 0,
            registered: BROKERS.iter().copied().collect(),
            waiting: BTreeMap::new(),
            next_value: 0,
            positions: [0, 0],
            checker: FailoverChecker::new(),
            stats: BTreeMap::new(),
        };
        // The controller created the topic: every replica gets the first LeaderAndIsr.
        for id in BROKERS {
            sim.send_leader_and_isr(id);
        }
        sim
    }

    pub(crate) fn count(&mut self, what: &'static str, n: u64) {
        *self.stats.entry(what).or_insert(0) += n;
    }

    /// Whether `id` is cut off (isolated) now.
    fn cut(&self, id: i32) -> bool {
        self.brokers
            .get(&id)
            .is_some_and(|b| b.isolated_until > self.now)
    }

    /// Queues `d` on link (from, to), after everything already on it.
    pub(crate) fn send(&mut self, from: i32, to: i32, d: Delivery) {
        let delay = self.rng.below(self.f.max_delay + 1) as i64 * self.f.tick_ms;
        let at = (self.now + delay).max(self.last.get(&(from, to)).copied().unwrap_or(0));
        self.last.insert((from, to), at);
        self.seq += 1;
        let to_incarnation = self.brokers.get(&to).map_or(0, |b| b.incarnation);
        let m = Message {
            from,
            to,
            to_incarnation,
            d,
        };
        self.queue.insert((at, self.seq), m);
    }

    /// Runs the schedule, heals, settles, and checks.
    pub fn run(&mut self) -> CheckReport {
        for _ in 0..self.f.ticks {
            self.faults();
            if self.rng.chance(self.f.produce) {
                self.produce();
            }
            self.step();
        }
        // Heal: every broker back, no cuts, no stalls; then settle (bounded).
        for id in BROKERS {
            let b = self.brokers.get_mut(&id).unwrap();
            b.isolated_until = b.isolated_until.min(self.now);
            b.slow_until = b.slow_until.min(self.now);
            if !b.alive {
                self.restart(id);
            }
            self.session_check(id);
        }
        for _ in 0..(20 * self.f.lag_ms / self.f.tick_ms + 2_000) {
            if self.settled() {
                break;
            }
            self.step();
        }
        if self.settled() {
            self.count("schedules settled", 1);
        }
        let logs: Vec<Vec<u64>> = self
            .zk_state
            .isr
            .iter()
            .map(|id| self.brokers[id].log.iter().map(|(_, v)| *v).collect())
            .collect();
        let refs: Vec<&[u64]> = logs.iter().map(Vec::as_slice).collect();
        let report = self.checker.check(&refs);
        self.count("acknowledged", report.acknowledged);
        self.count("read", report.read);
        self.count("lost", report.lost);
        self.count("changed", report.changed);
        self.count("duplicated", report.duplicated);
        self.count("nonmonotonic", report.nonmonotonic);
        report
    }

    fn settled(&self) -> bool {
        let leader = self.zk_state.leader;
        let Some(Role::Leader(rm)) = self.brokers.get(&leader).map(|b| &b.role) else {
            return false;
        };
        let Some(p) = rm.partition(&self.tp) else {
            return false;
        };
        let leo = self.brokers[&leader].log.len();
        self.zk_state.isr.len() == BROKERS.len()
            && p.high_watermark() == leo as i64
            && BROKERS.iter().all(|id| {
                let b = &self.brokers[id];
                b.log.len() == leo
                    && (*id == leader || matches!(&b.role, Role::Follower(f) if !f.truncating))
            })
    }

    /// One tick: deliver what is due, let brokers act, maybe consume.
    fn step(&mut self) {
        self.now += self.f.tick_ms;
        for id in BROKERS {
            self.session_check(id);
        }
        self.deliver();
        for id in BROKERS {
            self.broker_tick(id);
        }
        if self.rng.chance(self.f.consume) {
            let c = self.rng.below(2) as usize;
            self.consume(c);
        }
    }

    fn faults(&mut self) {
        let id = BROKERS[self.rng.below(3) as usize];
        let (alive, busy) = {
            let b = &self.brokers[&id];
            (
                b.alive,
                b.isolated_until > self.now || b.slow_until > self.now,
            )
        };
        if alive && !busy && self.rng.chance(self.f.kill) {
            self.kill(id);
        } else if !alive && self.rng.chance(self.f.restart) {
            self.restart(id);
        } else if alive && !busy && self.rng.chance(self.f.isolate) {
            let ticks = 1 + self.rng.below(self.f.max_fault_ticks) as i64;
            self.brokers.get_mut(&id).unwrap().isolated_until = self.now + ticks * self.f.tick_ms;
            self.count("isolations", 1);
        } else if alive && !busy && self.rng.chance(self.f.slow_disk) {
            let ticks = 1 + self.rng.below(self.f.max_fault_ticks) as i64;
            self.brokers.get_mut(&id).unwrap().slow_until = self.now + ticks * self.f.tick_ms;
            self.count("slow disks", 1);
        }
    }

    fn kill(&mut self, id: i32) {
        self.brokers.get_mut(&id).unwrap().kill();
        self.count("kills", 1);
        self.session_check(id);
    }

    fn restart(&mut self, id: i32) {
        self.brokers.get_mut(&id).unwrap().restart();
        self.count("restarts", 1);
        self.session_check(id);
    }

    /// The controller's view: a broker has a session while it is alive and not cut off.
    /// A change runs the election; a broker that (re)registers gets the partition's state.
    fn session_check(&mut self, id: i32) {
        let has_session = self.brokers[&id].alive && !self.cut(id);
        if has_session == self.registered.contains(&id) {
            return;
        }
        if has_session {
            self.registered.insert(id);
        } else {
            self.registered.remove(&id);
        }
        let live = self.registered.clone();
        let election = offline_partition_leader_election(
            &self.zk_state,
            &BROKERS,
            &live,
            self.f.unclean_leader_election,
        );
        if let Some(e) = election {
            if e.unclean {
                self.count("unclean elections", 1);
            }
            if e.leader != self.zk_state.leader {
                self.count("leader changes", 1);
            }
            self.zk_state = e.next_state(&self.zk_state, 1);
            self.zk_version += 1;
            for b in live.clone() {
                self.send_leader_and_isr(b);
            }
        } else if has_session {
            // `onBrokerStartup`: the returning broker learns the partition's state.
            self.send_leader_and_isr(id);
        }
    }

    fn send_leader_and_isr(&mut self, to: i32) {
        let state = LeaderAndIsrPartitionState {
            partition_index: 0,
            controller_epoch: 1,
            leader: self.zk_state.leader,
            leader_epoch: self.zk_state.leader_epoch,
            isr: self.zk_state.isr.clone(),
            zk_version: self.zk_version,
            replicas: BROKERS.to_vec(),
            adding_replicas: vec![],
            removing_replicas: vec![],
            is_new: false,
        };
        self.send(ZK, to, Delivery::LeaderAndIsr(state));
    }

    fn deliver(&mut self) {
        // Bounded: each message is handled once, or deferred once per stall of its broker.
        let mut budget = 100_000;
        while let Some(entry) = self.queue.first_entry() {
            budget -= 1;
            assert!(budget > 0, "the message queue does not drain");
            if entry.key().0 > self.now {
                break;
            }
            let m = entry.remove();
            if self.cut(m.from) || self.cut(m.to) {
                self.count("messages lost to a cut", 1);
                continue;
            }
            if m.to == ZK {
                if let Delivery::ZkWrite(op) = m.d {
                    self.zookeeper(m.from, op);
                }
                continue;
            }
            let b = &self.brokers[&m.to];
            if !b.alive || b.incarnation != m.to_incarnation {
                continue;
            }
            if b.slow_until > self.now {
                let resume = b.slow_until;
                self.seq += 1;
                self.queue.insert((resume, self.seq), m);
                continue;
            }
            self.handle(m.from, m.to, m.d);
        }
    }

    fn zookeeper(&mut self, from: i32, op: ZkOp) {
        match op {
            ZkOp::UpdatePartitionState { data, version, .. } => {
                let answer = if version == self.zk_version {
                    self.zk_state = LeaderIsrAndControllerEpoch::decode(&data).unwrap();
                    self.zk_version += 1;
                    self.count("ISR changes by leaders", 1);
                    Some(self.zk_version)
                } else {
                    self.count("ISR writes refused by the version check", 1);
                    None
                };
                let d = Delivery::ZkAnswer {
                    written_version: version,
                    version: answer,
                };
                self.send(ZK, from, d);
            }
            ZkOp::CreateIsrChangeNotification { .. } => self.count("ISR change notifications", 1),
        }
    }
}
