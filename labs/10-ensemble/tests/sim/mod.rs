//! A seeded simulation of an ensemble: an in-memory network that drops, delays, duplicates
//! and partitions, and servers that crash and restart from their disks — losing the part of a
//! Ready that was written but not yet fsynced. The same seed gives the same run.
//!
//! The two ports are modelled as ZooKeeper uses them. Election notifications may be lost,
//! delayed, reordered and duplicated. A quorum connection is TCP: in order, never duplicated,
//! and a lost packet kills the connection — nothing after it arrives until the learner
//! connects again (its next FOLLOWERINFO); half the time both ends see the socket close.
//!
//! Checked all along: at most one leader per epoch; no two servers ever apply different
//! transactions at one position. Checked after healing: a leader is elected and a new write is
//! acknowledged within a bounded number of ticks, every server ends with the same history, and
//! every write any client ever heard "done" for is in it, at its zxid.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{config, Node};
use lab10_ensemble::messages::{Message, QuorumPacket, Request, Sid, OP_CREATE_SESSION};
use lab10_ensemble::ready::{ClientReply, Ready};
use lab10_ensemble::{ServerState, Zxid};

/// The shared dice (SplitMix64, seeded).
pub use kafkalab_testkit::sim::Rng;

/// How hostile a run is.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    pub servers: i64,
    /// Ticks with faults, then healing.
    pub fault_ticks: u64,
    pub drop: u64,
    pub duplicate: u64,
    pub max_delay: u64,
    pub crash: u64,
    pub restart: u64,
    pub partition: u64,
    pub heal: u64,
    pub write: u64,
    /// A client opens a session (5-tick timeout; it pings until it goes away).
    pub connect: u64,
    pub snapshot: u64,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            servers: 3,
            fault_ticks: 120,
            drop: 20,
            duplicate: 10,
            max_delay: 6,
            crash: 15,
            restart: 120,
            partition: 15,
            heal: 100,
            write: 300,
            connect: 40,
            snapshot: 10,
        }
    }
}

/// Substeps per tick: messages are delivered at this finer grain.
const SUB: u64 = 4;

struct InFlight {
    at: u64,
    seq: u64,
    from: Sid,
    to: Sid,
    msg: Message,
}

pub struct Sim {
    pub seed: u64,
    rng: Rng,
    f: Faults,
    pub nodes: BTreeMap<Sid, Node>,
    down: BTreeSet<Sid>,
    /// Servers whose next Ready with something to persist is cut short by a crash.
    crash_mid_ready: BTreeSet<Sid>,
    /// Partition: each server's side (all 0 = whole).
    side: BTreeMap<Sid, u64>,
    inflight: Vec<InFlight>,
    /// Quorum connections that lost a packet (by the pair of servers).
    broken: BTreeSet<(Sid, Sid)>,
    /// The last delivery time on each directed link, for the quorum port's FIFO order.
    link_last: BTreeMap<(Sid, Sid), u64>,
    seq: u64,
    now: u64,
    healing: bool,
    /// No more client writes (while waiting for the servers to converge).
    quiet: bool,
    cxid: i32,
    /// Epoch → the server that established it.
    pub leaders: BTreeMap<i64, Sid>,
    /// Every transaction ever applied anywhere, by position: all servers must agree.
    pub history: Vec<(Zxid, Vec<u8>)>,
    /// Writes a client heard "done" for.
    pub acked: Vec<(Zxid, Vec<u8>)>,
    /// Sessions clients opened, and the server each pings (None: not yet created, or the
    /// client went away).
    sessions: BTreeMap<i64, Option<Sid>>,
    pub log: Vec<String>,
    /// Counts of what happened (packets by kind, faults), for the summary.
    pub stats: BTreeMap<&'static str, u64>,
}

impl Sim {
    pub fn new(seed: u64, f: Faults) -> Sim {
        let mut sim = Sim {
            seed,
            rng: Rng::new(seed),
            f,
            nodes: BTreeMap::new(),
            down: BTreeSet::new(),
            crash_mid_ready: BTreeSet::new(),
            side: (1..=f.servers).map(|s| (s, 0)).collect(),
            inflight: Vec::new(),
            link_last: BTreeMap::new(),
            broken: BTreeSet::new(),
            seq: 0,
            now: 0,
            healing: false,
            quiet: false,
            cxid: 0,
            leaders: BTreeMap::new(),
            history: Vec::new(),
            acked: Vec::new(),
            sessions: BTreeMap::new(),
            log: Vec::new(),
            stats: BTreeMap::new(),
        };
        for sid in 1..=f.servers {
            sim.nodes.insert(sid, Node::new(config(sid, f.servers)));
            sim.process(sid);
        }
        sim
    }

    /// Keep a detailed event log (when replaying one seed).
    fn tracing(&self) -> bool {
        std::env::var("KAFKALAB_SIM_SEED").is_ok()
    }

    fn count(&mut self, what: &'static str) {
        *self.stats.entry(what).or_insert(0) += 1;
    }

    fn note(&mut self, s: String) {
        self.log.push(format!("t{}: {s}", self.now / SUB));
    }

    /// Handles the server's Ready: persist (maybe cut short by a crash), send, apply, answer.
    fn process(&mut self, sid: Sid) {
        for _ in 0..50 {
            if self.down.contains(&sid) || !self.nodes[&sid].peer.has_ready() {
                return;
            }
            let rd = self.nodes.get_mut(&sid).unwrap().peer.ready();
            if self.crash_mid_ready.contains(&sid) && !rd.persist.is_empty() {
                self.crash_during(sid, rd);
                return;
            }
            let before = self.nodes[&sid].peer.state();
            let msgs = self.nodes.get_mut(&sid).unwrap().handle(rd);
            self.check_node(sid);
            if self.tracing() {
                let p = &self.nodes[&sid].peer;
                let after = p.state();
                let line = format!(
                    "{sid}: {after:?} (was {before:?}) epoch {:?} leader {:?} logged {} applied {} step-down {:?}",
                    p.established_epoch(),
                    p.leader(),
                    p.last_logged_zxid(),
                    p.applied_zxid(),
                    p.last_step_down()
                );
                self.note(line);
            }
            for m in msgs {
                self.send(sid, m.to, m.msg);
            }
        }
    }

    /// The crash hits between write and fsync: a prefix of the Ready's writes survives, none
    /// of its messages left.
    fn crash_during(&mut self, sid: Sid, rd: Ready) {
        let keep = self.rng.below(rd.persist.len() as u64 + 1) as usize;
        let node = self.nodes.get_mut(&sid).unwrap();
        for p in &rd.persist[..keep] {
            crate::common::persist(&mut node.disk, p);
        }
        self.note(format!(
            "{sid} crashes mid-ready keeping {keep}/{}",
            rd.persist.len()
        ));
        self.count("crash mid-ready");
        self.crash_now(sid);
    }

    fn crash_now(&mut self, sid: Sid) {
        self.down.insert(sid);
        self.crash_mid_ready.remove(&sid);
        self.inflight.retain(|m| m.to != sid);
        // Its connections die with it.
        for o in self.nodes.keys().copied().collect::<Vec<_>>() {
            if o != sid {
                self.broken.insert((o.min(sid), o.max(sid)));
            }
        }
        // The others' sockets to it close (or time out, half the time).
        if self.rng.chance(500) {
            let others: Vec<Sid> = self.up().into_iter().collect();
            for o in others {
                self.nodes.get_mut(&o).unwrap().peer.disconnected(sid);
                self.process(o);
            }
        }
    }

    fn up(&self) -> Vec<Sid> {
        self.nodes
            .keys()
            .copied()
            .filter(|s| !self.down.contains(s))
            .collect()
    }

    fn send(&mut self, from: Sid, to: Sid, msg: Message) {
        if let Message::Quorum(p) = &msg {
            use lab10_ensemble::messages::QuorumPacket as Q;
            match p {
                Q::Diff { .. } => self.count("DIFF"),
                Q::Trunc { .. } => self.count("TRUNC"),
                Q::Snap { .. } => self.count("SNAP"),
                Q::NewLeader { .. } => self.count("NEWLEADER"),
                _ => {}
            }
            if self.tracing() {
                let what = match p {
                    Q::Proposal(t) => format!("PROPOSAL {}", t.zxid()),
                    Q::Snap { zxid, .. } => format!("SNAP {zxid}"),
                    other => format!("{other:?}"),
                };
                self.note(format!("{from} -> {to}: {what}"));
            }
        }
        let quorum = matches!(msg, Message::Quorum(_));
        let link = (from.min(to), from.max(to));
        if quorum {
            // FOLLOWERINFO opens a new connection; nothing more passes on a broken one.
            if matches!(msg, Message::Quorum(QuorumPacket::FollowerInfo { .. })) {
                self.broken.remove(&link);
            }
            if self.broken.contains(&link) {
                return;
            }
        }
        if self.side[&from] != self.side[&to] {
            if quorum {
                self.break_link(link);
            }
            return;
        }
        let faulty = !self.healing;
        if faulty && self.rng.chance(self.f.drop) {
            self.count("dropped");
            if quorum {
                self.break_link(link);
            }
            return;
        }
        // TCP never duplicates: only election notifications are sent twice.
        let copies = if faulty && !quorum && self.rng.chance(self.f.duplicate) {
            self.count("duplicated");
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut at = self.now + 1 + self.rng.below(self.f.max_delay + 1);
            if let Message::Quorum(_) = msg {
                // TCP: one connection delivers in order.
                let last = self.link_last.entry((from, to)).or_insert(0);
                at = at.max(*last);
                *last = at;
            }
            self.seq += 1;
            self.inflight.push(InFlight {
                at,
                seq: self.seq,
                from,
                to,
                msg: msg.clone(),
            });
        }
    }

    /// A quorum connection lost a packet: TCP delivers nothing after it, so the connection is
    /// dead until the learner opens a new one (its next FOLLOWERINFO). Half the time both ends
    /// see the socket close at once; otherwise their timeouts find out.
    fn break_link(&mut self, link: (Sid, Sid)) {
        self.count("connections broken");
        self.broken.insert(link);
        self.inflight.retain(|m| {
            !(matches!(m.msg, Message::Quorum(_)) && (m.from.min(m.to), m.from.max(m.to)) == link)
        });
        if self.rng.chance(500) {
            for (a, b) in [(link.0, link.1), (link.1, link.0)] {
                if !self.down.contains(&a) {
                    self.nodes.get_mut(&a).unwrap().peer.disconnected(b);
                }
            }
        }
    }

    /// Safety checks after a server handled a Ready.
    fn check_node(&mut self, sid: Sid) {
        let node = &self.nodes[&sid];
        if let Some(epoch) = node.peer.established_epoch() {
            let first = *self.leaders.entry(epoch).or_insert(sid);
            assert_eq!(first, sid, "two leaders established epoch {epoch}");
        }
        let applied = &node.applied;
        let common = applied.len().min(self.history.len());
        if applied[..common] != self.history[..common] {
            let at = (0..common)
                .find(|i| applied[*i] != self.history[*i])
                .unwrap();
            panic!(
                "server {sid} applied {:?} at position {at} where another applied {:?}: {}",
                applied[at],
                self.history[at],
                self.describe()
            );
        }
        if applied.len() > self.history.len() {
            self.history = applied.clone();
        }
        let replies = std::mem::take(&mut self.nodes.get_mut(&sid).unwrap().replies);
        for r in replies {
            if let ClientReply::Committed { zxid, session, .. } = r {
                let node = &self.nodes[&sid];
                let Some(entry) = node.applied.iter().find(|(z, _)| *z == zxid) else {
                    panic!("server {sid} acked {zxid} before applying it");
                };
                self.acked.push(entry.clone());
                if self.sessions.contains_key(&session) {
                    self.sessions.insert(session, Some(sid));
                }
            }
        }
    }

    fn faults(&mut self) {
        let f = self.f;
        let up = self.up();
        if self.rng.chance(f.crash) && !up.is_empty() {
            let sid = up[self.rng.below(up.len() as u64) as usize];
            if self.rng.chance(500) {
                self.note(format!("{sid} will crash mid-ready"));
                self.crash_mid_ready.insert(sid);
            } else {
                self.note(format!("{sid} crashes"));
                self.count("crash");
                self.crash_now(sid);
            }
        }
        let down: Vec<Sid> = self.down.iter().copied().collect();
        for sid in down {
            if self.rng.chance(f.restart) {
                self.restart(sid);
            }
        }
        if self.rng.chance(f.partition) {
            let sides: Vec<(Sid, u64)> =
                self.side.keys().map(|s| (*s, self.rng.below(2))).collect();
            self.note(format!("partition {sides:?}"));
            self.count("partition");
            self.side = sides.into_iter().collect();
            let side = self.side.clone();
            let cut: BTreeSet<(Sid, Sid)> = self
                .inflight
                .iter()
                .filter(|m| side[&m.from] != side[&m.to] && matches!(m.msg, Message::Quorum(_)))
                .map(|m| (m.from.min(m.to), m.from.max(m.to)))
                .collect();
            self.inflight.retain(|m| side[&m.from] == side[&m.to]);
            for link in cut {
                self.break_link(link);
            }
        }
        if self.rng.chance(f.heal) && self.side.values().any(|v| *v != 0) {
            self.note("partition healed".into());
            for v in self.side.values_mut() {
                *v = 0;
            }
        }
    }

    fn restart(&mut self, sid: Sid) {
        self.note(format!("{sid} restarts"));
        let disk = self.nodes[&sid].disk.clone();
        self.nodes
            .insert(sid, Node::restart(config(sid, self.f.servers), disk));
        self.down.remove(&sid);
        self.crash_mid_ready.remove(&sid);
        // Its old connections are gone: nothing in flight from before reaches the new process,
        // and the others see their sockets to it close.
        self.inflight.retain(|m| m.from != sid && m.to != sid);
        for o in self.up() {
            if o != sid {
                self.nodes.get_mut(&o).unwrap().peer.disconnected(sid);
                self.process(o);
            }
        }
        self.process(sid);
    }

    /// A client write at a random serving server.
    /// A new session at a random serving server (timeout 5 ticks), as a client connecting.
    fn client_connect(&mut self) {
        let serving: Vec<Sid> = self
            .up()
            .into_iter()
            .filter(|s| self.nodes[s].peer.is_serving())
            .collect();
        if serving.is_empty() {
            return;
        }
        let sid = serving[self.rng.below(serving.len() as u64) as usize];
        self.cxid += 1;
        let session = 1_000_000 + i64::from(self.cxid);
        let req = Request {
            session,
            cxid: 0,
            kind: OP_CREATE_SESSION,
            data: 500i32.to_be_bytes().to_vec(),
        };
        self.sessions.insert(session, None);
        self.nodes.get_mut(&sid).unwrap().peer.submit(req).unwrap();
        self.process(sid);
    }

    /// Clients ping their server: most sessions stay alive, some are forgotten and expire.
    fn client_pings(&mut self) {
        let live: Vec<(i64, Sid)> = self
            .sessions
            .iter()
            .filter_map(|(s, at)| at.map(|sid| (*s, sid)))
            .collect();
        for (session, sid) in live {
            if self.rng.chance(100) {
                // This client goes away.
                self.sessions.insert(session, None);
                continue;
            }
            if !self.down.contains(&sid) {
                self.nodes.get_mut(&sid).unwrap().peer.touch(session);
            }
        }
    }

    fn client_write(&mut self) {
        let serving: Vec<Sid> = self
            .up()
            .into_iter()
            .filter(|s| self.nodes[s].peer.is_serving())
            .collect();
        if serving.is_empty() {
            return;
        }
        let sid = serving[self.rng.below(serving.len() as u64) as usize];
        self.cxid += 1;
        let req = Request {
            session: 1000 + sid,
            cxid: self.cxid,
            kind: 1,
            data: self.cxid.to_be_bytes().to_vec(),
        };
        self.nodes.get_mut(&sid).unwrap().peer.submit(req).unwrap();
        self.process(sid);
    }

    /// One substep: deliver what is due, maybe tick, maybe inject faults and writes.
    fn substep(&mut self) {
        self.now += 1;
        let now = self.now;
        let mut due: Vec<InFlight> = Vec::new();
        let mut i = 0;
        while i < self.inflight.len() {
            if self.inflight[i].at <= now {
                due.push(self.inflight.swap_remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|m| (m.at, m.seq));
        for m in due {
            if self.down.contains(&m.to) || self.side[&m.from] != self.side[&m.to] {
                if matches!(m.msg, Message::Quorum(_)) {
                    self.break_link((m.from.min(m.to), m.from.max(m.to)));
                }
                continue;
            }
            self.nodes.get_mut(&m.to).unwrap().peer.step(m.from, m.msg);
            self.process(m.to);
        }
        if now.is_multiple_of(SUB) {
            for sid in self.up() {
                self.nodes.get_mut(&sid).unwrap().peer.tick();
                self.process(sid);
                if !self.healing && self.rng.chance(self.f.snapshot) {
                    self.nodes.get_mut(&sid).unwrap().take_snapshot();
                }
            }
            if !self.healing {
                self.faults();
            }
            if !self.quiet && self.rng.chance(self.f.write) {
                self.client_write();
            }
            if !self.quiet && self.rng.chance(self.f.connect) {
                self.client_connect();
            }
            self.client_pings();
        }
    }

    pub fn run_ticks(&mut self, ticks: u64) {
        for _ in 0..ticks * SUB {
            self.substep();
        }
    }

    /// Everything comes back: all servers up, no partition, no drops or duplicates.
    pub fn heal(&mut self) {
        self.note("heal".into());
        self.healing = true;
        for v in self.side.values_mut() {
            *v = 0;
        }
        let down: Vec<Sid> = self.down.iter().copied().collect();
        for sid in down {
            self.restart(sid);
        }
        self.crash_mid_ready.clear();
    }

    /// Each server's state, for a failure message.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (sid, n) in &self.nodes {
            let p = &n.peer;
            out.push_str(&format!(
                "\n  {sid}: {:?} vote {:?} round {} leader {:?} epochs {}/{} logged {} applied {} ({} txns) step-down {:?}",
                p.state(),
                p.current_vote(),
                p.logicalclock(),
                p.leader(),
                p.accepted_epoch(),
                p.current_epoch(),
                p.last_logged_zxid(),
                p.applied_zxid(),
                n.applied.len(),
                p.last_step_down()
            ));
        }
        if std::env::var("KAFKALAB_SIM_SEED").is_ok() {
            out.push_str(&format!("\n{}", self.log.join("\n")));
        }
        out
    }

    pub fn leader(&self) -> Option<Sid> {
        let l: Vec<Sid> = self
            .up()
            .into_iter()
            .filter(|s| self.nodes[s].peer.established_epoch().is_some())
            .collect();
        match l[..] {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The whole run: faults, heal, then liveness and the final checks.
    pub fn run(&mut self) {
        self.run_ticks(self.f.fault_ticks);
        self.heal();
        // Liveness: a leader and an acknowledged write within a bounded time.
        let acked_before = self.acked.len();
        let mut ticks = 0;
        while self.acked.len() == acked_before {
            assert!(
                ticks < 300,
                "no write acknowledged within 300 ticks after healing"
            );
            self.run_ticks(1);
            if self.leader().is_some() && ticks % 2 == 0 {
                self.client_write();
            }
            ticks += 1;
        }
        // Convergence: every server serving, with the same history.
        self.quiet = true;
        let mut ticks = 0;
        loop {
            self.run_ticks(1);
            let all_serving = self.nodes.values().all(|n| n.peer.is_serving());
            let first = &self.nodes[&1].applied;
            if all_serving && self.nodes.values().all(|n| &n.applied == first) {
                break;
            }
            assert!(
                ticks < 300,
                "servers did not converge within 300 ticks after healing: {}",
                self.describe()
            );
            ticks += 1;
        }
        let states: Vec<ServerState> = self.nodes.values().map(|n| n.peer.state()).collect();
        assert_eq!(
            states
                .iter()
                .filter(|s| **s == ServerState::Leading)
                .count(),
            1,
            "{states:?}"
        );
        let final_history = &self.nodes[&1].applied;
        for (zxid, data) in &self.acked {
            assert!(
                final_history.contains(&(*zxid, data.clone())),
                "acknowledged write {zxid} is lost"
            );
        }
        let closed = final_history.iter().filter(|(_, r)| r.is_empty()).count() as u64;
        *self.stats.entry("sessions closed by expiry").or_insert(0) += closed;
        let sessions = self.nodes[&1].peer.sessions();
        for (sid, n) in &self.nodes {
            assert_eq!(
                n.peer.sessions(),
                sessions,
                "server {sid}'s sessions differ from 1's"
            );
        }
        let zxids: Vec<Zxid> = final_history.iter().map(|(z, _)| *z).collect();
        assert!(
            zxids.windows(2).all(|w| w[0] < w[1]),
            "history out of zxid order"
        );
    }
}
