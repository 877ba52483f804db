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
use lab08_znodes::cnxn_factory::{now_ms, run as serve_clients, QuorumStatus, Shared};
use lab08_znodes::code::Code;
use lab08_znodes::config::ZooConfig;
use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::packet::{event_frame, reply_frame};
use lab08_znodes::prep_request_processor::{PrepRequestProcessor, Prepped, Request as Prep};
use lab08_znodes::proto::{ConnectResponse, Op, OpResult};
use lab08_znodes::request_processor::{Outbox, Submitted};
use lab08_znodes::server::{session_expired_response, ZkServer};
use lab08_znodes::session::session_passwd;
use lab08_znodes::txn::LoggedTxn;
use lab09_persistence::txn_record;
use tokio::sync::{mpsc, oneshot};

use crate::config::QuorumConfig;
use crate::messages::{
    Message, Request, ServerState, SessionId, Sid, Snapshot, Txn, OP_CLOSE_SESSION,
    OP_CREATE_SESSION,
};
use crate::peer::QuorumPeer;
use crate::ready::{Apply, ClientReply, Persist};
use crate::shell::client_chain::ClientChain;
use crate::shell::convert::{packet_to_wire, txn_from_bytes, txn_to_bytes};
use crate::shell::data_dir::DataDir;
use crate::shell::election_links::ElectionLinks;
use crate::shell::quorum_links::{QuorumEvent, QuorumLinks};
use crate::shell::servers::{listen, ServerLine};
use crate::shell::snap_image::{image_of, server_from_image};
use crate::wire::packets::SnapStream;
use crate::zk_database::DiskState;
use crate::zxid::Zxid;

/// A client request this server took and has not answered yet.
enum Pending {
    Connect {
        reply: oneshot::Sender<ConnectResponse>,
        timeout_ms: i32,
    },
    Op {
        op: Op,
        auth: Vec<Id>,
        out: Outbox,
    },
}

/// A read waiting behind its session's writes.
struct WaitingRead {
    xid: i32,
    op: Op,
    auth: Vec<Id>,
    out: Outbox,
}

/// Which role's resources (quorum connections, client port) are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RoleKey {
    state: ServerState,
    leader: Option<Sid>,
    round: i64,
}

pub struct QuorumPeerMain {
    config: ZooConfig,
    servers: Vec<ServerLine>,
    peer: QuorumPeer,
    shared: Arc<Shared>,
    disk: DataDir,
    election: ElectionLinks,
    quorum: QuorumLinks,
    role: Option<RoleKey>,
    serving: bool,
    /// The leader's prep stage, made when it starts serving.
    prep: Option<PrepRequestProcessor>,
    pending: HashMap<(SessionId, i32), Pending>,
    waiting_reads: HashMap<SessionId, VecDeque<WaitingRead>>,
    /// Results of applied transactions a client of this server waits for, by zxid.
    results: HashMap<i64, Result<OpResult, Code>>,
    /// The client ids of requests forwarded to this leader, until they are prepared.
    remote_auth: HashMap<(SessionId, i32), Vec<Id>>,
    next_session: i64,
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
fn to_core(t: &LoggedTxn) -> Txn {
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
                _ = tick.tick() => self.peer.tick(),
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

    fn role_key(&self) -> RoleKey {
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

    // ---- clients ---------------------------------------------------------------------

    fn client_request(&mut self, request: Submitted) {
        match request {
            Submitted::Connect { request, reply, .. } => {
                if !self.serving {
                    return; // dropping `reply` closes the connection
                }
                if request.session_id == 0 {
                    let session = self.next_session;
                    self.next_session += 1;
                    let timeout_ms = self
                        .shared
                        .server()
                        .sessions
                        .negotiate_timeout(request.time_out);
                    let submitted = self.peer.submit(Request {
                        session,
                        cxid: 0,
                        kind: OP_CREATE_SESSION,
                        data: timeout_ms.to_be_bytes().to_vec(),
                    });
                    if submitted.is_ok() {
                        self.pending
                            .insert((session, 0), Pending::Connect { reply, timeout_ms });
                    }
                } else {
                    // A client moving here with its session: known and not closing here, and
                    // its password is the one every server derives.
                    let id = request.session_id;
                    let known = {
                        let server = self.shared.server();
                        server
                            .sessions
                            .get(id)
                            .filter(|_| {
                                request.passwd == session_passwd(id)
                                    && !server.sessions.is_closing(id)
                            })
                            .map(|s| s.timeout_ms)
                    };
                    let response = match known {
                        Some(time_out) if self.peer.touch(id) => ConnectResponse {
                            protocol_version: 0,
                            time_out,
                            session_id: id,
                            passwd: session_passwd(id),
                        },
                        _ => session_expired_response(),
                    };
                    let _ = reply.send(response);
                }
            }
            Submitted::Op {
                session,
                xid,
                op,
                auth,
                out,
                ..
            } => {
                if !self.serving {
                    return;
                }
                if !self.peer.touch(session) {
                    let _ = out.send(reply_frame(xid, 0, &Err(Code::SessionExpired)));
                    return;
                }
                if matches!(op, Op::Ping) {
                    let zxid = self.shared.server().zxid;
                    let _ = out.send(reply_frame(-2, zxid, &Ok(OpResult::Empty)));
                    return;
                }
                if op.is_write() || matches!(op, Op::Sync { .. } | Op::CloseSession) {
                    let mut data = OutputArchive::new();
                    op.write(&mut data);
                    let r = Request {
                        session,
                        cxid: xid,
                        kind: op.kind(),
                        data: data.into_bytes(),
                    };
                    if self.peer.submit(r).is_ok() {
                        self.pending
                            .insert((session, xid), Pending::Op { op, auth, out });
                    }
                    return;
                }
                let read = WaitingRead { xid, op, auth, out };
                if self.session_waits(session) {
                    self.waiting_reads
                        .entry(session)
                        .or_default()
                        .push_back(read);
                } else {
                    self.answer_read(session, read);
                }
            }
            // Only the leader's core expires sessions, for the whole ensemble.
            Submitted::Expire { .. } | Submitted::CreateSession { .. } => {}
        }
    }

    fn session_waits(&self, session: SessionId) -> bool {
        self.pending.keys().any(|(s, _)| *s == session)
    }

    fn answer_read(&mut self, session: SessionId, read: WaitingRead) {
        let mut server = self.shared.server();
        let result = server.read(session, &read.auth, &read.op);
        let _ = read.out.send(reply_frame(read.xid, server.zxid, &result));
    }

    /// The reads a session queued behind its writes, now that none is waiting.
    fn release_reads(&mut self, session: SessionId) {
        if self.session_waits(session) {
            return;
        }
        if let Some(reads) = self.waiting_reads.remove(&session) {
            for read in reads {
                self.answer_read(session, read);
            }
        }
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

    fn reply(&mut self, reply: ClientReply) {
        let (session, cxid, zxid, synced) = match reply {
            ClientReply::Committed {
                session,
                cxid,
                zxid,
            } => (session, cxid, zxid, false),
            ClientReply::Synced {
                session,
                cxid,
                zxid,
            } => (session, cxid, zxid, true),
            ClientReply::Lost { session, cxid } => {
                self.pending.remove(&(session, cxid));
                return;
            }
        };
        match self.pending.remove(&(session, cxid)) {
            Some(Pending::Connect { reply, timeout_ms }) => {
                let response = match self.results.remove(&zxid.0) {
                    Some(Ok(_)) | None => ConnectResponse {
                        protocol_version: 0,
                        time_out: timeout_ms,
                        session_id: session,
                        passwd: session_passwd(session),
                    },
                    Some(Err(_)) => session_expired_response(),
                };
                let _ = reply.send(response);
            }
            Some(Pending::Op { op, auth, out }) => {
                let result = if synced {
                    self.shared.server().read(session, &auth, &op)
                } else {
                    self.results
                        .remove(&zxid.0)
                        .unwrap_or(Err(Code::SystemError))
                };
                let _ = out.send(reply_frame(cxid, zxid.0, &result));
                if matches!(op, Op::CloseSession) {
                    self.shared.outboxes().remove(&session);
                }
            }
            None => {}
        }
        self.release_reads(session);
    }

    /// Leader: a client request (its own client's or a follower's) becomes a transaction with
    /// the next zxid, and the core proposes it.
    fn prep_and_propose(&mut self, request: Request) {
        let auth = match self.pending.get(&(request.session, request.cxid)) {
            Some(Pending::Op { auth, .. }) => auth.clone(),
            _ => self
                .remote_auth
                .remove(&(request.session, request.cxid))
                .unwrap_or_default(),
        };
        let Some(zxid) = self.peer.next_zxid() else {
            return;
        };
        let prep = self.prep.get_or_insert_with(|| {
            let server = self.shared.server();
            let mut prep = PrepRequestProcessor::new(&server);
            prep.set_last_zxid(zxid.0 - 1);
            prep
        });
        let now = now_ms();
        let mut server = self.shared.server();
        let op = match request.kind {
            OP_CREATE_SESSION | OP_CLOSE_SESSION => None,
            kind => Some(Op::read(kind, &mut InputArchive::new(&request.data))),
        };
        let prepped = match (request.kind, &op) {
            (OP_CREATE_SESSION, _) => {
                let timeout_ms = InputArchive::new(&request.data).read_int().unwrap_or(0);
                prep.prep(
                    &mut server.sessions,
                    Prep::CreateSession {
                        session: request.session,
                        timeout_ms,
                    },
                    now,
                )
            }
            (OP_CLOSE_SESSION, _) => prep.prep(
                &mut server.sessions,
                Prep::Op {
                    session: request.session,
                    op: &Op::CloseSession,
                    auth: &auth,
                },
                now,
            ),
            (_, Some(Ok(op))) => prep.prep(
                &mut server.sessions,
                Prep::Op {
                    session: request.session,
                    op,
                    auth: &auth,
                },
                now,
            ),
            _ => Prepped::Answer(Err(Code::MarshallingError)),
        };
        let mut logged = match prepped {
            Prepped::Txn(t) => t,
            Prepped::Answer(Err(code)) => prep.error_txn(request.session, code, now),
            _ => prep.error_txn(request.session, Code::SystemError, now),
        };
        drop(server);
        logged.cxid = request.cxid;
        let txn = to_core(&logged);
        if let Err(e) = self.peer.propose(txn) {
            tracing::warn!("cannot propose 0x{:x}: {e}", logged.zxid);
        }
    }

    /// Leader: the core found `session` silent past its timeout.
    fn expire(&mut self, session: SessionId) {
        let Some(zxid) = self.peer.next_zxid() else {
            return;
        };
        let prep = self.prep.get_or_insert_with(|| {
            let server = self.shared.server();
            let mut prep = PrepRequestProcessor::new(&server);
            prep.set_last_zxid(zxid.0 - 1);
            prep
        });
        let mut server = self.shared.server();
        if let Prepped::Txn(t) = prep.prep(&mut server.sessions, Prep::Expire { session }, now_ms())
        {
            drop(server);
            if let Err(e) = self.peer.propose(to_core(&t)) {
                tracing::warn!("cannot propose the expiry of 0x{session:x}: {e}");
            }
        }
    }

    // ---- roles -----------------------------------------------------------------------

    /// Sets up the quorum connections of the core's current role.
    fn update_role(&mut self) {
        let key = self.role_key();
        if self.role == Some(key) {
            return;
        }
        self.role = Some(key);
        self.quorum.close_all();
        self.prep = None;
        match key.state {
            ServerState::Leading => {
                let me = self.line(self.config.myid);
                match listen(&me.quorum_bind()) {
                    Ok(listener) => {
                        let voters = self.servers.iter().map(|s| s.sid).collect();
                        self.quorum.lead(listener, voters);
                    }
                    Err(e) => {
                        tracing::error!(
                            "cannot listen on the quorum port {}: {e}",
                            me.quorum_address()
                        );
                    }
                }
                tracing::info!(round = key.round, "LEADING");
            }
            // The call to the leader is made when the core sends FOLLOWERINFO (`call_leader`).
            ServerState::Following => {
                tracing::info!(leader = key.leader, round = key.round, "FOLLOWING")
            }
            _ => tracing::info!(round = key.round, "LOOKING"),
        }
    }

    /// FOLLOWERINFO opens a learner's connection: a first one, or — re-sent by the core while
    /// the leader has not answered — a fresh one in place of the old (a real leader reads
    /// FOLLOWERINFO only as a connection's first packet).
    fn call_leader(&mut self, leader: Sid) {
        self.quorum.close_all();
        let address = self.line(leader).quorum_address();
        let limit = Duration::from_millis(
            (self.config.tick_time.max(1) as u64) * self.config.init_limit.max(1) as u64,
        );
        self.quorum.follow(leader, address, limit);
    }

    fn line(&self, sid: Sid) -> ServerLine {
        self.servers
            .iter()
            .find(|s| s.sid == sid)
            .cloned()
            .expect("every sid the core names has a server line")
    }

    /// Opens the client port while the core serves, closes it when it stops.
    fn update_serving(&mut self) {
        let serving = self.peer.is_serving();
        if serving != self.serving {
            self.serving = serving;
            if serving {
                self.start_clients();
            } else {
                tracing::info!("not serving clients until the ensemble has a leader again");
                self.shared.close();
                self.prep = None;
                self.pending.clear();
                self.waiting_reads.clear();
                self.results.clear();
            }
        }
        let mut status = QuorumStatus {
            mode: self.peer.state().mode().to_string(),
            mntr: Vec::new(),
        };
        if let Some((learners, synced)) = self.peer.followers() {
            status.mntr = vec![
                ("zk_learners".into(), learners.to_string()),
                ("zk_synced_followers".into(), synced.to_string()),
                ("zk_synced_non_voting_followers".into(), "0".into()),
                ("zk_synced_observers".into(), "0".into()),
            ];
        }
        self.shared.set_status(status);
    }

    fn start_clients(&mut self) {
        let address = format!(
            "{}:{}",
            self.config.client_port_address, self.config.client_port
        );
        let listener = match listen(&address) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot listen for clients on {address}: {e}");
                return;
            }
        };
        tracing::info!(%address, mode = self.peer.state().mode(), "serving clients");
        self.shared.reopen();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let closed = shared.clone();
            serve_clients(listener, shared, async move { closed.closed().await }).await;
        });
    }
}
