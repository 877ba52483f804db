//! Given: the task that keeps a broker's ZooKeeper session, as Kafka's `ZooKeeperClient` does.
//!
//! It dials the servers of `zookeeper.connect` in order until one answers, registers (step 7),
//! then pings every third of the session timeout so the server keeps the session — and with it
//! the ephemeral `/brokers/ids/<id>`. When a ping fails, or gets no answer within two periods,
//! the connection is gone; this client
//! cannot resume a session on another server, so it starts a new one and registers again
//! (Kafka's `reinitialize` after `SessionExpired`). While the old session lives on in the
//! server (up to its timeout), its registration is still there and creating ours fails: the
//! loop retries until ZooKeeper has expired it. On shutdown it closes the session, so the
//! registration goes at once instead of after the timeout.
//!
//! In a cluster ([`BrokerSession::spawn_with_controller`]) the same session also runs the
//! broker's controller (`controller_shell`) and serves the request handlers' `ZkAdmin`: in
//! Kafka, `/controller` is an ephemeral of the broker's own session.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use lab08_znodes::client::ZkClient;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::broker_info::BrokerInfo;
use crate::controller_commands::ControllerCommand;
use crate::controller_shell::{ControllerShell, SessionEnd};
use crate::failover_rules::FailoverRules;
use crate::registration::{register, zk_error, Registration};
use crate::service::ControllerRequestsService;
use crate::zk_admin::AdminRequest;
use crate::zk_connect::ZkConnect;

/// Kafka 2.6's `zookeeper.session.timeout.ms` default.
pub const DEFAULT_SESSION_TIMEOUT_MS: i32 = 18_000;

/// What the session task needs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub connect: ZkConnect,
    pub info: BrokerInfo,
    pub session_timeout_ms: i32,
    /// Written to `/cluster/id` if no broker did yet.
    pub cluster_id: String,
}

/// The running session task.
pub struct BrokerSession {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    registered: watch::Receiver<Option<Registration>>,
}

impl BrokerSession {
    /// Starts the task (on the current tokio runtime): registration only.
    pub fn spawn(config: SessionConfig) -> BrokerSession {
        BrokerSession::start(config, None)
    }

    /// Starts the task of a broker in a cluster: it also runs the broker's controller, tells
    /// `service` each new broker epoch, and answers the `ZkAdmin` requests from `admin`.
    pub fn spawn_with_controller(
        config: SessionConfig,
        service: Arc<ControllerRequestsService>,
        admin: mpsc::Receiver<AdminRequest>,
    ) -> BrokerSession {
        let shell = ControllerShell::new(config.info.id, config.connect.clone(), service, admin);
        BrokerSession::start(config, Some(shell))
    }

    /// [`spawn_with_controller`](Self::spawn_with_controller) with lab 13's failover rules:
    /// the controller also serves `commands` (ControlledShutdown, ElectLeaders) and checks the
    /// leader balance every `rebalance_every`.
    pub fn spawn_with_failover(
        config: SessionConfig,
        service: Arc<ControllerRequestsService>,
        admin: mpsc::Receiver<AdminRequest>,
        rules: Arc<dyn FailoverRules>,
        commands: mpsc::Receiver<ControllerCommand>,
        rebalance_every: Option<Duration>,
    ) -> BrokerSession {
        let shell = ControllerShell::new(config.info.id, config.connect.clone(), service, admin)
            .with_failover(rules, commands, rebalance_every);
        BrokerSession::start(config, Some(shell))
    }

    fn start(config: SessionConfig, shell: Option<ControllerShell>) -> BrokerSession {
        let (stop, stop_rx) = oneshot::channel();
        let (tx, registered) = watch::channel(None);
        let task = tokio::spawn(run(config, shell, stop_rx, tx));
        BrokerSession {
            stop: Some(stop),
            task,
            registered,
        }
    }

    /// The current registration (`None` while there is no session).
    pub fn registration(&self) -> Option<Registration> {
        self.registered.borrow().clone()
    }

    /// Closes the session (its ephemerals go at once) and ends the task.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.task).await;
    }
}

/// A new cluster id as Kafka makes one: 16 random bytes in URL-safe base64 without padding.
pub fn new_cluster_id() -> String {
    let mut bytes = Vec::with_capacity(16);
    for _ in 0..2 {
        // RandomState is seeded from the OS: two fresh ones give independent hashes.
        let mut h = RandomState::new().build_hasher();
        h.write_u64(std::process::id() as u64);
        bytes.extend_from_slice(&h.finish().to_be_bytes());
    }
    base64_url(&bytes)
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

async fn run(
    config: SessionConfig,
    mut shell: Option<ControllerShell>,
    mut stop: oneshot::Receiver<()>,
    registered: watch::Sender<Option<Registration>>,
) {
    let ping_every = Duration::from_millis((config.session_timeout_ms / 3).max(100) as u64);
    loop {
        let attempt = async {
            let mut zk = connect_any(&config.connect, config.session_timeout_ms).await?;
            match register(&mut zk, &config.connect, &config.info, &config.cluster_id).await {
                Ok(r) => Ok((zk, r)),
                Err(e) => {
                    // Give the half-made session back at once, not after its timeout.
                    let _ = zk.close().await;
                    Err(e)
                }
            }
        };
        // A server that accepts and then never answers (paused, partitioned) does not hold the
        // broker forever: the client gives each answer one session timeout. The registration as
        // a whole has no limit of its own: on a slow ensemble (Java under software emulation)
        // its dozen writes may take longer than one session timeout, and starting over would
        // only repeat them.
        let outcome = tokio::select! {
            outcome = attempt => outcome,
            _ = &mut stop => return,
        };
        match outcome {
            Ok((mut zk, registration)) => {
                tracing::info!(
                    "registered {} in ZooKeeper (session 0x{:x}, broker epoch {}, cluster id {})",
                    config
                        .connect
                        .path(&crate::zk_data::paths::broker_id(config.info.id)),
                    zk.session_id,
                    registration.broker_epoch,
                    registration.cluster_id
                );
                let broker_epoch = registration.broker_epoch;
                let _ = registered.send(Some(registration));
                let end = match shell.as_mut() {
                    Some(shell) => shell.run(&mut zk, broker_epoch, &mut stop).await,
                    None => keep_alive(&mut zk, ping_every, &mut stop).await,
                };
                match end {
                    SessionEnd::Stopped => {
                        if let Some(shell) = shell.as_mut() {
                            shell.shutdown();
                        }
                        let _ = zk.close().await;
                        return;
                    }
                    SessionEnd::Lost(reason) => {
                        tracing::warn!("lost the ZooKeeper session: {reason}; starting a new one");
                        if let Some(shell) = shell.as_mut() {
                            shell.session_lost();
                        }
                    }
                }
                let _ = registered.send(None);
            }
            Err(e) => tracing::warn!("cannot register in ZooKeeper yet: {e}; retrying"),
        }
        // No session now: a request handler waiting on ZooKeeper hears so instead of waiting.
        if let Some(shell) = shell.as_mut() {
            shell.refuse_admin_requests();
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = &mut stop => return,
        }
    }
}

/// A session that only keeps the registration: a ping every `ping_every`.
async fn keep_alive(
    zk: &mut ZkClient,
    ping_every: Duration,
    stop: &mut oneshot::Receiver<()>,
) -> SessionEnd {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(ping_every) => {}
            _ = &mut *stop => return SessionEnd::Stopped,
        }
        // Kafka's client gives a silent server two thirds of the session timeout (its read
        // timeout); two ping periods is the same.
        match tokio::time::timeout(2 * ping_every, zk.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return SessionEnd::Lost(e.to_string()),
            Err(_) => return SessionEnd::Lost("ZooKeeper did not answer a ping".into()),
        }
    }
}

/// The first server of `zookeeper.connect` that gives a session.
async fn connect_any(connect: &ZkConnect, timeout_ms: i32) -> crate::Result<ZkClient> {
    let mut last = None;
    for (host, port) in &connect.servers {
        match ZkClient::connect(&format!("{host}:{port}"), timeout_ms).await {
            Ok(zk) => return Ok(zk),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map(zk_error).unwrap_or_else(|| {
        crate::Error::ZooKeeper("zookeeper.connect lists no server".to_string())
    }))
}
