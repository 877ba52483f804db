//! Given: the controller running for real — the tokio shell around the pure core
//! (`controller`), on the broker's own ZooKeeper session (`zk_session`), as Kafka's
//! `KafkaController` runs on the broker's `KafkaZkClient`: `/controller` is an ephemeral of
//! that session, so the controller dies with its broker's session and no sooner.
//!
//! It does what `tests/sim` does for the simulated cluster, following the rules in `events`:
//!
//! ```text
//!  watch fires / tick ──> re-read (re-arming the watch) ──> core.step(event)
//!                                                              │ core.ready()
//!       answers (ControllerRegistered, ClusterLoaded) <── zk_ops, in order, each a multi
//!                                                              │ none failed
//!                                  ControllerChannelManager <── requests, in order per broker
//!  BrokerResponse <── mpsc <── one task per broker ─TCP─> broker (this one too)
//! ```
//!
//! Lab 08's client reads a watch notification only while a call is in flight, so the shell
//! pings every [`TICK`] and then looks at what arrived. It serves [`AdminRequest`]s between
//! events: one task owns the session, so ZooKeeper sees one request at a time from it.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use lab08_znodes::client::{state, WatchedEvent, ZkClient};
use tokio::sync::{mpsc, oneshot};

use crate::admin_zk_client;
use crate::controller::{Controller, Role};
use crate::controller_channel_manager::{ChannelResponse, ControllerChannelManager};
use crate::controller_commands::ControllerCommand;
use crate::events::{ControllerEvent, ZkOp};
use crate::failover::CommandAnswer;
use crate::failover_rules::FailoverRules;
use crate::kafka_zk_client::{KafkaZkClient, ZkFailure, ZkResult};
use crate::service::ControllerRequestsService;
use crate::zk_admin::AdminRequest;
use crate::zk_connect::ZkConnect;
use crate::zk_data::paths;

/// How often the shell pings, and so how soon it sees a watch fire.
pub const TICK: Duration = Duration::from_millis(100);
/// More rounds than this for one event means a core that never settles: a bug, logged.
const MAX_ROUNDS: usize = 10_000;

/// Why [`ControllerShell::run`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// The broker is shutting down.
    Stopped,
    /// The connection or the session is gone; the reason is for the log.
    Lost(String),
}

/// The four watches Kafka's controller keeps (`ControllerChangeHandler`,
/// `BrokerChangeHandler`, `TopicChangeHandler` with each topic's `PartitionModificationsHandler`,
/// `TopicDeletionHandler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Watch {
    Controller,
    BrokerIds,
    Topics,
    DeleteTopics,
    /// Lab 12: `IsrChangeNotificationHandler`.
    IsrChange,
}

/// The controller of one broker, across its sessions.
pub struct ControllerShell {
    core: Controller,
    connect: ZkConnect,
    service: Arc<ControllerRequestsService>,
    admin: mpsc::Receiver<AdminRequest>,
    channels: ControllerChannelManager,
    responses: mpsc::UnboundedReceiver<ChannelResponse>,
    /// ControlledShutdown and ElectLeaders from the request handlers (`controller_commands`),
    /// and how often the auto leader rebalance check runs: set by `with_failover`.
    commands: Option<mpsc::Receiver<ControllerCommand>>,
    rebalance_every: Option<Duration>,
    /// Whether this controller's term has armed the `/isr_change_notification` watch.
    isr_change_watched: bool,
}

impl ControllerShell {
    pub fn new(
        broker_id: i32,
        connect: ZkConnect,
        service: Arc<ControllerRequestsService>,
        admin: mpsc::Receiver<AdminRequest>,
    ) -> ControllerShell {
        let (responses_tx, responses) = mpsc::unbounded_channel();
        ControllerShell {
            core: Controller::new(broker_id),
            connect,
            service,
            admin,
            channels: ControllerChannelManager::new(broker_id, responses_tx),
            responses,
            commands: None,
            rebalance_every: None,
            isr_change_watched: false,
        }
    }

    /// With lab 13's failover rules: the core gets `rules`, the shell serves `commands` and
    /// steps `AutoLeaderRebalance` every `rebalance_every` (`None`: never).
    pub fn with_failover(
        mut self,
        rules: Arc<dyn FailoverRules>,
        commands: mpsc::Receiver<ControllerCommand>,
        rebalance_every: Option<Duration>,
    ) -> ControllerShell {
        self.core = self.core.with_failover_rules(rules);
        self.commands = Some(commands);
        self.rebalance_every = rebalance_every;
        self
    }

    /// Runs the controller on `zk`, a session on which this broker has just registered with
    /// `broker_epoch`, until the session is lost or `stop` fires.
    pub async fn run(
        &mut self,
        zk: &mut ZkClient,
        broker_epoch: i64,
        stop: &mut oneshot::Receiver<()>,
    ) -> SessionEnd {
        // Requests from a controller that knew the previous registration are refused now.
        self.service.set_broker_epoch(broker_epoch);
        self.isr_change_watched = false;
        let Some(mut notifications) = zk.events() else {
            return SessionEnd::Lost("the client's watch events were taken already".into());
        };
        if let Err(reason) = settle(self.on_watch(zk, Watch::Controller)).await {
            return SessionEnd::Lost(reason);
        }
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first rebalance check one interval after the session starts, as Kafka schedules it.
        let every = self.rebalance_every.unwrap_or(Duration::from_secs(3600));
        let mut rebalance = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        rebalance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Every branch's future is cancel-safe (channel receives, a timer): ZooKeeper is
            // only called in the handlers, which always run to their end or their timeout.
            let outcome = tokio::select! {
                _ = &mut *stop => return SessionEnd::Stopped,
                Some(answer) = self.responses.recv() => {
                    settle(self.on_response(zk, answer)).await
                }
                Some(request) = self.admin.recv() => {
                    let mut kzk = KafkaZkClient { zk: &mut *zk, connect: &self.connect };
                    settle(admin_zk_client::serve(&mut kzk, request)).await
                }
                Some(command) = next_command(&mut self.commands) => {
                    settle(self.on_command(zk, command)).await
                }
                _ = rebalance.tick(), if self.rebalance_every.is_some() => {
                    settle(self.step(zk, ControllerEvent::AutoLeaderRebalance)).await
                }
                _ = tick.tick() => settle(self.on_tick(zk, &mut notifications)).await,
            };
            if let Err(reason) = outcome {
                return SessionEnd::Lost(reason);
            }
        }
    }

    /// The session is gone: so are `/controller` and our registration. Resign at once.
    pub fn session_lost(&mut self) {
        self.core.step(ControllerEvent::SessionExpired);
        let _ = self.core.ready();
        self.channels.shutdown();
    }

    /// The broker stops: close every channel.
    pub fn shutdown(&mut self) {
        self.channels.shutdown();
    }

    /// While there is no session: every waiting admin request hears so now rather than
    /// waiting for one.
    pub fn refuse_admin_requests(&mut self) {
        let no_session = || crate::Error::ZooKeeper("the broker has no ZooKeeper session".into());
        while let Ok(request) = self.admin.try_recv() {
            match request {
                AdminRequest::CreateTopic { reply, .. }
                | AdminRequest::DeleteTopic { reply, .. } => {
                    let _ = reply.send(Err(no_session()));
                }
                AdminRequest::TopicConfig { reply, .. } => {
                    let _ = reply.send(Err(no_session()));
                }
                AdminRequest::UpdatePartitionState { reply, .. } => {
                    let _ = reply.send(Err(no_session()));
                }
                AdminRequest::CreateSequential { reply, .. } => {
                    let _ = reply.send(Err(no_session()));
                }
            }
        }
        if let Some(commands) = self.commands.as_mut() {
            while let Ok(command) = commands.try_recv() {
                command.refuse();
            }
        }
    }

    /// A ControlledShutdown or ElectLeaders: stepped as an event; the core's answer goes back.
    /// A session lost meanwhile drops the reply, and the handler answers NOT_CONTROLLER.
    async fn on_command(&mut self, zk: &mut ZkClient, command: ControllerCommand) -> ZkResult<()> {
        match command {
            ControllerCommand::ControlledShutdown {
                broker_id,
                broker_epoch,
                reply,
            } => {
                let event = ControllerEvent::ControlledShutdown {
                    broker_id,
                    broker_epoch,
                };
                self.step(zk, event).await?;
                if let Some(CommandAnswer::ControlledShutdown(answer)) = self.core.take_answer() {
                    let _ = reply.send(answer);
                }
            }
            ControllerCommand::ElectPreferredLeaders { partitions, reply } => {
                self.step(zk, ControllerEvent::ElectPreferredLeaders { partitions })
                    .await?;
                if let Some(CommandAnswer::ElectLeaders(answer)) = self.core.take_answer() {
                    let _ = reply.send(answer);
                }
            }
        }
        Ok(())
    }

    /// A ping (which reads the notifications that arrived), then each watch that fired, once.
    async fn on_tick(
        &mut self,
        zk: &mut ZkClient,
        notifications: &mut mpsc::UnboundedReceiver<WatchedEvent>,
    ) -> ZkResult<()> {
        zk.ping().await?;
        let mut fired = BTreeSet::new();
        while let Ok(event) = notifications.try_recv() {
            if event.kind == -1 {
                if event.state == state::SYNC_CONNECTED {
                    continue;
                }
                return Err(ZkFailure::Session(format!("session state {}", event.state)));
            }
            if let Some(watch) = self.watch_for(&event.path) {
                fired.insert(watch);
            }
        }
        // Lab 12: a controller that just took over reads (and watches) the ISR change
        // notifications once; `LoadCluster` arms the other watches.
        if self.core.is_active() && !self.isr_change_watched {
            self.isr_change_watched = true;
            fired.insert(Watch::IsrChange);
        }
        for watch in fired {
            self.on_watch(zk, watch).await?;
        }
        Ok(())
    }

    /// The watch a notification for `path` (with the chroot) belongs to.
    fn watch_for(&self, path: &str) -> Option<Watch> {
        let path = match &self.connect.chroot {
            Some(chroot) => path.strip_prefix(chroot.as_str())?,
            None => path,
        };
        let parent = &path[..path.rfind('/').unwrap_or(0)];
        match (path, parent) {
            (paths::CONTROLLER, _) => Some(Watch::Controller),
            (paths::BROKER_IDS, _) => Some(Watch::BrokerIds),
            (paths::TOPICS, _) | (_, paths::TOPICS) => Some(Watch::Topics),
            (paths::DELETE_TOPICS, _) => Some(Watch::DeleteTopics),
            (paths::ISR_CHANGE_NOTIFICATION, _) => Some(Watch::IsrChange),
            _ => None,
        }
    }

    /// Re-reads what `watch` covers (re-arming it) and steps the event. Only the controller
    /// cares about brokers, topics and deletions; the others let those watches lapse until
    /// they win (`LoadCluster` arms them all).
    async fn on_watch(&mut self, zk: &mut ZkClient, watch: Watch) -> ZkResult<()> {
        if watch != Watch::Controller && !self.core.is_active() {
            return Ok(());
        }
        let mut kzk = KafkaZkClient {
            zk: &mut *zk,
            connect: &self.connect,
        };
        let event = match watch {
            Watch::Controller => kzk.controller_changed().await?,
            Watch::BrokerIds => {
                let brokers = kzk.brokers().await?;
                self.channels.set_live_brokers(&brokers);
                ControllerEvent::BrokersChanged(brokers)
            }
            Watch::Topics => ControllerEvent::TopicsChanged(kzk.topics().await?),
            Watch::DeleteTopics => {
                ControllerEvent::TopicDeletionsChanged(kzk.topics_to_delete().await?)
            }
            Watch::IsrChange => kzk.isr_change_notifications().await?,
        };
        self.step(zk, event).await
    }

    async fn on_response(&mut self, zk: &mut ZkClient, answer: ChannelResponse) -> ZkResult<()> {
        // An answer to a request of an earlier term of ours is stale.
        if !self.core.is_active() || self.core.epoch() != answer.controller_epoch {
            return Ok(());
        }
        let event = ControllerEvent::BrokerResponse {
            broker_id: answer.broker_id,
            response: answer.response,
        };
        self.step(zk, event).await
    }

    /// Steps `event`, then carries out the core's `Ready`s until it has nothing more to do.
    async fn step(&mut self, zk: &mut ZkClient, event: ControllerEvent) -> ZkResult<()> {
        let was = self.core.role();
        let mut pending = VecDeque::from([event]);
        let mut refused = false;
        for _round in 0..MAX_ROUNDS {
            if pending.is_empty() {
                break;
            }
            for event in pending.drain(..) {
                self.core.step(event);
            }
            let ready = self.core.ready();
            let mut failed = false;
            let mut kzk = KafkaZkClient {
                zk: &mut *zk,
                connect: &self.connect,
            };
            for op in ready.zk_ops {
                let path = op_path(&op);
                match kzk.execute(op).await {
                    Ok(Some(ControllerEvent::ClusterLoaded(snapshot))) => {
                        // Channels to every live broker before the core asks to send.
                        self.channels.set_live_brokers(&snapshot.brokers);
                        pending.push_back(ControllerEvent::ClusterLoaded(snapshot));
                    }
                    Ok(Some(answer)) => pending.push_back(answer),
                    Ok(None) => {}
                    Err(ZkFailure::Refused { reason, .. }) => {
                        tracing::warn!("controller write refused, resigning: {reason}");
                        pending.push_back(ControllerEvent::ZkOpFailed { path, reason });
                        failed = true;
                        refused = true;
                        break;
                    }
                    Err(lost) => return Err(lost),
                }
            }
            if failed {
                continue; // what it was about to tell the brokers is not true
            }
            for r in ready.requests {
                if !self.channels.send(r.broker_id, r.request) {
                    tracing::debug!("no channel to broker {}: request dropped", r.broker_id);
                }
            }
        }
        if !pending.is_empty() {
            tracing::error!("the controller core did not settle after {MAX_ROUNDS} rounds");
        }
        self.after_step(was);
        if refused && !self.core.is_active() {
            self.give_up_controller(zk).await?;
        }
        Ok(())
    }

    fn after_step(&mut self, was: Role) {
        let now = self.core.role();
        if now == Role::Active && was != Role::Active {
            tracing::info!(
                "broker {} is the controller (epoch {}), brokers {:?}",
                self.core.broker_id(),
                self.core.epoch(),
                self.core.live_broker_ids()
            );
        }
        if now != Role::Active && now != Role::Loading {
            self.isr_change_watched = false;
            if was == Role::Active {
                tracing::info!("broker {} resigned as controller", self.core.broker_id());
            }
            self.channels.shutdown();
        }
    }

    /// Kafka's `triggerControllerMove`: a write refused for another reason than a successor
    /// (the core resigned, but `/controller` is still ours) would leave the cluster without a
    /// controller. Deleting our `/controller` fires everyone's watch: a new election.
    async fn give_up_controller(&mut self, zk: &mut ZkClient) -> ZkResult<()> {
        let path = self.connect.path(paths::CONTROLLER);
        if let Some(stat) = zk.exists(&path).await? {
            if stat.ephemeral_owner == zk.session_id {
                tracing::warn!("giving up {path} so that a new election runs");
                if let Err(e) = zk.delete(&path, stat.version).await {
                    if let ZkFailure::Session(reason) = ZkFailure::from(e) {
                        return Err(ZkFailure::Session(reason));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The next command, or never when the shell has no command channel (cancel-safe).
async fn next_command(
    commands: &mut Option<mpsc::Receiver<ControllerCommand>>,
) -> Option<ControllerCommand> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The path an op writes, for `ZkOpFailed`.
fn op_path(op: &ZkOp) -> String {
    match op {
        ZkOp::RegisterController { .. } => paths::CONTROLLER.to_string(),
        ZkOp::LoadCluster => String::new(),
        ZkOp::Create { path, .. }
        | ZkOp::SetData { path, .. }
        | ZkOp::DeleteRecursive { path, .. } => path.clone(),
    }
}

/// Runs one event's work to its end. `Err` only for a lost session (a refused write was
/// stepped as `ZkOpFailed` already).
///
/// There is no limit on the event as a whole: one event may carry thousands of ZooKeeper
/// calls (a new controller reads every partition's state; a dead broker's partitions each get
/// a new state znode), and on a busy machine they can take longer than a session timeout
/// although every answer comes quickly. Cutting such an event short dropped the session, the
/// next controller started the same work over and was cut short too: with 1,000 partitions no
/// controller ever finished. A server that stops answering is still noticed: lab 08's client
/// gives each answer one session timeout, as ZooKeeper's own client does, and every call
/// tells the server the session is alive.
async fn settle(work: impl Future<Output = ZkResult<()>>) -> Result<(), String> {
    match work.await {
        Ok(()) => Ok(()),
        Err(ZkFailure::Session(reason)) => Err(reason),
        Err(refused) => {
            // A read the shell needed was refused (say, a znode with data it cannot read):
            // logged; the next change of that znode tries again.
            tracing::warn!("{refused}");
            Ok(())
        }
    }
}
