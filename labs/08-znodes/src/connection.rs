//! The tokio shell: the accept loop, one task per client connection, the session-expiry
//! timer, and ZooKeeper's four-letter words (`ruok`, `srvr`, `stat`, `mntr`, `conf`), which
//! arrive on the client port in place of a length prefix.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::config::ZooConfig;
use crate::jute::{InputArchive, OutputArchive};
use crate::proto::{ConnectRequest, Op, OpResult};
use crate::server::{LoggedTxn, SessionLimits, ZkServer};

/// `jute.maxbuffer`: ZooKeeper's default limit for one packet (1 MiB − 1).
pub const MAX_PACKET: usize = 0xfffff;

/// The wall clock in milliseconds, defined once for every lab (lab-common).
pub use lab_common::now_ms;

/// Where transactions are made durable before the server answers (lab 09's transaction log).
pub trait Journal: Send {
    /// Writes and fsyncs `txns` (in zxid order). `server` is the state after them, for a
    /// snapshot.
    fn write(&mut self, server: &ZkServer, txns: &[LoggedTxn]) -> std::io::Result<()>;
}

/// A connection's outgoing frames.
type Outbox = mpsc::UnboundedSender<Vec<u8>>;

/// A request waiting for the processor, with where its answer goes.
struct Pending {
    session: i64,
    xid: i32,
    op: Op,
    now_ms: i64,
    /// The connection's outgoing frames: answers and watch events, in order.
    out: mpsc::UnboundedSender<Vec<u8>>,
}

pub struct Shared {
    server: Mutex<ZkServer>,
    submit: mpsc::UnboundedSender<Pending>,
    /// Taken by `run`, which starts the processor.
    requests: Mutex<Option<mpsc::UnboundedReceiver<Pending>>>,
    /// Session → its current connection's outgoing frames (where its watch events go).
    outboxes: Mutex<HashMap<i64, mpsc::UnboundedSender<Vec<u8>>>>,
    journal: Mutex<Option<Box<dyn Journal>>>,
    /// Set when the journal failed: the server stops rather than answer from state that is
    /// not on disk (ZooKeeper exits on a failed log write too).
    pub failed: std::sync::atomic::AtomicBool,
    pub config: ZooConfig,
    received: AtomicU64,
    sent: AtomicU64,
    /// Open connections per client IP (`maxClientCnxns`).
    connections: Mutex<HashMap<IpAddr, usize>>,
}

impl Shared {
    pub fn new(config: ZooConfig) -> Arc<Shared> {
        let server = ZkServer::new(limits(&config), config.myid, now_ms());
        Shared::with_server(config, server, None)
    }

    /// A server restored from disk, with the journal its writes go to.
    pub fn with_server(
        config: ZooConfig,
        server: ZkServer,
        journal: Option<Box<dyn Journal>>,
    ) -> Arc<Shared> {
        let (submit, requests) = mpsc::unbounded_channel();
        Arc::new(Shared {
            server: Mutex::new(server),
            submit,
            requests: Mutex::new(Some(requests)),
            outboxes: Mutex::new(HashMap::new()),
            journal: Mutex::new(journal),
            failed: std::sync::atomic::AtomicBool::new(false),
            config,
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
        })
    }

    pub fn server(&self) -> MutexGuard<'_, ZkServer> {
        self.server.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the server's pending transactions durable. `false` if the journal failed: then
    /// nothing may be answered.
    fn persist(&self, server: &mut ZkServer) -> bool {
        let txns = server.take_pending();
        if txns.is_empty() {
            return !self.failed.load(Ordering::Relaxed);
        }
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(j) = journal.as_mut() {
            if let Err(e) = j.write(server, &txns) {
                tracing::error!(
                    "cannot write the transaction log: {e}; stopping, as ZooKeeper does"
                );
                self.failed.store(true, Ordering::Relaxed);
                return false;
            }
        }
        true
    }
}

/// The session-timeout bounds of a `zoo.cfg`.
pub fn limits(config: &ZooConfig) -> SessionLimits {
    SessionLimits {
        min_ms: config.min_session_timeout_ms(),
        max_ms: config.max_session_timeout_ms(),
    }
}

/// The answer to a four-letter word, or `None` if `word` is not one.
fn four_letter_word(word: &str, shared: &Shared) -> Option<String> {
    if ![
        "ruok", "srvr", "stat", "mntr", "conf", "envi", "cons", "dump", "wchs", "isro",
    ]
    .contains(&word)
    {
        return None;
    }
    if !shared
        .config
        .four_letter_words
        .iter()
        .any(|w| w == word || w == "*")
    {
        return Some(format!(
            "{word} is not executed because it is not in the whitelist.\n"
        ));
    }
    let server = shared.server();
    let connections: usize = shared
        .connections
        .lock()
        .map(|c| c.values().sum())
        .unwrap_or(0);
    let received = shared.received.load(Ordering::Relaxed);
    let sent = shared.sent.load(Ordering::Relaxed);
    let version = concat!(
        "kafkalab-",
        env!("CARGO_PKG_VERSION"),
        " (a teaching ZooKeeper)"
    );
    Some(match word {
        "ruok" => "imok".into(),
        "isro" => "rw".into(),
        "srvr" | "stat" => format!(
            "Zookeeper version: {version}\n{}Latency min/avg/max: 0/0.0/0\nReceived: {received}\nSent: {sent}\nConnections: {connections}\nOutstanding: 0\nZxid: 0x{:x}\nMode: standalone\nNode count: {}\n",
            if word == "stat" { "Clients:\n\n" } else { "" },
            server.zxid,
            // ZooKeeper's count includes the root twice (stored as "" and "/").
            server.tree.node_count() + 1
        ),
        "mntr" => format!(
            "zk_version\t{version}\nzk_server_state\tstandalone\nzk_znode_count\t{}\nzk_ephemerals_count\t{}\nzk_num_alive_connections\t{connections}\nzk_packets_received\t{received}\nzk_packets_sent\t{sent}\nzk_outstanding_requests\t0\n",
            server.tree.node_count() + 1,
            server.sessions.keys().map(|s| server.tree.ephemerals(*s).len()).sum::<usize>()
        ),
        "conf" => {
            let c = &shared.config;
            format!(
                "clientPort={}\ndataDir={}\ndataLogDir={}\ntickTime={}\nmaxClientCnxns={}\nminSessionTimeout={}\nmaxSessionTimeout={}\nserverId={}\n",
                c.client_port,
                c.data_dir.display(),
                c.data_log_dir.as_ref().unwrap_or(&c.data_dir).display(),
                c.tick_time,
                c.max_client_cnxns,
                c.min_session_timeout_ms(),
                c.max_session_timeout_ms(),
                c.myid
            )
        }
        _ => String::new(),
    })
}

/// Reads one length-prefixed packet; `Ok(None)` when the client closed.
async fn read_packet(stream: &mut (impl AsyncReadExt + Unpin)) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = i32::from_be_bytes(len);
    if n < 0 || n as usize > MAX_PACKET {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("packet length {n} is outside 0..{MAX_PACKET} (jute.maxbuffer)"),
        ));
    }
    let mut body = vec![0u8; n as usize];
    stream.read_exact(&mut body).await?;
    Ok(Some(body))
}

/// Serves one client until it closes, closes its session, or sends something unreadable.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    // A four-letter word arrives where the first length prefix would.
    let mut first = [0u8; 4];
    if stream.peek(&mut first).await.is_ok_and(|n| n == 4) {
        if let Some(answer) = std::str::from_utf8(&first)
            .ok()
            .and_then(|w| four_letter_word(w, &shared))
        {
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
    }
    let connect = match read_packet(&mut stream).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(%peer, "closing the connection: {e}");
            return;
        }
    };
    let request = match ConnectRequest::read(&mut InputArchive::new(&connect)) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(%peer, "closing the connection: not a ZooKeeper connect request: {e}");
            return;
        }
    };
    let response = {
        let mut server = shared.server();
        let response = server.connect(&request, now_ms());
        if !shared.persist(&mut server) {
            return;
        }
        response
    };
    let mut o = OutputArchive::new();
    response.write(&mut o);
    if stream
        .write_all(&OutputArchive::frame(&o.into_bytes()))
        .await
        .is_err()
        || response.time_out == 0
    {
        if response.time_out == 0 {
            tracing::info!(%peer, session = format!("0x{:x}", request.session_id), "session expired or unknown; told the client");
        }
        return;
    }
    let session = response.session_id;
    tracing::debug!(%peer, session = format!("0x{session:x}"), timeout = response.time_out, "session established");
    // Answers and watch events leave through one queue, written by one task, so a client
    // always sees a watch event before any answer that shows the change.
    let (out, mut outbox) = mpsc::unbounded_channel::<Vec<u8>>();
    shared
        .outboxes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(session, out.clone());
    let (mut reader, mut writer) = stream.into_split();
    let shared_w = shared.clone();
    let writing = tokio::spawn(async move {
        while let Some(frame) = outbox.recv().await {
            if writer.write_all(&frame).await.is_err() {
                break;
            }
            shared_w.sent.fetch_add(1, Ordering::Relaxed);
        }
        let _ = writer.shutdown().await;
    });
    loop {
        let packet = match read_packet(&mut reader).await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(%peer, "closing the connection: {e}");
                break;
            }
        };
        shared.received.fetch_add(1, Ordering::Relaxed);
        let mut i = InputArchive::new(&packet);
        let (xid, kind) = match (i.read_int(), i.read_int()) {
            (Ok(x), Ok(k)) => (x, k),
            _ => {
                tracing::warn!(%peer, "closing the connection: a request without a header");
                break;
            }
        };
        let op = match Op::read(kind, &mut i) {
            Ok(op) => op,
            Err(e) => {
                tracing::warn!(%peer, xid, kind, "closing the connection: unreadable request: {e}");
                break;
            }
        };
        let closing = matches!(op, Op::CloseSession);
        let pending = Pending {
            session,
            xid,
            op,
            now_ms: now_ms(),
            out: out.clone(),
        };
        if shared.submit.send(pending).is_err() || closing {
            break;
        }
    }
    // This connection is done: stop routing the session's events here (a reconnect may have
    // replaced it already), and let the writer finish what is queued.
    {
        let mut outboxes = shared.outboxes.lock().unwrap_or_else(|e| e.into_inner());
        if outboxes.get(&session).is_some_and(|o| o.same_channel(&out)) {
            outboxes.remove(&session);
        }
    }
    drop(out);
    let _ = writing.await;
}

/// A reply header and, for success, the result record, framed.
fn reply_frame(xid: i32, zxid: i64, result: &Result<OpResult, crate::Code>) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.write_int(xid);
    o.write_long(zxid);
    match result {
        Ok(r) => {
            o.write_int(0);
            r.write(&mut o);
        }
        Err(code) => o.write_int(code.code()),
    }
    OutputArchive::frame(&o.into_bytes())
}

/// A watch event: reply header with xid −1, then type, state (3: SyncConnected) and path.
fn event_frame(kind: crate::watch::EventType, path: &str) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.write_int(-1);
    o.write_long(-1);
    o.write_int(0);
    o.write_int(kind as i32);
    o.write_int(3);
    o.write_string(Some(path));
    OutputArchive::frame(&o.into_bytes())
}

/// The request processor: every request of every connection passes here, in arrival order.
/// It takes all that are waiting (a batch), applies them, writes their transactions with one
/// fsync, and only then sends the answers and watch events — ZooKeeper's group commit: no
/// client sees a write that is not on disk, and concurrent writers share an fsync.
async fn process(shared: Arc<Shared>, mut requests: mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1_000 {
            match requests.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        // Frames in the order they must reach each client: a request's watch events first,
        // then its answer.
        let mut frames: Vec<(i64, Option<Outbox>, Vec<u8>)> = Vec::new();
        let durable = {
            let mut server = shared.server();
            for p in &batch {
                let (zxid, result) = if !server.touch(p.session, p.now_ms) {
                    (0, Err(crate::Code::SessionExpired))
                } else if matches!(p.op, Op::Ping) {
                    (server.zxid, Ok(OpResult::Empty))
                } else {
                    server.apply(p.session, &p.op, p.now_ms)
                };
                for (session, kind, path) in server.take_notifications() {
                    frames.push((session, None, event_frame(kind, &path)));
                }
                let xid = if matches!(p.op, Op::Ping) { -2 } else { p.xid };
                frames.push((
                    p.session,
                    Some(p.out.clone()),
                    reply_frame(xid, zxid, &result),
                ));
            }
            shared.persist(&mut server)
        };
        if !durable {
            continue; // nothing is answered; `run` stops the server
        }
        let outboxes = shared.outboxes.lock().unwrap_or_else(|e| e.into_inner());
        for (session, out, frame) in frames {
            let target = out.as_ref().or_else(|| outboxes.get(&session));
            if let Some(out) = target {
                let _ = out.send(frame);
            }
        }
    }
}

/// Serves `listener` until `shutdown` completes; expires silent sessions every tick.
pub async fn run(listener: TcpListener, shared: Arc<Shared>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let requests = shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some(requests) = requests {
        tokio::spawn(process(shared.clone(), requests));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(
        shared.config.tick_time.clamp(50, 2_000) as u64 / 2,
    ));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let ip = addr.ip();
                    let limit = shared.config.max_client_cnxns;
                    let allowed = {
                        let mut c = shared.connections.lock().unwrap_or_else(|e| e.into_inner());
                        let n = c.entry(ip).or_default();
                        if limit != 0 && *n >= limit { false } else { *n += 1; true }
                    };
                    if !allowed {
                        tracing::warn!(%ip, limit, "too many connections from one address (maxClientCnxns); closing");
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        serve(stream, shared.clone()).await;
                        let mut c = shared.connections.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(n) = c.get_mut(&ip) {
                            *n = n.saturating_sub(1);
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = tick.tick() => {
                let mut server = shared.server();
                server.expire(now_ms());
                let events = server.take_notifications();
                let durable = shared.persist(&mut server);
                drop(server);
                if !durable {
                    break;
                }
                // Watchers of an expired session's ephemeral nodes hear they are gone.
                let outboxes = shared.outboxes.lock().unwrap_or_else(|e| e.into_inner());
                for (session, kind, path) in events {
                    if let Some(out) = outboxes.get(&session) {
                        let _ = out.send(event_frame(kind, &path));
                    }
                }
            }
            _ = &mut shutdown => break,
        }
    }
}
