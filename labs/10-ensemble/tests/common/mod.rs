//! A test shell for the pure core: a server's disk and state machine in memory, and a small
//! network that delivers everything in order. The seeded simulation (tests/sim) builds on it.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use lab10_ensemble::messages::{
    Message, Request, SessionId, Sid, Snapshot, Txn, TxnHeader, OP_CLOSE_SESSION,
};
use lab10_ensemble::ready::{Apply, ClientReply, Outgoing, Persist, Ready};
use lab10_ensemble::{DiskState, QuorumConfig, QuorumPeer, ServerState, Zxid};

/// The settings every test ensemble uses: tiny limits so that timeouts take few ticks.
pub fn config(my_id: Sid, n: i64) -> QuorumConfig {
    QuorumConfig {
        tick_time_ms: 100,
        init_limit: 10,
        sync_limit: 5,
        max_notification_interval: 4,
        ..QuorumConfig::new(my_id, (1..=n).collect())
    }
}

/// A transaction as a test leader's shell prepares it: the request's bytes are the record.
pub fn txn(zxid: Zxid, session: SessionId, cxid: i32, kind: i32, record: &[u8]) -> Txn {
    Txn {
        header: TxnHeader {
            client_id: session,
            cxid,
            zxid,
            time: 0,
            kind,
        },
        record: record.to_vec(),
    }
}

/// Applies one persist entry to a disk.
pub fn persist(disk: &mut DiskState, p: &Persist) {
    match p {
        Persist::AcceptedEpoch(e) => disk.accepted_epoch = *e,
        Persist::CurrentEpoch(e) => disk.current_epoch = *e,
        Persist::Truncate { after } => disk.log.retain(|t| t.zxid() <= *after),
        Persist::Append(t) => disk.log.push(t.clone()),
        Persist::Snapshot(s) => {
            disk.snapshot = s.clone();
            disk.log.clear();
        }
    }
}

/// The test state machine: the applied transactions, (zxid, record), in order.
pub type Applied = Vec<(Zxid, Vec<u8>)>;

pub fn encode_state(applied: &Applied) -> Vec<u8> {
    let mut out = Vec::new();
    for (z, r) in applied {
        out.extend_from_slice(&z.0.to_be_bytes());
        out.extend_from_slice(&(r.len() as u32).to_be_bytes());
        out.extend_from_slice(r);
    }
    out
}

pub fn decode_state(mut b: &[u8]) -> Applied {
    let mut out = Vec::new();
    while b.len() >= 12 {
        let z = i64::from_be_bytes(b[..8].try_into().unwrap());
        let n = u32::from_be_bytes(b[8..12].try_into().unwrap()) as usize;
        out.push((Zxid(z), b[12..12 + n].to_vec()));
        b = &b[12 + n..];
    }
    out
}

/// One server with its shell: disk, state machine, and what its clients heard.
pub struct Node {
    pub peer: QuorumPeer,
    pub disk: DiskState,
    pub applied: Applied,
    pub sessions: BTreeMap<SessionId, i32>,
    pub replies: Vec<ClientReply>,
    /// Every Ready's messages, before they go on the network (for scripted checks).
    pub sent: Vec<Outgoing>,
    /// When true, the node prepares and proposes `to_prep` and `expired` at once.
    pub auto_prep: bool,
}

impl Node {
    pub fn new(config: QuorumConfig) -> Node {
        Node::restart(config, DiskState::default())
    }

    /// A server started from what its disk holds: the state machine is the snapshot only.
    pub fn restart(config: QuorumConfig, disk: DiskState) -> Node {
        let applied = decode_state(&disk.snapshot.data);
        let sessions = disk.snapshot.sessions.clone();
        Node {
            peer: QuorumPeer::new(config, disk.clone()).unwrap(),
            disk,
            applied,
            sessions,
            replies: Vec::new(),
            sent: Vec::new(),
            auto_prep: true,
        }
    }

    /// Handles every Ready (persist, then messages, then apply, then answers); returns the
    /// messages to send.
    pub fn drain(&mut self) -> Vec<Outgoing> {
        let mut msgs = Vec::new();
        for _ in 0..100 {
            if !self.peer.has_ready() {
                break;
            }
            let rd = self.peer.ready();
            msgs.extend(self.handle(rd));
        }
        msgs
    }

    pub fn handle(&mut self, rd: Ready) -> Vec<Outgoing> {
        for p in &rd.persist {
            persist(&mut self.disk, p);
        }
        self.sent.extend(rd.messages.iter().cloned());
        for a in rd.apply {
            self.apply(a);
        }
        self.replies.extend(rd.replies);
        if self.auto_prep {
            for req in rd.to_prep {
                self.prep(req);
            }
            for s in rd.expired {
                self.prep(Request {
                    session: s,
                    cxid: 0,
                    kind: OP_CLOSE_SESSION,
                    data: Vec::new(),
                });
            }
        }
        rd.messages
    }

    pub fn apply(&mut self, a: Apply) {
        match a {
            Apply::Txn(t) => {
                assert!(
                    self.applied.last().is_none_or(|(z, _)| *z < t.zxid()),
                    "server {} applied {} after {:?}",
                    self.peer.my_id(),
                    t.zxid(),
                    self.applied.last()
                );
                self.applied.push((t.zxid(), t.record.clone()));
            }
            Apply::Snapshot(s) => self.applied = decode_state(&s.data),
        }
    }

    /// The leader's prep stage: the request becomes a transaction with the next zxid.
    pub fn prep(&mut self, req: Request) {
        if let Some(z) = self.peer.next_zxid() {
            let t = txn(z, req.session, req.cxid, req.kind, &req.data);
            self.peer.propose(t).unwrap();
        }
    }

    /// The shell snapshots its state at the applied zxid.
    pub fn take_snapshot(&mut self) {
        let zxid = self.applied.last().map_or(Zxid(0), |(z, _)| *z);
        if zxid != self.peer.applied_zxid() {
            return;
        }
        let snap = Snapshot {
            zxid,
            sessions: self.peer.sessions().clone(),
            data: encode_state(&self.applied),
        };
        self.peer.snapshot_taken(snap.clone());
        // The shell writes the snapshot; the log before it may be purged.
        self.disk.snapshot = snap;
        self.disk.log.retain(|t| t.zxid() > zxid);
    }

    pub fn applied_zxids(&self) -> Vec<Zxid> {
        self.applied.iter().map(|(z, _)| *z).collect()
    }
}

/// A network of servers that delivers every message in send order (FIFO), with servers that
/// can be down and links that can be cut.
pub struct Net {
    pub nodes: BTreeMap<Sid, Node>,
    pub queue: VecDeque<(Sid, Sid, Message)>,
    pub down: BTreeSet<Sid>,
    /// Cut links, both directions.
    pub cut: BTreeSet<(Sid, Sid)>,
    /// Deliver only election notifications, and tick only LOOKING servers (step 1 tests: the
    /// roles are not written yet).
    pub election_only: bool,
}

impl Net {
    pub fn new(n: i64) -> Net {
        Net::with_disks(n, |_| DiskState::default())
    }

    pub fn with_disks(n: i64, disk: impl Fn(Sid) -> DiskState) -> Net {
        let mut net = Net {
            nodes: BTreeMap::new(),
            queue: VecDeque::new(),
            down: BTreeSet::new(),
            cut: BTreeSet::new(),
            election_only: false,
        };
        for sid in 1..=n {
            net.nodes
                .insert(sid, Node::restart(config(sid, n), disk(sid)));
        }
        for sid in 1..=n {
            net.flush(sid);
        }
        net
    }

    pub fn node(&mut self, sid: Sid) -> &mut Node {
        self.nodes.get_mut(&sid).unwrap()
    }

    pub fn peer(&self, sid: Sid) -> &QuorumPeer {
        &self.nodes[&sid].peer
    }

    pub fn flush(&mut self, sid: Sid) {
        if self.down.contains(&sid) {
            return;
        }
        let msgs = self.node(sid).drain();
        for m in msgs {
            self.queue.push_back((sid, m.to, m.msg));
        }
    }

    pub fn is_cut(&self, a: Sid, b: Sid) -> bool {
        self.cut.contains(&(a, b)) || self.cut.contains(&(b, a))
    }

    /// Delivers until nothing is in flight (bounded).
    pub fn deliver_all(&mut self) {
        for _ in 0..100_000 {
            let Some((from, to, msg)) = self.queue.pop_front() else {
                return;
            };
            if self.down.contains(&to) || self.is_cut(from, to) {
                continue;
            }
            if self.election_only && !matches!(msg, Message::Election(_)) {
                continue;
            }
            if let Some(n) = self.nodes.get_mut(&to) {
                n.peer.step(from, msg);
            }
            self.flush(to);
        }
        panic!("the network never went quiet");
    }

    /// `n` ticks on every running server, delivering everything after each.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            let sids: Vec<Sid> = self.nodes.keys().copied().collect();
            for sid in sids {
                let looking = self.state(sid) == ServerState::Looking;
                if !self.down.contains(&sid) && (looking || !self.election_only) {
                    self.node(sid).peer.tick();
                    self.flush(sid);
                }
            }
            self.deliver_all();
        }
    }

    /// Runs elections without ticking any server that has a role (steps 2 and 3 have no
    /// timeouts yet): ticks the LOOKING servers and delivers, a few rounds.
    pub fn elect(&mut self) {
        for _ in 0..5 {
            self.deliver_all();
            let looking: Vec<Sid> = self
                .nodes
                .keys()
                .copied()
                .filter(|s| !self.down.contains(s) && self.state(*s) == ServerState::Looking)
                .collect();
            if looking.is_empty() {
                return;
            }
            for sid in looking {
                self.node(sid).peer.tick();
                self.flush(sid);
            }
        }
        self.deliver_all();
    }

    pub fn state(&self, sid: Sid) -> ServerState {
        self.peer(sid).state()
    }

    /// The server that leads an established epoch, if exactly one does among the running.
    pub fn leader(&self) -> Option<Sid> {
        let leaders: Vec<Sid> = self
            .nodes
            .iter()
            .filter(|(s, n)| !self.down.contains(s) && n.peer.established_epoch().is_some())
            .map(|(s, _)| *s)
            .collect();
        match leaders[..] {
            [l] => Some(l),
            _ => None,
        }
    }

    pub fn crash(&mut self, sid: Sid) {
        self.down.insert(sid);
        self.queue.retain(|(f, t, _)| *f != sid && *t != sid);
    }

    /// Restarts a crashed server from its disk.
    pub fn restart(&mut self, sid: Sid) {
        let n = self.nodes.len() as i64;
        let disk = self.nodes[&sid].disk.clone();
        self.nodes.insert(sid, Node::restart(config(sid, n), disk));
        self.down.remove(&sid);
        self.flush(sid);
    }

    /// A client write taken by `sid`.
    pub fn write(&mut self, sid: Sid, session: SessionId, cxid: i32, data: &[u8]) {
        let req = Request {
            session,
            cxid,
            kind: 1,
            data: data.to_vec(),
        };
        self.node(sid).peer.submit(req).unwrap();
        self.flush(sid);
    }
}
