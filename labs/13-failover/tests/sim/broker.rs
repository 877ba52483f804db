//! One simulated broker: its disk (the log and the leader epoch cache, which survive a kill),
//! its memory (the role: lab 12's `ReplicaManager` as leader, `FollowerPartition` as follower)
//! and how it handles each message.

use lab12_replication::{
    Error, ErrorCode, FetchPartition, FetchedPartition, FollowerPartition,
    LeaderAndIsrPartitionState, ReplicaManager,
};
use lab13_failover::fetcher_truncation::{
    epoch_to_ask, offset_truncation_state, LeaderEpochAnswer,
};
use lab13_failover::last_offset_for_leader_epoch::{
    last_offset_for_leader_epoch, LocalReplicaState,
};
use lab13_failover::LeaderEpochFileCache;

use super::{Delivery, Sim, Truncation, ZK};

/// How long a follower waits for an answer before it gives up on a request.
const REQUEST_TIMEOUT_TICKS: i64 = 10;

pub enum Role {
    /// Just started, or told the partition has no leader.
    None,
    Leader(ReplicaManager),
    Follower(Follower),
}

pub struct Follower {
    pub core: FollowerPartition,
    pub state: LeaderAndIsrPartitionState,
    /// A new leader: cut the log before fetching.
    pub truncating: bool,
    /// A request is out until this time (`replica.fetch.wait` plus `request.timeout.ms`, scaled):
    /// a request lost to a cut is given up then, as a real fetcher's request times out.
    pub in_flight_until: i64,
    pub next_at: i64,
}

pub struct Broker {
    pub alive: bool,
    pub incarnation: u64,
    pub isolated_until: i64,
    pub slow_until: i64,
    // On disk:
    pub log: Vec<(i32, u64)>,
    pub cache: LeaderEpochFileCache,
    pub hw_checkpoint: i64,
    // In memory:
    pub role: Role,
    pub known_epoch: i32,
}

impl Broker {
    pub fn new() -> Broker {
        Broker {
            alive: true,
            incarnation: 1,
            isolated_until: 0,
            slow_until: 0,
            log: Vec::new(),
            cache: LeaderEpochFileCache::new(),
            hw_checkpoint: 0,
            role: Role::None,
            known_epoch: -1,
        }
    }

    pub fn kill(&mut self) {
        self.alive = false;
        self.role = Role::None;
        self.known_epoch = -1;
        self.slow_until = 0;
        self.isolated_until = 0;
    }

    pub fn restart(&mut self) {
        self.alive = true;
        self.incarnation += 1;
    }

    /// Appends one record of `epoch`, recording a new epoch in the cache (`Log.append` →
    /// `leaderEpochCache.assign`).
    pub fn append(&mut self, epoch: i32, value: u64) {
        let offset = self.log.len() as i64;
        self.log.push((epoch, value));
        self.cache.assign(epoch, offset).unwrap();
    }

    /// Cuts the log to end at `offset` (`Log.truncateTo` → `truncateFromEnd`).
    fn truncate(&mut self, offset: i64) -> u64 {
        let offset = offset.max(0) as usize;
        let removed = self.log.len().saturating_sub(offset) as u64;
        self.log.truncate(offset);
        self.cache.truncate_from_end(offset as i64);
        self.hw_checkpoint = self.hw_checkpoint.min(offset as i64);
        removed
    }
}

impl Sim {
    /// Drains a leader's `Ready`: ZooKeeper writes go out, `acks=all` answers go to the
    /// producer (and to the checker when they are successes).
    pub(crate) fn broker_ready(&mut self, id: i32) {
        let b = self.brokers.get_mut(&id).unwrap();
        let incarnation = b.incarnation;
        let Role::Leader(rm) = &mut b.role else {
            return;
        };
        let ready = rm.ready();
        if let Some(p) = rm.partition(&self.tp) {
            b.hw_checkpoint = p.high_watermark();
        }
        for op in ready.zk_ops {
            self.send(id, ZK, Delivery::ZkWrite(op));
        }
        for r in ready.produce_responses {
            let value = self
                .waiting
                .remove(&(id, incarnation, r.id))
                .expect("answered once");
            match r.error {
                ErrorCode::None => {
                    self.checker.acknowledged(value, r.base_offset);
                    self.count("acks", 1);
                }
                ErrorCode::RequestTimedOut => self.count("produces timed out", 1),
                ErrorCode::NotEnoughReplicasAfterAppend => {
                    self.count("produces answered NOT_ENOUGH_REPLICAS_AFTER_APPEND", 1)
                }
                e => panic!("unexpected produce error {e:?}"),
            }
        }
    }

    /// What a broker does on its own each tick: a leader runs its timers; a follower truncates
    /// or fetches.
    pub(crate) fn broker_tick(&mut self, id: i32) {
        let now = self.now;
        let truncation = self.f.truncation;
        let b = self.brokers.get_mut(&id).unwrap();
        if !b.alive || b.slow_until > now {
            return;
        }
        match &mut b.role {
            Role::None => {}
            Role::Leader(rm) => {
                rm.tick(now);
                self.broker_ready(id);
            }
            Role::Follower(f) => {
                if f.in_flight_until > now || f.next_at > now {
                    return;
                }
                let leader = f.state.leader;
                if !f.truncating {
                    let request = f.core.build_fetch();
                    f.in_flight_until = now + REQUEST_TIMEOUT_TICKS * self.f.tick_ms;
                    self.send(id, leader, Delivery::Fetch { from: id, request });
                    return;
                }
                let ask = epoch_to_ask(&b.cache);
                match (truncation, ask) {
                    (Truncation::LeaderEpoch, Some(epoch)) => {
                        f.in_flight_until = now + REQUEST_TIMEOUT_TICKS * self.f.tick_ms;
                        let current_leader_epoch = f.state.leader_epoch;
                        let d = Delivery::EpochQuery {
                            from: id,
                            current_leader_epoch,
                            epoch,
                        };
                        self.send(id, leader, d);
                    }
                    (Truncation::KeepLogEnd, _) => f.truncating = false,
                    // No epochs, or the old rule: the high watermark.
                    _ => {
                        let hw = f.core.high_watermark();
                        self.finish_truncation(id, hw, true);
                    }
                }
            }
        }
    }

    /// Cuts follower `id`'s log at `offset` and restarts its fetch state there.
    fn finish_truncation(&mut self, id: i32, offset: i64, completed: bool) {
        let b = self.brokers.get_mut(&id).unwrap();
        let offset = offset.min(b.log.len() as i64);
        let removed = b.truncate(offset);
        let hw = b.hw_checkpoint;
        let Role::Follower(f) = &mut b.role else {
            return;
        };
        f.core = FollowerPartition::new(self.tp.clone(), id, &f.state, offset, hw).unwrap();
        f.truncating = !completed;
        self.count("records truncated", removed);
    }

    pub(crate) fn handle(&mut self, from: i32, to: i32, d: Delivery) {
        let now = self.now;
        match d {
            Delivery::LeaderAndIsr(state) => self.leader_and_isr(to, state),
            Delivery::Fetch { from, request } => self.leader_fetch(to, from, request),
            Delivery::EpochQuery {
                from,
                current_leader_epoch,
                epoch,
            } => {
                let b = &self.brokers[&to];
                let (is_leader, leader_epoch) = match &b.role {
                    Role::Leader(rm) => (true, rm.partition(&self.tp).unwrap().leader_epoch()),
                    _ => (false, b.known_epoch),
                };
                let local = LocalReplicaState {
                    is_leader,
                    leader_epoch,
                    cache: &b.cache,
                    log_end_offset: b.log.len() as i64,
                };
                let answer =
                    last_offset_for_leader_epoch(&local, Some(current_leader_epoch), epoch);
                let d = Delivery::EpochAnswer {
                    asked_epoch: current_leader_epoch,
                    answer,
                };
                self.send(to, from, d);
            }
            Delivery::EpochAnswer {
                asked_epoch,
                answer: (error, leader_epoch, end_offset),
            } => {
                let backoff = (1 + self.rng.below(3) as i64) * self.f.tick_ms;
                let b = self.brokers.get_mut(&to).unwrap();
                let Role::Follower(f) = &mut b.role else {
                    return;
                };
                if f.state.leader_epoch != asked_epoch || !f.truncating {
                    return;
                }
                f.in_flight_until = 0;
                let answer = LeaderEpochAnswer::EndOffset {
                    error,
                    leader_epoch,
                    end_offset,
                };
                let leo = b.log.len() as i64;
                match offset_truncation_state(answer, &b.cache, leo, f.core.high_watermark()) {
                    None => f.next_at = now + backoff,
                    Some(st) => self.finish_truncation(to, st.offset, st.truncation_completed),
                }
            }
            Delivery::FetchAnswer {
                asked_epoch,
                fetch_offset,
                data,
                records,
            } => self.follower_answer(to, asked_epoch, fetch_offset, data, records),
            Delivery::ZkAnswer {
                written_version,
                version,
            } => {
                let tp = self.tp.clone();
                if let Role::Leader(rm) = &mut self.brokers.get_mut(&to).unwrap().role {
                    let _ = rm.on_partition_state_written(&tp, written_version, version, now);
                }
                self.broker_ready(to);
            }
            Delivery::ZkWrite(_) => unreachable!("ZooKeeper's messages are handled apart ({from})"),
        }
    }

    fn leader_and_isr(&mut self, id: i32, state: LeaderAndIsrPartitionState) {
        let (tp, now, config) = (self.tp.clone(), self.now, self.config);
        let b = self.brokers.get_mut(&id).unwrap();
        if state.leader_epoch <= b.known_epoch {
            return;
        }
        b.known_epoch = state.leader_epoch;
        let leo = b.log.len() as i64;
        if state.leader == id {
            if !matches!(b.role, Role::Leader(_)) {
                b.role = Role::Leader(ReplicaManager::new(id, config, now));
            }
            let hw = b.hw_checkpoint;
            if let Role::Leader(rm) = &mut b.role {
                rm.become_leader(&tp, &state, leo, hw, now).unwrap();
            }
            // `makeLeader`: the new epoch starts at the log end (`maybeAssignEpochStartOffset`).
            b.cache.assign(state.leader_epoch, leo).unwrap();
            self.broker_ready(id);
        } else if state.leader >= 0 {
            let core = FollowerPartition::new(tp, id, &state, leo, b.hw_checkpoint).unwrap();
            b.role = Role::Follower(super::broker::Follower {
                core,
                state,
                truncating: true,
                in_flight_until: 0,
                next_at: now,
            });
        } else {
            b.role = Role::None;
        }
    }

    fn leader_fetch(&mut self, id: i32, from: i32, request: FetchPartition) {
        let (tp, now) = (self.tp.clone(), self.now);
        let cap = 1 + self.rng.below(8) as i64;
        let b = self.brokers.get_mut(&id).unwrap();
        let asked_epoch = request.current_leader_epoch.unwrap_or(-1);
        let (data, records) = match &mut b.role {
            Role::Leader(rm) => {
                let result = rm.fetch(&tp, &request, now);
                let mut records = Vec::new();
                if result.error == ErrorCode::None {
                    let end = result.read_up_to.min(request.fetch_offset + cap);
                    records = b.log[request.fetch_offset as usize..end as usize].to_vec();
                }
                let last = request.fetch_offset + records.len() as i64 - 1;
                let data = FetchedPartition {
                    error: result.error,
                    high_watermark: result.high_watermark,
                    records: (!records.is_empty()).then_some((request.fetch_offset, last)),
                };
                (data, records)
            }
            _ => {
                let data = FetchedPartition {
                    error: ErrorCode::NotLeaderOrFollower,
                    high_watermark: -1,
                    records: None,
                };
                (data, Vec::new())
            }
        };
        let d = Delivery::FetchAnswer {
            asked_epoch,
            fetch_offset: request.fetch_offset,
            data,
            records,
        };
        self.send(id, from, d);
        self.broker_ready(id);
    }

    fn follower_answer(
        &mut self,
        id: i32,
        asked_epoch: i32,
        fetch_offset: i64,
        data: FetchedPartition,
        records: Vec<(i32, u64)>,
    ) {
        let backoff = self.rng.below(3) as i64 * self.f.tick_ms;
        let now = self.now;
        let b = self.brokers.get_mut(&id).unwrap();
        let Role::Follower(f) = &mut b.role else {
            return;
        };
        if f.state.leader_epoch != asked_epoch || f.truncating {
            return;
        }
        f.in_flight_until = 0;
        f.next_at = now + backoff;
        match f.core.process_partition_data(fetch_offset, &data) {
            Ok(Some((first, last))) => {
                let hw = f.core.high_watermark();
                assert_eq!(first, b.log.len() as i64);
                assert_eq!(records.len() as i64, last - first + 1);
                for (epoch, value) in records {
                    b.append(epoch, value);
                }
                b.hw_checkpoint = hw;
                self.count("records copied", (last - first + 1) as u64);
            }
            Ok(None) => {
                b.hw_checkpoint = f.core.high_watermark();
            }
            Err(Error::FetchFailed { error, .. }) => {
                if error == ErrorCode::OffsetOutOfRange {
                    self.count("follower fetches out of range", 1);
                }
            }
            Err(_) => self.count("stale fetch answers", 1),
        }
    }
}
