//! A seeded simulation of a Kafka cluster's control plane: a simulated ZooKeeper (a tree of
//! znodes, ephemerals tied to sessions, watches that fire, sessions that expire) and N brokers,
//! each with its controller core and its `BrokerView`, joined by connections that delay
//! messages but keep their order (TCP). The same seed gives the same run.
//!
//! A schedule mixes admin work (topics created with Kafka's assignment, topics deleted) with
//! faults: a broker crashes (its session expires a little later), a crashed broker restarts,
//! a live broker's session expires under it (a GC pause: the usual way a controller is lost).
//!
//! Checked all along: exactly one broker wins each controller epoch. Checked after quiescence:
//! one live controller, named by `/controller`, with the epoch of `/controller_epoch`; every
//! partition state znode agrees with what every live replica (LeaderAndIsr) and every live
//! broker's metadata (UpdateMetadata) was last told, and with the controller's memory; no
//! partition is led by a dead broker, and a leaderless one has no live in-sync replica;
//! partitions and deletions wait only for dead brokers.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use lab11_controller::zk_data::{encode_controller_epoch, paths, ControllerZNode, NO_LEADER};
use lab11_controller::{
    assign_replicas_to_brokers, AssignmentStart, BrokerInfo, BrokerView, ClusterSnapshot,
    Controller, ControllerEvent, ControllerRequest, ControllerResponse, EndPoint,
    LeaderIsrAndControllerEpoch, PartitionStateZNode, TopicAssignment, TopicConfig, TopicPartition,
    ZkOp,
};

mod zookeeper;

use zookeeper::{SimZk, Watch, ZkError};

/// The shared dice (SplitMix64, seeded).
pub use kafkalab_testkit::sim::Rng;

/// How busy and how hostile a run is (chances per tick, in per mille).
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    pub brokers: i32,
    pub fault_ticks: u64,
    pub create_topic: u64,
    pub delete_topic: u64,
    pub crash: u64,
    pub restart: u64,
    pub expire_session: u64,
    /// A message or a watch takes 0..=max_delay ticks (in order per connection).
    pub max_delay: u64,
    /// A crashed broker's session lives on 0..=max_session_timeout ticks.
    pub max_session_timeout: u64,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            brokers: 3,
            fault_ticks: 60,
            create_topic: 120,
            delete_topic: 40,
            crash: 50,
            restart: 120,
            expire_session: 40,
            max_delay: 4,
            max_session_timeout: 6,
        }
    }
}

// ---------------------------------------------------------------- brokers and the network

struct SimBroker {
    alive: bool,
    /// Bumped at every restart: messages for an earlier life are lost with its sockets.
    life: u64,
    session: Option<u64>,
    core: Controller,
    view: BrokerView,
}

enum Delivery {
    Notify {
        broker: i32,
        session: u64,
        watch: Watch,
    },
    Request {
        from: i32,
        from_life: u64,
        to: i32,
        to_life: u64,
        request: ControllerRequest,
    },
    Response {
        to: i32,
        to_life: u64,
        epoch: i32,
        from: i32,
        response: ControllerResponse,
    },
    /// A crashed broker's session ends in ZooKeeper.
    SessionTimeout { broker: i32, session: u64 },
    /// A live broker hears that its session expired.
    SessionExpiredNotice { broker: i32, life: u64 },
}

pub struct Sim {
    rng: Rng,
    f: Faults,
    now: u64,
    seq: u64,
    zk: SimZk,
    brokers: BTreeMap<i32, SimBroker>,
    queue: BTreeMap<(u64, u64), Delivery>,
    /// Per connection (from, to; 0 is ZooKeeper), the last delivery time: nothing overtakes.
    last: BTreeMap<(i32, i32), u64>,
    /// Controller epoch → the broker that won it.
    pub elections: BTreeMap<i32, i32>,
    next_topic: u32,
    pub stats: BTreeMap<&'static str, u64>,
}

impl Sim {
    pub fn new(seed: u64, f: Faults) -> Sim {
        let mut sim = Sim {
            rng: Rng::new(seed),
            f,
            now: 0,
            seq: 0,
            zk: SimZk::default(),
            brokers: BTreeMap::new(),
            queue: BTreeMap::new(),
            last: BTreeMap::new(),
            elections: BTreeMap::new(),
            next_topic: 0,
            stats: BTreeMap::new(),
        };
        // What the first broker's startup makes sure exists (`makeSurePersistentPathExists`).
        for p in [
            paths::BROKER_IDS,
            paths::TOPICS,
            paths::DELETE_TOPICS,
            paths::CONFIG_TOPICS,
        ] {
            sim.zk.create(p, Vec::new(), None).unwrap();
        }
        sim.zk.fired.clear();
        for id in 1..=f.brokers {
            sim.brokers.insert(
                id,
                SimBroker {
                    alive: false,
                    life: 0,
                    session: None,
                    core: Controller::new(id),
                    view: BrokerView::new(id, 0),
                },
            );
        }
        for id in 1..=f.brokers {
            sim.start(id);
        }
        sim
    }

    fn count(&mut self, what: &'static str) {
        *self.stats.entry(what).or_insert(0) += 1;
    }

    /// Queues `d` on connection (from, to), after everything already on it.
    fn send(&mut self, from: i32, to: i32, d: Delivery) {
        let delay = self.rng.below(self.f.max_delay + 1);
        let key = (from, to);
        let at = (self.now + delay).max(self.last.get(&key).copied().unwrap_or(0));
        self.last.insert(key, at);
        self.seq += 1;
        self.queue.insert((at, self.seq), d);
    }

    /// Tells every live session about the watches the last ZooKeeper changes fired.
    fn notify_watchers(&mut self) {
        let fired = std::mem::take(&mut self.zk.fired);
        if fired.is_empty() {
            return;
        }
        let sessions: Vec<(i32, u64)> = self
            .brokers
            .iter()
            .filter_map(|(id, b)| {
                b.session
                    .filter(|s| b.alive && self.zk.sessions.contains(s))
                    .map(|s| (*id, s))
            })
            .collect();
        for (broker, session) in sessions {
            for &watch in &fired {
                self.send(
                    0,
                    broker,
                    Delivery::Notify {
                        broker,
                        session,
                        watch,
                    },
                );
            }
        }
    }

    fn broker_info(id: i32, now: u64) -> BrokerInfo {
        BrokerInfo {
            id,
            endpoints: vec![EndPoint {
                listener_name: "PLAINTEXT".into(),
                host: format!("kafka0{id}"),
                port: 9092,
                security_protocol: "PLAINTEXT".into(),
            }],
            rack: None,
            jmx_port: -1,
            timestamp_ms: now as i64,
            version: 4,
        }
    }

    /// Registers broker `id` under a new session; returns its broker epoch (the czxid).
    fn register(&mut self, id: i32) -> i64 {
        let session = self.zk.open_session();
        let data = Self::broker_info(id, self.now).encode();
        let czxid = self
            .zk
            .create(&paths::broker_id(id), data, Some(session))
            .expect("a broker registers only once its previous session is gone");
        self.brokers.get_mut(&id).unwrap().session = Some(session);
        czxid
    }

    /// A broker process starts: registration, then the controller's startup (`elect`).
    fn start(&mut self, id: i32) {
        let epoch = self.register(id);
        let b = self.brokers.get_mut(&id).unwrap();
        b.alive = true;
        b.life += 1;
        b.core = Controller::new(id);
        b.view = BrokerView::new(id, epoch);
        self.notify_watchers();
        let event = self.zk.event(Watch::Controller);
        self.step(id, event);
    }

    fn crash(&mut self, id: i32) {
        self.count("crashes");
        let b = self.brokers.get_mut(&id).unwrap();
        b.alive = false;
        if let Some(session) = b.session {
            let delay = self.rng.below(self.f.max_session_timeout + 1);
            self.seq += 1;
            self.queue.insert(
                (self.now + delay, self.seq),
                Delivery::SessionTimeout {
                    broker: id,
                    session,
                },
            );
        }
    }

    /// Steps broker `id`'s core and carries out its Ready until it has nothing more to do.
    fn step(&mut self, id: i32, event: ControllerEvent) {
        let mut pending = vec![event];
        while !pending.is_empty() {
            for event in std::mem::take(&mut pending) {
                self.brokers.get_mut(&id).unwrap().core.step(event);
            }
            let ready = self.brokers.get_mut(&id).unwrap().core.ready();
            let mut failed = false;
            for op in ready.zk_ops {
                match self.apply(id, op) {
                    Ok(Some(answer)) => pending.push(answer),
                    Ok(None) => {}
                    Err(e) => {
                        self.count("zookeeper writes refused");
                        pending.push(match e {
                            ZkError::SessionExpired => ControllerEvent::SessionExpired,
                            e => ControllerEvent::ZkOpFailed {
                                path: String::new(),
                                reason: format!("{e:?}"),
                            },
                        });
                        failed = true;
                        break;
                    }
                }
            }
            self.notify_watchers();
            if failed {
                continue;
            }
            let from_life = self.brokers[&id].life;
            for r in ready.requests {
                let Some(to) = self.brokers.get(&r.broker_id) else {
                    panic!("request for unknown broker {}", r.broker_id)
                };
                if !to.alive {
                    continue;
                }
                let to_life = to.life;
                self.count("requests sent");
                self.send(
                    id,
                    r.broker_id,
                    Delivery::Request {
                        from: id,
                        from_life,
                        to: r.broker_id,
                        to_life,
                        request: r.request,
                    },
                );
            }
        }
    }

    /// Runs one ZooKeeper operation for broker `id`'s session.
    fn apply(&mut self, id: i32, op: ZkOp) -> Result<Option<ControllerEvent>, ZkError> {
        let session = self.brokers[&id]
            .session
            .filter(|s| self.zk.sessions.contains(s));
        let Some(session) = session else {
            return Err(ZkError::SessionExpired);
        };
        let guard = |zk: &SimZk, v: i32| -> Result<(), ZkError> {
            match zk.controller_epoch() {
                Some((_, version)) if version == v => Ok(()),
                _ => Err(ZkError::BadVersion),
            }
        };
        match op {
            ZkOp::RegisterController {
                broker_id,
                epoch,
                epoch_zk_version,
            } => {
                assert_eq!(broker_id, id);
                if let Some(current) = self.zk.controller_id() {
                    return Ok(Some(ControllerEvent::ControllerRegistrationFailed {
                        controller_id: Some(current),
                    }));
                }
                // The multi: the epoch check and both writes, all or nothing.
                let fits = match (self.zk.controller_epoch(), epoch_zk_version) {
                    (Some((_, v)), Some(expected)) => v == expected,
                    (None, None) => true,
                    _ => false,
                };
                if !fits {
                    return Ok(Some(ControllerEvent::ControllerRegistrationFailed {
                        controller_id: None,
                    }));
                }
                let new_version = match epoch_zk_version {
                    Some(v) => {
                        self.zk
                            .set(paths::CONTROLLER_EPOCH, encode_controller_epoch(epoch), v)?
                    }
                    None => {
                        self.zk.create(
                            paths::CONTROLLER_EPOCH,
                            encode_controller_epoch(epoch),
                            None,
                        )?;
                        0
                    }
                };
                let me = ControllerZNode {
                    broker_id,
                    timestamp_ms: self.now as i64,
                };
                self.zk
                    .create(paths::CONTROLLER, me.encode(), Some(session))?;
                // Epochs only grow, and each is won once.
                if let Some((&last, &by)) = self.elections.iter().next_back() {
                    assert!(
                        epoch > last,
                        "broker {id} won epoch {epoch} after broker {by} had won epoch {last}"
                    );
                }
                self.elections.insert(epoch, id);
                self.count("controller elections");
                Ok(Some(ControllerEvent::ControllerRegistered {
                    epoch,
                    epoch_zk_version: new_version,
                }))
            }
            ZkOp::LoadCluster => Ok(Some(ControllerEvent::ClusterLoaded(ClusterSnapshot {
                brokers: self.zk.brokers(),
                topics: self.zk.topics(),
                partition_states: self.zk.partition_states(),
                topics_to_delete: self.zk.topics_to_delete(),
            }))),
            ZkOp::Create {
                path,
                data,
                controller_epoch_zk_version,
            } => {
                guard(&self.zk, controller_epoch_zk_version)?;
                self.zk.create(&path, data, None)?;
                Ok(None)
            }
            ZkOp::SetData {
                path,
                data,
                version,
                controller_epoch_zk_version,
            } => {
                guard(&self.zk, controller_epoch_zk_version)?;
                self.zk.set(&path, data, version)?;
                Ok(None)
            }
            ZkOp::DeleteRecursive {
                path,
                controller_epoch_zk_version,
            } => {
                guard(&self.zk, controller_epoch_zk_version)?;
                self.zk.delete_recursive(&path);
                Ok(None)
            }
        }
    }

    fn deliver(&mut self, d: Delivery) {
        match d {
            Delivery::Notify {
                broker,
                session,
                watch,
            } => {
                let b = &self.brokers[&broker];
                if b.alive && b.session == Some(session) && self.zk.sessions.contains(&session) {
                    let event = self.zk.event(watch);
                    self.step(broker, event);
                }
            }
            Delivery::Request {
                from,
                from_life,
                to,
                to_life,
                request,
            } => {
                let b = self.brokers.get_mut(&to).unwrap();
                if !b.alive || b.life != to_life {
                    return;
                }
                let epoch = request.controller_epoch();
                let response = match &request {
                    ControllerRequest::LeaderAndIsr(r) => {
                        ControllerResponse::LeaderAndIsr(b.view.handle_leader_and_isr(r))
                    }
                    ControllerRequest::UpdateMetadata(r) => {
                        ControllerResponse::UpdateMetadata(b.view.handle_update_metadata(r))
                    }
                    ControllerRequest::StopReplica(r) => {
                        ControllerResponse::StopReplica(b.view.handle_stop_replica(r))
                    }
                };
                let refused = match &response {
                    ControllerResponse::LeaderAndIsr(r) => r.error_code != 0,
                    ControllerResponse::UpdateMetadata(r) => r.error_code != 0,
                    ControllerResponse::StopReplica(r) => r.error_code != 0,
                };
                if refused {
                    self.count("stale requests refused");
                }
                self.send(
                    to,
                    from,
                    Delivery::Response {
                        to: from,
                        to_life: from_life,
                        epoch,
                        from: to,
                        response,
                    },
                );
            }
            Delivery::Response {
                to,
                to_life,
                epoch,
                from,
                response,
            } => {
                let b = &self.brokers[&to];
                // A resigned controller closed its connections: the answer is lost.
                if b.alive && b.life == to_life && b.core.is_active() && b.core.epoch() == epoch {
                    self.step(
                        to,
                        ControllerEvent::BrokerResponse {
                            broker_id: from,
                            response,
                        },
                    );
                }
            }
            Delivery::SessionTimeout { broker, session } => {
                self.zk.expire(session);
                let b = self.brokers.get_mut(&broker).unwrap();
                if b.session == Some(session) {
                    b.session = None;
                }
                self.notify_watchers();
            }
            Delivery::SessionExpiredNotice { broker, life } => {
                let b = &self.brokers[&broker];
                if !b.alive || b.life != life {
                    return;
                }
                self.step(broker, ControllerEvent::SessionExpired);
                // Kafka's `RegisterBrokerAndReelect`: a new session, a new registration (and so
                // a new broker epoch), then an election if there is no controller.
                let epoch = self.register(broker);
                self.brokers.get_mut(&broker).unwrap().view.broker_epoch = epoch;
                self.notify_watchers();
                let event = self.zk.event(Watch::Controller);
                self.step(broker, event);
            }
        }
    }

    /// Delivers everything due by now.
    fn run_due(&mut self) {
        while let Some((&(at, seq), _)) = self.queue.iter().next() {
            if at > self.now {
                break;
            }
            let d = self.queue.remove(&(at, seq)).unwrap();
            self.deliver(d);
        }
    }

    fn live_ids(&self) -> Vec<i32> {
        self.brokers
            .iter()
            .filter(|(_, b)| b.alive)
            .map(|(id, _)| *id)
            .collect()
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> Option<T> {
        if from.is_empty() {
            None
        } else {
            Some(from[self.rng.below(from.len() as u64) as usize])
        }
    }

    /// An admin creates a topic as `kafka-topics --create` does: config, then assignment.
    fn create_topic(&mut self) {
        let registered: Vec<i32> = self.zk.brokers().keys().copied().collect();
        if registered.is_empty() {
            return;
        }
        let partitions = 1 + self.rng.below(3) as i32;
        let rf = 1 + self.rng.below(registered.len().min(3) as u64) as i32;
        let start = AssignmentStart {
            start_index: self.rng.below(registered.len() as u64) as usize,
            replica_shift: self.rng.below(registered.len() as u64) as usize,
        };
        let partitions = assign_replicas_to_brokers(&registered, partitions, rf, start, 0).unwrap();
        let topic = format!("t{}", self.next_topic);
        self.next_topic += 1;
        self.zk
            .create(
                &paths::config_topic(&topic),
                TopicConfig::default().encode(),
                None,
            )
            .unwrap();
        let a = TopicAssignment {
            partitions,
            ..TopicAssignment::default()
        };
        self.zk
            .create(&paths::topic(&topic), a.encode(), None)
            .unwrap();
        self.count("topics created");
        self.notify_watchers();
    }

    /// An admin asks for a deletion (`kafka-topics --delete`).
    fn delete_topic(&mut self) {
        let asked = self.zk.topics_to_delete();
        let topics: Vec<String> = self
            .zk
            .topics()
            .into_keys()
            .filter(|t| !asked.contains(t))
            .collect();
        if topics.is_empty() {
            return;
        }
        let t = topics[self.rng.below(topics.len() as u64) as usize].clone();
        self.zk
            .create(&paths::delete_topic(&t), Vec::new(), None)
            .unwrap();
        self.count("topic deletions asked");
        self.notify_watchers();
    }

    /// The session of a live broker expires under it (a long pause): ZooKeeper drops its
    /// ephemerals now; the broker hears of it a little later.
    fn expire_session(&mut self) {
        let live = self.live_ids();
        // Half the time the controller: losing it is the interesting case.
        let controller = self.zk.controller_id().filter(|id| self.brokers[id].alive);
        let id = match controller {
            Some(c) if self.rng.chance(500) => Some(c),
            _ => self.pick(&live),
        };
        let Some(id) = id else { return };
        let Some(session) = self.brokers[&id]
            .session
            .filter(|s| self.zk.sessions.contains(s))
        else {
            return;
        };
        self.count("sessions expired");
        self.zk.expire(session);
        self.notify_watchers();
        let life = self.brokers[&id].life;
        let delay = self.rng.below(self.f.max_delay + 1);
        self.seq += 1;
        self.queue.insert(
            (self.now + delay, self.seq),
            Delivery::SessionExpiredNotice { broker: id, life },
        );
    }

    fn fault_tick(&mut self) {
        if self.rng.chance(self.f.create_topic) {
            self.create_topic();
        }
        if self.rng.chance(self.f.delete_topic) {
            self.delete_topic();
        }
        if self.rng.chance(self.f.crash) {
            let live = self.live_ids();
            if let Some(id) = self.pick(&live) {
                self.crash(id);
            }
        }
        if self.rng.chance(self.f.restart) {
            let down: Vec<i32> = self
                .brokers
                .iter()
                .filter(|(_, b)| !b.alive && b.session.is_none())
                .map(|(id, _)| *id)
                .collect();
            if let Some(id) = self.pick(&down) {
                self.count("restarts");
                self.start(id);
            }
        }
        if self.rng.chance(self.f.expire_session) {
            self.expire_session();
        }
    }

    /// Runs until nothing is left to deliver.
    fn quiesce(&mut self) {
        for _ in 0..1_000_000 {
            let Some((&(at, _), _)) = self.queue.iter().next() else {
                return;
            };
            self.now = self.now.max(at);
            self.run_due();
        }
        panic!("the cluster did not quiesce");
    }

    /// The schedule: faults and admin work, then calm; at least one broker is left alive.
    pub fn run(&mut self) {
        for _ in 0..self.f.fault_ticks {
            self.now += 1;
            self.fault_tick();
            self.run_due();
        }
        self.quiesce();
        if self.live_ids().is_empty() {
            let id = 1 + self.rng.below(self.f.brokers as u64) as i32;
            self.start(id);
            self.count("restarts");
            self.quiesce();
        }
        self.check();
        let states = self.zk.partition_states();
        *self
            .stats
            .entry("partitions checked at the end")
            .or_insert(0) += states.len() as u64;
        *self.stats.entry("leaderless at the end").or_insert(0) += states
            .values()
            .filter(|z| z.state.leader == NO_LEADER)
            .count() as u64;
    }

    /// The promises, after quiescence.
    pub fn check(&self) {
        let live: BTreeSet<i32> = self.live_ids().into_iter().collect();
        let registered = self.zk.brokers();
        assert_eq!(
            registered.keys().copied().collect::<BTreeSet<_>>(),
            live,
            "/brokers/ids lists exactly the live brokers"
        );

        // One controller, named by /controller, with /controller_epoch's epoch, the last won.
        let active: Vec<i32> = live
            .iter()
            .copied()
            .filter(|id| self.brokers[id].core.is_active())
            .collect();
        assert_eq!(
            active.len(),
            1,
            "exactly one active controller among {live:?}: {active:?}"
        );
        let controller = &self.brokers[&active[0]].core;
        assert_eq!(self.zk.controller_id(), Some(active[0]));
        let (epoch, _) = self.zk.controller_epoch().unwrap();
        assert_eq!(controller.epoch(), epoch);
        assert_eq!(self.elections.keys().next_back(), Some(&epoch));
        assert_eq!(self.elections[&epoch], active[0]);
        assert_eq!(controller.live_broker_ids(), live);

        let topics = self.zk.topics();
        let deleting = self.zk.topics_to_delete();
        let states = self.zk.partition_states();
        for t in &deleting {
            let a = topics
                .get(t)
                .unwrap_or_else(|| panic!("deletion of unknown topic {t} left behind"));
            let replicas: BTreeSet<i32> = a.partitions.values().flatten().copied().collect();
            assert!(
                !replicas.is_subset(&live),
                "deletion of {t} waits though all its replicas {replicas:?} are alive"
            );
        }
        for (topic, a) in &topics {
            if deleting.contains(topic) {
                continue;
            }
            for (p, replicas) in &a.partitions {
                let tp = TopicPartition::new(topic, *p);
                let Some(znode) = states.get(&tp) else {
                    assert!(
                        replicas.iter().all(|r| !live.contains(r)),
                        "{tp} has no state though a replica of {replicas:?} is alive"
                    );
                    continue;
                };
                let s = &znode.state;
                assert_eq!(
                    controller.partition_state(&tp),
                    Some(znode),
                    "{tp}: the controller's memory"
                );
                // Leadership.
                if s.leader == NO_LEADER {
                    assert!(
                        !s.isr
                            .iter()
                            .any(|r| live.contains(r) && replicas.contains(r)),
                        "{tp} is leaderless though an in-sync replica is alive: {s:?}"
                    );
                } else {
                    assert!(
                        live.contains(&s.leader),
                        "{tp} led by dead broker {}: {s:?}",
                        s.leader
                    );
                    assert!(
                        s.isr.contains(&s.leader),
                        "{tp}: the leader is in the ISR: {s:?}"
                    );
                }
                // Every live replica was last told this state.
                for r in replicas.iter().filter(|r| live.contains(r)) {
                    let told = self.brokers[r]
                        .view
                        .replicas
                        .get(&tp)
                        .unwrap_or_else(|| panic!("{tp}: live replica {r} never told"));
                    assert_eq!(&told.leader_isr(), s, "{tp}: what replica {r} was told");
                    assert_eq!(
                        told.zk_version, znode.zk_version,
                        "{tp}: zkVersion told to {r}"
                    );
                    assert_eq!(&told.replicas, replicas);
                }
                // Every live broker's metadata says the same.
                for b in &live {
                    let m = self.brokers[b]
                        .view
                        .metadata
                        .get(&tp)
                        .unwrap_or_else(|| panic!("{tp}: broker {b}'s metadata lacks it"));
                    let told = LeaderIsrAndControllerEpoch {
                        leader: m.leader,
                        leader_epoch: m.leader_epoch,
                        isr: m.isr.clone(),
                        controller_epoch: m.controller_epoch,
                    };
                    assert_eq!(&told, s, "{tp}: broker {b}'s metadata");
                    assert_eq!(m.zk_version, znode.zk_version);
                    assert_eq!(&m.replicas, replicas);
                }
            }
        }
        for b in &live {
            let known: BTreeSet<i32> = self.brokers[b].view.live_brokers.keys().copied().collect();
            assert_eq!(known, live, "broker {b}'s metadata lists the live brokers");
        }
    }
}

/// Used by tests that want to look at a finished run.
pub fn partition_states_of(sim: &Sim) -> BTreeMap<TopicPartition, PartitionStateZNode> {
    sim.zk.partition_states()
}
