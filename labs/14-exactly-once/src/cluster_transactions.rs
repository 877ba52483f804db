//! Given: transactions on a broker of a cluster (`kafka-server-start` with `zookeeper.connect`)
//! — the same coordinator as a broker alone ([`TxnShell`] around step 4's pure core), placed
//! and fed the way Kafka 2.6 does it.
//!
//! ```text
//! FindCoordinator(key type 1, id) ──▶ the leader of __transaction_state-<abs(hash(id)) % 50>
//!                                     (created like __consumer_offsets; COORDINATOR_NOT_AVAILABLE
//!                                     until it has a leader)
//! LeaderAndIsr makes this broker      ──▶ load that partition from the local log, coordinator
//!   leader of __transaction_state-p        epoch = its leader epoch; follower ──▶ unload
//!                                          (lab 11's `leadership` hook, Kafka's onLeadershipChange)
//! InitProducerId/AddPartitions/       ──▶ the coordinator here (NOT_COORDINATOR for an id whose
//!   AddOffsets/EndTxn                      partition this broker does not lead), answered once
//!                                          the record is replicated
//! a decided transaction's markers     ──▶ `cluster_txn_markers`: written here for partitions led
//!                                          here, WriteTxnMarkers to the other leaders
//! TxnOffsetCommit (at the group       ──▶ `cluster_txn_offsets`: a transactional batch in the
//!   coordinator)                           group's __consumer_offsets partition, replicated
//!                                          before the answer; its marker applies or drops it
//! Fetch, isolation_level 1            ──▶ cut at the last stable offset, aborted transactions
//! ```
//!
//! Everything a transaction decides is in a log before anyone is answered: its state in
//! `__transaction_state`, its markers in each partition, its offsets and their marker in
//! `__consumer_offsets`. A broker that dies is replaced by the leader its followers' copies
//! make, which loads the same decisions. The markers reach followers as ordinary batches: a
//! follower's producer state and `.txnindex` learn the end of each transaction from them
//! (`cluster_producers`), so a follower that becomes leader answers `read_committed` fetches
//! the same, and refuses a marker from a coordinator older than the last one it saw.
//!
//! Shortcuts, labelled: the partition count of `__transaction_state` is
//! `transaction.state.log.num.partitions` of this broker (every broker must agree on it); a
//! `__consumer_offsets` cleaning knows nothing of transactions (Kafka's cleaner keeps an open
//! transaction's records and removes aborted ones).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use lab04_protocol_codec::{ErrorCode, FetchRequest};
use lab05_broker::shared::now_ms;
use lab05_broker::{RequestContext, Router, Service, Shared};
use lab07_consumer_groups::messages::find_coordinator::{
    FindCoordinatorRequest, FindCoordinatorResponse,
};
use lab07_consumer_groups::GroupService;
use lab11_controller::group_placement::{
    coordinator_endpoint, create_internal_topic, internal_topic_coordinator, no_coordinator,
    Coordinator, InternalTopic,
};
use lab11_controller::leadership::LeadershipListener;
use lab11_controller::{ClusterGroupService, ControllerRequestsService, TopicPartition as Tp};
use lab12_replication::replication_service::{self, ReplicationService};

use crate::messages::txn_offset_commit::TxnOffsetCommitRequest;
use crate::messages::write_txn_markers::WriteTxnMarkersRequest;
use crate::service::read_committed;
use crate::transaction_coordinator::{TxnRequest, TxnResponse};
use crate::transaction_log::{partition_for, TRANSACTION_STATE_TOPIC};
use crate::transaction_metadata::TopicPartition;
use crate::transaction_shell::TxnShell;
use crate::transaction_state_manager::TransactionConfig;
use crate::txn_apis::{route_coordinator_apis, Coordinate};

/// How often the high watermarks of `__transaction_state` are looked at while appends wait.
const HIGH_WATERMARK_CHECK: Duration = Duration::from_millis(5);
/// How long a request waits for its record to be replicated (Kafka's `request.timeout.ms` is
/// 30 s).
pub(crate) const APPEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Each partition's leader by the metadata cache (live brokers only), taken before the
/// coordinator's lock.
pub(crate) struct Leaders {
    pub(crate) me: i32,
    pub(crate) leaders: BTreeMap<TopicPartition, i32>,
}

impl Leaders {
    pub(crate) fn leader_of(&self) -> impl Fn(&TopicPartition) -> Option<i32> + '_ {
        |tp| self.leaders.get(tp).copied()
    }
}

/// The coordinator and the requests waiting for its answer (their records are in the log,
/// not yet below the high watermark).
pub(crate) struct Coordinating {
    pub(crate) shell: TxnShell,
    waiting: BTreeMap<u64, oneshot::Sender<TxnResponse>>,
}

impl Coordinating {
    /// Hands answers to the requests waiting for them; returns the one of `mine`, if ready.
    pub(crate) fn deliver(
        &mut self,
        answers: Vec<(u64, TxnResponse)>,
        mine: Option<u64>,
    ) -> Option<TxnResponse> {
        let mut found = None;
        for (id, answer) in answers {
            if Some(id) == mine {
                found = Some(answer);
            } else if let Some(waiter) = self.waiting.remove(&id) {
                let _ = waiter.send(answer);
            }
        }
        found
    }
}

pub struct ClusterTransactions {
    pub(crate) controller: Arc<ControllerRequestsService>,
    pub(crate) groups: Arc<GroupService>,
    pub(crate) group_service: Arc<ClusterGroupService>,
    replication: Arc<ReplicationService>,
    config: TransactionConfig,
    /// Taken before the broker's lock (and lab 07's state lock after both); the metadata
    /// cache's lock is never held with it.
    txn: Mutex<Coordinating>,
    pub(crate) me: Weak<ClusterTransactions>,
}

impl ClusterTransactions {
    /// Starts unloaded (partitions load as LeaderAndIsr makes this broker their leader), with
    /// the coordinator's clock. Call inside a tokio runtime, after
    /// [`crate::cluster_producers::open`].
    pub fn open(
        controller: Arc<ControllerRequestsService>,
        groups: Arc<GroupService>,
        group_service: Arc<ClusterGroupService>,
        replication: Arc<ReplicationService>,
        config: TransactionConfig,
    ) -> Arc<ClusterTransactions> {
        let mut shell = TxnShell::unloaded(&controller.shared().broker(), config, now_ms());
        shell.wait_for_high_watermark();
        let txn = Coordinating {
            shell,
            waiting: BTreeMap::new(),
        };
        let service = Arc::new_cyclic(|me| ClusterTransactions {
            controller,
            groups,
            group_service,
            replication,
            config,
            txn: Mutex::new(txn),
            me: me.clone(),
        });
        let listener: Arc<dyn LeadershipListener> = service.clone();
        service.controller.leadership.add(Arc::downgrade(&listener));
        let weak = Arc::downgrade(&service);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            loop {
                interval.tick().await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                service.tick();
            }
        });
        // The high watermarks of `__transaction_state` move as followers fetch: look often
        // while appends wait for them.
        let weak = Arc::downgrade(&service);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(HIGH_WATERMARK_CHECK);
            loop {
                interval.tick().await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                service.complete_replicated();
            }
        });
        service
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        self.controller.shared()
    }

    pub(crate) fn txn(&self) -> MutexGuard<'_, Coordinating> {
        self.txn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn leaders(&self) -> Leaders {
        let cache = self.controller.cache();
        let view = &cache.view;
        let leaders = view
            .metadata
            .iter()
            .filter(|(_, s)| s.leader >= 0 && view.live_brokers.contains_key(&s.leader))
            .map(|(tp, s)| ((tp.topic.clone(), tp.partition), s.leader))
            .collect();
        Leaders {
            me: view.broker_id,
            leaders,
        }
    }

    /// One request to the coordinator, answered once its record is replicated (or at once
    /// when it needs none); markers for other leaders leave in the background. No answer
    /// within [`APPEND_TIMEOUT`]: COORDINATOR_NOT_AVAILABLE, and the client asks again.
    async fn coordinate_replicated(&self, request: TxnRequest) -> Option<TxnResponse> {
        let l = self.leaders();
        let (answer, remote) = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            let (id, answers, remote) = txn.shell.request_later(
                &mut broker,
                &self.groups,
                request,
                now_ms(),
                &l.leader_of(),
            );
            let answer = match txn.deliver(answers, Some(id)) {
                Some(answer) => Ok(answer),
                None => {
                    let (tx, rx) = oneshot::channel();
                    txn.waiting.insert(id, tx);
                    Err(rx)
                }
            };
            (answer, remote)
        };
        self.shared().appended.notify_waiters();
        self.send_markers(remote);
        match answer {
            Ok(answer) => Some(answer),
            Err(rx) => match tokio::time::timeout(APPEND_TIMEOUT, rx).await {
                Ok(Ok(answer)) => Some(answer),
                _ => None,
            },
        }
    }

    fn tick(&self) {
        let l = self.leaders();
        let remote = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            let (answers, remote) =
                txn.shell
                    .tick_with(&mut broker, &self.groups, now_ms(), &l.leader_of());
            txn.deliver(answers, None);
            remote
        };
        self.shared().appended.notify_waiters();
        self.send_markers(remote);
    }

    /// The appends the high watermark passed count now: answers and markers follow.
    fn complete_replicated(&self) {
        if !self.txn().shell.has_unreplicated() {
            return;
        }
        let l = self.leaders();
        let remote = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            let (answers, remote) =
                txn.shell
                    .complete_replicated(&mut broker, &self.groups, now_ms(), &l.leader_of());
            txn.deliver(answers, None);
            remote
        };
        self.shared().appended.notify_waiters();
        self.send_markers(remote);
    }

    /// FindCoordinator with key type 1: the leader of the id's `__transaction_state`
    /// partition; the topic is created on first use (not before
    /// `transaction.state.log.replication.factor` brokers are alive).
    async fn transaction_coordinator(&self, transactional_id: &str) -> FindCoordinatorResponse {
        let partition = partition_for(transactional_id, self.config.transaction_log_num_partitions);
        let found = internal_topic_coordinator(
            &self.controller.cache(),
            TRANSACTION_STATE_TOPIC,
            partition,
        );
        match found {
            Coordinator::NoOffsetsTopic => {
                let topic = InternalTopic {
                    name: TRANSACTION_STATE_TOPIC,
                    partitions: self.config.transaction_log_num_partitions,
                    replication_factor: self
                        .controller
                        .cluster_config()
                        .transaction_state_log_replication_factor,
                    what: "the transactions topic",
                    key: "transaction.state.log.replication.factor",
                };
                let (_, message) =
                    create_internal_topic(&self.controller, &topic, BTreeMap::new()).await;
                no_coordinator(ErrorCode::CoordinatorNotAvailable, message)
            }
            Coordinator::NotAvailable => no_coordinator(ErrorCode::CoordinatorNotAvailable, None),
            Coordinator::Broker(id) => coordinator_endpoint(&self.controller.cache(), id),
        }
    }
}

impl Coordinate for ClusterTransactions {
    async fn coordinate(self: Arc<Self>, request: TxnRequest) -> Option<TxnResponse> {
        self.coordinate_replicated(request).await
    }
}

/// Kafka's `TransactionCoordinator.onElection` / `onResignation`: a new leader of a
/// `__transaction_state` partition loads it from its log at coordinator epoch = the leader
/// epoch (decided transactions get their markers again at the next tick); a follower drops it.
impl LeadershipListener for ClusterTransactions {
    fn on_election(&self, tp: &Tp, leader_epoch: i32) {
        if tp.topic != TRANSACTION_STATE_TOPIC {
            return;
        }
        let p = tp.partition;
        let mut txn = self.txn();
        let broker = self.shared().broker();
        let owned = txn
            .shell
            .coordinator
            .state
            .owned_partitions
            .get(&p)
            .copied();
        if broker.partition(TRANSACTION_STATE_TOPIC, p).is_none() || owned == Some(leader_epoch) {
            return;
        }
        tracing::info!("coordinates {TRANSACTION_STATE_TOPIC}-{p} at epoch {leader_epoch}");
        if owned.is_some() {
            // Led again at a newer epoch: start over from the log.
            txn.shell.unload_partition(p);
        }
        txn.shell.load_partition(&broker, p, leader_epoch);
    }

    fn on_resignation(&self, tp: &Tp) {
        if tp.topic != TRANSACTION_STATE_TOPIC {
            return;
        }
        let mut txn = self.txn();
        if txn
            .shell
            .coordinator
            .state
            .owned_partitions
            .contains_key(&tp.partition)
        {
            tracing::info!(
                "no longer coordinating {TRANSACTION_STATE_TOPIC}-{}",
                tp.partition
            );
            txn.shell.unload_partition(tp.partition);
        }
    }
}

impl Service for ClusterTransactions {
    fn routes(self: Arc<Self>, router: &mut Router) {
        route_coordinator_apis(router, &self);
        let s = self.clone();
        router.route(move |_: RequestContext, r: TxnOffsetCommitRequest| {
            let s = s.clone();
            async move { Ok(Some(s.txn_offset_commit(r).await)) }
        });
        let s = self.clone();
        router.route(move |_: RequestContext, r: WriteTxnMarkersRequest| {
            let answer = s.write_txn_markers(&r);
            async move { Ok(Some(answer)) }
        });
        let s = self.clone();
        router.route(move |_: RequestContext, r: FindCoordinatorRequest| {
            let s = s.clone();
            async move {
                if r.key_type == 1 {
                    return Ok(Some(s.transaction_coordinator(&r.key).await));
                }
                Ok(Some(s.group_service.find_coordinator(r).await))
            }
        });
        let s = self;
        router.route(move |ctx: RequestContext, r: FetchRequest| {
            let s = s.clone();
            async move {
                let request = r.clone();
                let mut answer = replication_service::fetch(s.replication.clone(), ctx, r).await?;
                if let Some(response) = answer.as_mut() {
                    read_committed(&s.shared().broker(), &request, response);
                }
                Ok(answer)
            }
        });
    }
}
