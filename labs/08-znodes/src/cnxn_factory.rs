//! The tokio shell around the server — ZooKeeper's `ServerCnxnFactory`: the accept loop with
//! `maxClientCnxns` per client address, one task per connection (`server_cnxn.rs`), the request
//! chain's task (`request_processor.rs`), and the expiry tick that submits a closeSession for
//! every session silent past its timeout.
//!
//! [`Shared`] is what those tasks share: the committed state behind a mutex (a
//! `std::sync::Mutex`, not a tokio one, because nothing async happens while it is held), the
//! queue into the chain, and each session's outbox for its watch events.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::config::ZooConfig;
use crate::journal::Journal;
use crate::proposer::{BoxFuture, Proposer, StandaloneProposer};
use crate::request_processor::{run_chain, Outbox, Submitted};
use crate::server::ZkServer;

/// The wall clock in milliseconds, defined once for every lab (lab-common).
pub use lab_common::now_ms;

type Chain = (mpsc::UnboundedReceiver<Submitted>, Box<dyn RequestChain>);

/// What runs the requests of every connection: the chain of `request_processor.rs` around a
/// [`Proposer`] (standalone, and an ensemble's leader), or another one (lab 10: a follower,
/// which forwards writes to its leader and answers when their commits come back).
pub trait RequestChain: Send {
    /// Runs until `requests` ends or the server must stop.
    fn run(
        self: Box<Self>,
        shared: Arc<Shared>,
        requests: mpsc::UnboundedReceiver<Submitted>,
    ) -> BoxFuture<'static, ()>;
}

/// The chain of `request_processor.rs`: prep, propose, commit.
struct ProposerChain(Box<dyn Proposer>);

impl RequestChain for ProposerChain {
    fn run(
        self: Box<Self>,
        shared: Arc<Shared>,
        requests: mpsc::UnboundedReceiver<Submitted>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(run_chain(shared, requests, self.0))
    }
}

/// What `srvr`, `stat` and `mntr` say about the server's place in an ensemble.
#[derive(Debug, Clone)]
pub struct QuorumStatus {
    /// `Mode:` of `srvr`, `zk_server_state` of `mntr`: standalone, leader or follower.
    pub mode: String,
    /// Lines `mntr` adds in this mode (a leader's `zk_learners`, `zk_synced_followers`, …).
    pub mntr: Vec<(String, String)>,
}

impl Default for QuorumStatus {
    fn default() -> Self {
        QuorumStatus {
            mode: "standalone".into(),
            mntr: Vec::new(),
        }
    }
}

pub struct Shared {
    server: Mutex<ZkServer>,
    submit: mpsc::UnboundedSender<Submitted>,
    /// Taken by `run`, which starts the chain.
    chain: Mutex<Option<Chain>>,
    /// Session → its current connection's outgoing packets (where its watch events go).
    outboxes: Mutex<HashMap<i64, Outbox>>,
    /// Set when the journal failed: the server stops rather than answer from state that is
    /// not on disk (ZooKeeper exits on a failed log write too).
    pub failed: AtomicBool,
    pub config: ZooConfig,
    pub(crate) received: AtomicU64,
    pub(crate) sent: AtomicU64,
    /// Open connections per client IP (`maxClientCnxns`).
    connections: Mutex<HashMap<IpAddr, usize>>,
    /// Set to `true` by [`Shared::close`]: every connection and the accept loop end.
    closed: watch::Sender<bool>,
    /// Set by an ensemble's shell (lab 10); standalone otherwise.
    pub status: Mutex<QuorumStatus>,
    /// Whether this server expires its sessions itself. In an ensemble only the leader does,
    /// in its quorum core, for the sessions of every server (lab 10 turns this off).
    pub local_expiry: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// A new, empty server kept in memory only (lab 08 alone).
    pub fn new(config: ZooConfig) -> Arc<Shared> {
        let server = ZkServer::with_tick(
            config.session_limits(),
            config.myid,
            now_ms(),
            i64::from(config.tick_time),
        );
        Shared::with_server(config, server, None)
    }

    /// A server restored from disk, with the journal its writes go to: standalone mode.
    pub fn with_server(
        config: ZooConfig,
        server: ZkServer,
        journal: Option<Box<dyn Journal>>,
    ) -> Arc<Shared> {
        Shared::with_proposer(config, server, Box::new(StandaloneProposer { journal }))
    }

    /// A server whose transactions commit when `proposer` says so (lab 10: a quorum's ACKs).
    pub fn with_proposer(
        config: ZooConfig,
        server: ZkServer,
        proposer: Box<dyn Proposer>,
    ) -> Arc<Shared> {
        Shared::with_chain(config, server, Box::new(ProposerChain(proposer)))
    }

    /// A server whose requests run through `chain` (lab 10: a follower's).
    pub fn with_chain(
        config: ZooConfig,
        server: ZkServer,
        chain: Box<dyn RequestChain>,
    ) -> Arc<Shared> {
        let (submit, requests) = mpsc::unbounded_channel();
        Arc::new(Shared {
            server: Mutex::new(server),
            submit,
            chain: Mutex::new(Some((requests, chain))),
            outboxes: Mutex::new(HashMap::new()),
            failed: AtomicBool::new(false),
            config,
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
            closed: watch::channel(false).0,
            status: Mutex::new(QuorumStatus::default()),
            local_expiry: AtomicBool::new(true),
        })
    }

    /// The committed state.
    pub fn server(&self) -> MutexGuard<'_, ZkServer> {
        lock(&self.server)
    }

    /// Hands a request to the chain; `false` if the chain has stopped or the server closed.
    pub fn submit(&self, request: Submitted) -> bool {
        !*self.closed.borrow() && self.submit.send(request).is_ok()
    }

    /// Each session's current connection: where its watch events go.
    pub fn outboxes(&self) -> MutexGuard<'_, HashMap<i64, Outbox>> {
        lock(&self.outboxes)
    }

    /// Closes every connection and stops accepting (an ensemble member that leaves its role:
    /// ZooKeeper shuts its server down and makes a new one for the next role). Clients move on
    /// to another server of the ensemble with their sessions.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Serves again after [`Shared::close`] (lab 10: the member has a role again).
    pub fn reopen(&self) {
        self.closed.send_replace(false);
    }

    /// Resolves once [`Shared::close`] was called.
    pub async fn closed(&self) {
        let mut rx = self.closed.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// The ensemble status `srvr` and `mntr` report.
    pub fn status(&self) -> QuorumStatus {
        lock(&self.status).clone()
    }

    pub fn set_status(&self, status: QuorumStatus) {
        *lock(&self.status) = status;
    }

    pub(crate) fn connection_count(&self) -> usize {
        lock(&self.connections).values().sum()
    }

    /// Counts a new connection from `ip`; `false` if `maxClientCnxns` (0: no limit) is reached.
    fn admit(&self, ip: IpAddr) -> bool {
        let limit = self.config.max_client_cnxns;
        let mut c = lock(&self.connections);
        let n = c.entry(ip).or_default();
        if limit != 0 && *n >= limit {
            return false;
        }
        *n += 1;
        true
    }

    fn release(&self, ip: IpAddr) {
        if let Some(n) = lock(&self.connections).get_mut(&ip) {
            *n = n.saturating_sub(1);
        }
    }
}

/// Serves `listener` until `shutdown` completes or the journal fails; expires silent sessions
/// every half tick.
pub async fn run(listener: TcpListener, shared: Arc<Shared>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    if let Some((requests, chain)) = lock(&shared.chain).take() {
        tokio::spawn(chain.run(shared.clone(), requests));
    }
    let mut tick = tokio::time::interval(Duration::from_millis(
        shared.config.tick_time.clamp(50, 2_000) as u64 / 2,
    ));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let ip = addr.ip();
                    if !shared.admit(ip) {
                        let limit = shared.config.max_client_cnxns;
                        tracing::warn!(%ip, limit, "too many connections from one address (maxClientCnxns); closing");
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        crate::server_cnxn::serve(stream, shared.clone()).await;
                        shared.release(ip);
                    });
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = tick.tick() => {
                if shared.failed.load(Ordering::Relaxed) {
                    break;
                }
                if !shared.local_expiry.load(Ordering::Relaxed) {
                    continue;
                }
                // An expiry is a closeSession transaction, through the same chain as writes.
                let now = now_ms();
                let due = shared.server().sessions.expire_due(now);
                for session in due {
                    shared.submit(Submitted::Expire { session, now_ms: now });
                }
            }
            _ = &mut shutdown => break,
            _ = shared.closed() => break,
        }
    }
}
