//! The tokio shell around [`QuorumPeer`] — ZooKeeper's `QuorumPeerMain`: one task owns the
//! core, the tree and the data dir, and turns everything that happens into a core call:
//!
//! ```text
//!  election port ──(sid, Notification)──┐
//!  quorum port ───(sid, QuorumPacket)───┤
//!  clients (lab 08's connections) ──────┼──► main loop ──► core.step / tick / submit
//!  tickTime timer ──────────────────────┘         │
//!                                                 ▼
//!                 core.ready(): persist (fsync) → send → apply → answer clients → prep
//! ```
//! Reads are answered here from the tree, after any write the same session is still waiting
//! for (a session sees its own writes, in order). Writes and `sync` go to the core, which
//! sends them to the leader; their answers come when their commit is applied here. Only the
//! leader prepares transactions (lab 08's prep stage), for its own clients and for the
//! requests its followers forward.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lab08_znodes::acl::Id;
use lab08_znodes::cnxn_factory::{now_ms, Shared};
use lab08_znodes::code::Code;
use lab08_znodes::config::ZooConfig;
use lab08_znodes::packet::event_frame;
use lab08_znodes::prep_request_processor::PrepRequestProcessor;
use lab08_znodes::proto::OpResult;
use lab08_znodes::request_processor::Submitted;
use lab08_znodes::server::ZkServer;
use lab08_znodes::txn::LoggedTxn;
use lab09_persistence::txn_record;
use tokio::sync::mpsc;

use crate::config::QuorumConfig;
use crate::messages::{Message, ServerState, SessionId, Sid, Snapshot, Txn};
use crate::peer::QuorumPeer;
use crate::ready::{Apply, Persist};
use crate::shell::client_chain::ClientChain;
use crate::shell::convert::{packet_to_wire, txn_from_bytes, txn_to_bytes};
use crate::shell::data_dir::DataDir;
use crate::shell::election_links::ElectionLinks;
use crate::shell::pending::{Pending, WaitingRead};
use crate::shell::quorum_links::{QuorumEvent, QuorumLinks};
use crate::shell::servers::{listen, ServerLine};
use crate::shell::snap_image::{image_of, server_from_image};
use crate::wire::packets::SnapStream;
use crate::zk_database::DiskState;
use crate::zxid::Zxid;

/// Which role's resources (quorum connections, client port) are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RoleKey {
    pub(super) state: ServerState,
    pub(super) leader: Option<Sid>,
    pub(super) round: i64,
}

pub struct QuorumPeerMain {
    pub(super) config: ZooConfig,
    pub(super) servers: Vec<ServerLine>,
    pub(super) peer: QuorumPeer,
    pub(super) shared: Arc<Shared>,
    pub(super) disk: DataDir,
    pub(super) election: ElectionLinks,
    pub(super) quorum: QuorumLinks,
    pub(super) role: Option<RoleKey>,
    pub(super) serving: bool,
    /// Ports this role should listen on but could not bind yet (another socket held them):
    /// tried again on every tick, so a port that frees up is taken then.
    pub(super) unbound: Unbound,
    /// The leader's prep stage, made when it starts serving.
    pub(super) prep: Option<PrepRequestProcessor>,
    pub(super) pending: HashMap<(SessionId, i32), Pending>,
    pub(super) waiting_reads: HashMap<SessionId, VecDeque<WaitingRead>>,
    /// Results of applied transactions a client of this server waits for, by zxid.
    pub(super) results: HashMap<i64, Result<OpResult, Code>>,
    /// The client ids of requests forwarded to this leader, until they are prepared.
    pub(super) remote_auth: HashMap<(SessionId, i32), Vec<Id>>,
    pub(super) next_session: i64,
}

/// Which of a role's listeners are still missing (see [`QuorumPeerMain::retry_listeners`]).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Unbound {
    /// The leader's quorum port.
    pub(super) quorum: bool,
    /// The client port of a serving member.
    pub(super) clients: bool,
}

/// The inputs of the main loop.
struct Inputs {
    election: mpsc::UnboundedReceiver<(Sid, crate::messages::Notification)>,
    quorum: mpsc::UnboundedReceiver<QuorumEvent>,
    clients: mpsc::UnboundedReceiver<Submitted>,
}

/// Runs an ensemble member until `shutdown`; an error means its data dir could not be
/// read or written (the process should stop, as ZooKeeper does).
pub async fn run(config: ZooConfig, shutdown: impl Future<Output = ()>) -> Result<(), String> {
    let servers = ServerLine::parse_all(&config.servers)?;
    let me = servers
        .iter()
        .find(|s| s.sid == config.myid)
        .cloned()
        .ok_or_else(|| {
            format!(
                "myid is {} but zoo.cfg has no server.{} line: write this server's number in dataDir/myid",
                config.myid, config.myid
            )
        })?;
    let quorum_config = QuorumConfig {
        tick_time_ms: i64::from(config.tick_time),
        init_limit: config.init_limit.max(1) as u64,
        sync_limit: config.sync_limit.max(1) as u64,
        config_bytes: ServerLine::config_text(&servers).into_bytes(),
        ..QuorumConfig::new(config.myid, servers.iter().map(|s| s.sid).collect())
    };
    let now = now_ms();
    let (disk, loaded) = DataDir::load(&config, now).map_err(|e| e.to_string())?;
    let image = image_of(&loaded.server);
    let disk_state = DiskState {
        accepted_epoch: loaded.accepted_epoch,
        current_epoch: loaded.current_epoch,
        snapshot: Snapshot {
            zxid: Zxid(loaded.server.zxid),
            sessions: image.sessions.iter().copied().collect(),
            data: image.encode(),
        },
        log: loaded.log.iter().map(to_core).collect(),
    };
    tracing::info!(
        myid = config.myid,
        snapshot = format!("0x{:x}", loaded.server.zxid),
        logged = loaded.log.len(),
        accepted_epoch = loaded.accepted_epoch,
        current_epoch = loaded.current_epoch,
        "ensemble member starting"
    );
    let peer = QuorumPeer::new(quorum_config, disk_state).map_err(|e| e.to_string())?;

    let (client_tx, clients) = mpsc::unbounded_channel();
    let shared = Shared::with_chain(
        config.clone(),
        loaded.server,
        Box::new(ClientChain { to_main: client_tx }),
    );
    shared
        .local_expiry
        .store(false, std::sync::atomic::Ordering::Relaxed);
    shared.close();

    let (election_tx, election) = mpsc::unbounded_channel();
    let listener = listen(&me.election_bind()).map_err(|e| {
        format!(
            "cannot listen on the election port {}: {e}",
            me.election_address()
        )
    })?;
    let peers = servers
        .iter()
        .filter(|s| s.sid != me.sid)
        .map(|s| (s.sid, s.election_address()))
        .collect();
    let election_links =
        ElectionLinks::start(me.sid, me.election_address(), peers, listener, election_tx);
    let (quorum_tx, quorum) = mpsc::unbounded_channel();
    let next_session = initial_session_id(config.myid, now);
    let mut main = QuorumPeerMain {
        config,
        servers,
        peer,
        shared,
        disk,
        election: election_links,
        quorum: QuorumLinks::new(quorum_tx),
        role: None,
        serving: false,
        unbound: Unbound::default(),
        prep: None,
        pending: HashMap::new(),
        waiting_reads: HashMap::new(),
        results: HashMap::new(),
        remote_auth: HashMap::new(),
        next_session,
    };
    let inputs = Inputs {
        election,
        quorum,
        clients,
    };
    let result = main.run_loop(inputs, shutdown).await;
    main.shared.close();
    main.quorum.close_all();
    result
}

/// ZooKeeper's `SessionTrackerImpl.initializeNextSessionId`: the server id in the top byte,
/// the start time below, so ids are unique across servers and restarts.
fn initial_session_id(myid: i64, now_ms: i64) -> i64 {
    (((now_ms << 24) as u64) >> 8) as i64 | (myid << 56)
}

/// DIFF, TRUNC or SNAP: how a leader brings a learner up to date.
fn sync_mode(p: &crate::messages::QuorumPacket) -> &'static str {
    match p {
        crate::messages::QuorumPacket::Diff { .. } => "DIFF",
        crate::messages::QuorumPacket::Trunc { .. } => "TRUNC",
        _ => "SNAP",
    }
}

/// A logged transaction as the core carries it (ZooKeeper's bytes: header, record).
pub(super) fn to_core(t: &LoggedTxn) -> Txn {
    txn_from_bytes(&txn_record::encode(t)).expect("our own txn bytes read back")
}

impl QuorumPeerMain {
    async fn run_loop(
        &mut self,
        mut inputs: Inputs,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), String> {
        tokio::pin!(shutdown);
        let mut tick =
            tokio::time::interval(Duration::from_millis(self.config.tick_time.max(1) as u64));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.handle_ready()?;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    self.peer.tick();
                    self.retry_listeners();
                }
                Some((sid, n)) = inputs.election.recv() => {
                    self.peer.step(sid, Message::Election(n));
                }
                Some(event) = inputs.quorum.recv() => self.quorum_event(event),
                Some(request) = inputs.clients.recv() => self.client_request(request),
                _ = &mut shutdown => return Ok(()),
            }
            self.drain(&mut inputs);
            self.handle_ready()?;
        }
    }

    /// Group commit: while serving, the quorum packets and client requests that arrived during
    /// the last fsync are stepped too, so that the next `ready()` logs them with one fsync
    /// instead of one each (ZooKeeper's `SyncRequestProcessor` batches the same way). It stops
    /// at the first event that changes the role or the serving state, so that one is handled
    /// alone, as before.
    fn drain(&mut self, inputs: &mut Inputs) {
        const MAX_BATCH: usize = 1000;
        for _ in 0..MAX_BATCH {
            if !self.serving || !self.peer.is_serving() || self.role != Some(self.role_key()) {
                return;
            }
            if let Ok(event) = inputs.quorum.try_recv() {
                self.quorum_event(event);
            } else if let Ok(request) = inputs.clients.try_recv() {
                self.client_request(request);
            } else {
                return;
            }
        }
    }

    pub(super) fn role_key(&self) -> RoleKey {
        RoleKey {
            state: self.peer.state(),
            leader: self.peer.leader(),
            round: self.peer.logicalclock(),
        }
    }

    fn quorum_event(&mut self, event: QuorumEvent) {
        match event {
            QuorumEvent::Packet {
                sid,
                conn,
                packet,
                auth,
            } => {
                if !self.current_conn(sid, conn) {
                    return;
                }
                match &packet {
                    crate::messages::QuorumPacket::Request(r) => {
                        self.remote_auth.insert((r.session, r.cxid), auth);
                    }
                    crate::messages::QuorumPacket::Diff { zxid }
                    | crate::messages::QuorumPacket::Trunc { zxid }
                    | crate::messages::QuorumPacket::Snap { zxid, .. } => {
                        tracing::info!(
                            leader = sid,
                            "synchronizing with the leader by {} to {zxid}",
                            sync_mode(&packet)
                        );
                    }
                    _ => {}
                }
                self.peer.step(sid, Message::Quorum(packet));
            }
            QuorumEvent::Closed { sid, conn } => {
                if self.quorum.is_open(sid).is_none_or(|c| c == conn) {
                    self.peer.disconnected(sid);
                }
            }
        }
    }

    /// Whether `conn` is still the connection to `sid` (an old one's packets are dropped).
    fn current_conn(&self, sid: Sid, conn: u64) -> bool {
        self.quorum.is_open(sid) == Some(conn)
    }

    // ---- the core's Ready ------------------------------------------------------------

    fn handle_ready(&mut self) -> Result<(), String> {
        // The role first: a follower's first packet needs its connection to the leader.
        self.update_role();
        let mut rounds = 0;
        while self.peer.has_ready() {
            rounds += 1;
            if rounds > 10_000 {
                return Err("the quorum core keeps producing work; stopping".into());
            }
            let ready = self.peer.ready();
            self.persist(ready.persist)?;
            self.update_role();
            let as_leader = self.peer.state() == ServerState::Leading;
            for out in ready.messages {
                match out.msg {
                    Message::Election(n) => self.election.send(out.to, &n),
                    Message::Quorum(p) => {
                        if matches!(p, crate::messages::QuorumPacket::FollowerInfo { .. }) {
                            self.call_leader(out.to);
                        }
                        if let crate::messages::QuorumPacket::Diff { zxid }
                        | crate::messages::QuorumPacket::Trunc { zxid }
                        | crate::messages::QuorumPacket::Snap { zxid, .. } = &p
                        {
                            tracing::info!(
                                learner = out.to,
                                "synchronizing a learner by {} to {zxid}",
                                sync_mode(&p)
                            );
                        }
                        let auth = match &p {
                            crate::messages::QuorumPacket::Request(r) => {
                                match self.pending.get(&(r.session, r.cxid)) {
                                    Some(Pending::Op { auth, .. }) => auth.clone(),
                                    _ => Vec::new(),
                                }
                            }
                            _ => Vec::new(),
                        };
                        self.quorum
                            .send(out.to, packet_to_wire(&p, as_leader, &auth));
                    }
                }
            }
            for apply in ready.apply {
                self.apply(apply)?;
            }
            for reply in ready.replies {
                self.reply(reply);
            }
            for request in ready.to_prep {
                self.prep_and_propose(request);
            }
            for session in ready.expired {
                self.expire(session);
            }
        }
        self.update_serving();
        Ok(())
    }

    fn persist(&mut self, persist: Vec<Persist>) -> Result<(), String> {
        let mut batch: Vec<LoggedTxn> = Vec::new();
        for p in persist {
            if !matches!(p, Persist::Append(_)) && !batch.is_empty() {
                self.disk
                    .append(&std::mem::take(&mut batch))
                    .map_err(|e| e.to_string())?;
            }
            match p {
                Persist::Append(t) => batch.push(
                    txn_record::decode(&txn_to_bytes(&t))
                        .map_err(|e| format!("a proposal this server cannot read: {e}"))?,
                ),
                Persist::AcceptedEpoch(e) => self
                    .disk
                    .write_epoch("acceptedEpoch", e)
                    .map_err(|e| e.to_string())?,
                Persist::CurrentEpoch(e) => self
                    .disk
                    .write_epoch("currentEpoch", e)
                    .map_err(|e| e.to_string())?,
                Persist::Truncate { after } => {
                    self.disk.truncate(after.0).map_err(|e| e.to_string())?
                }
                Persist::Snapshot(snap) => {
                    let server = self.server_from(&snap)?;
                    self.disk.install(&server).map_err(|e| e.to_string())?;
                }
            }
        }
        if !batch.is_empty() {
            self.disk.append(&batch).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn server_from(&self, snap: &Snapshot) -> Result<ZkServer, String> {
        let image = match SnapStream::decode(&snap.data) {
            Ok(Some((image, _))) => image,
            _ => return Err("a SNAP image this server cannot read".into()),
        };
        let now = now_ms();
        let fresh = ZkServer::with_tick(
            self.config.session_limits(),
            self.config.myid,
            now,
            i64::from(self.config.tick_time),
        );
        Ok(server_from_image(&image, snap.zxid.0, fresh, now))
    }

    fn apply(&mut self, apply: Apply) -> Result<(), String> {
        match apply {
            Apply::Txn(t) => {
                let logged = txn_record::decode(&txn_to_bytes(&t))
                    .map_err(|e| format!("a committed transaction this server cannot read: {e}"))?;
                let key = (t.header.client_id, t.header.cxid);
                let (result, events) = {
                    let mut server = self.shared.server();
                    let result = server.commit(&logged);
                    (result, server.take_notifications())
                };
                if let Some(prep) = self.prep.as_mut() {
                    prep.committed(logged.zxid);
                }
                if self.pending.contains_key(&key) {
                    self.results.insert(logged.zxid, result);
                }
                let outboxes = self.shared.outboxes();
                for (session, kind, path) in events {
                    if let Some(out) = outboxes.get(&session) {
                        let _ = out.send(event_frame(kind, &path));
                    }
                }
                drop(outboxes);
                let written = {
                    let server = self.shared.server();
                    self.disk
                        .maybe_snapshot(&server)
                        .map_err(|e| e.to_string())?
                };
                if written {
                    let snap = {
                        let server = self.shared.server();
                        let image = image_of(&server);
                        Snapshot {
                            zxid: Zxid(server.zxid),
                            sessions: image.sessions.iter().copied().collect(),
                            data: image.encode(),
                        }
                    };
                    self.peer.snapshot_taken(snap);
                }
            }
            Apply::Snapshot(snap) => {
                let server = self.server_from(&snap)?;
                *self.shared.server() = server;
            }
        }
        Ok(())
    }
}
