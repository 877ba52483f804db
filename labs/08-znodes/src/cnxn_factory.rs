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
use tokio::sync::mpsc;

use crate::config::ZooConfig;
use crate::journal::Journal;
use crate::proposer::{Proposer, StandaloneProposer};
use crate::request_processor::{run_chain, Outbox, Submitted};
use crate::server::ZkServer;

/// The wall clock in milliseconds, defined once for every lab (lab-common).
pub use lab_common::now_ms;

type Chain = (mpsc::UnboundedReceiver<Submitted>, Box<dyn Proposer>);

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
        let (submit, requests) = mpsc::unbounded_channel();
        Arc::new(Shared {
            server: Mutex::new(server),
            submit,
            chain: Mutex::new(Some((requests, proposer))),
            outboxes: Mutex::new(HashMap::new()),
            failed: AtomicBool::new(false),
            config,
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            connections: Mutex::new(HashMap::new()),
        })
    }

    /// The committed state.
    pub fn server(&self) -> MutexGuard<'_, ZkServer> {
        lock(&self.server)
    }

    /// Hands a request to the chain; `false` if the chain has stopped.
    pub(crate) fn submit(&self, request: Submitted) -> bool {
        self.submit.send(request).is_ok()
    }

    pub(crate) fn outboxes(&self) -> MutexGuard<'_, HashMap<i64, Outbox>> {
        lock(&self.outboxes)
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
    if let Some((requests, proposer)) = lock(&shared.chain).take() {
        tokio::spawn(run_chain(shared.clone(), requests, proposer));
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
                // An expiry is a closeSession transaction, through the same chain as writes.
                let now = now_ms();
                let due = shared.server().sessions.expire_due(now);
                for session in due {
                    shared.submit(Submitted::Expire { session, now_ms: now });
                }
            }
            _ = &mut shutdown => break,
        }
    }
}
