//! Given: transactions on a broker of a cluster (`kafka-server-start` with `zookeeper.connect`)
//! — the same coordinator as a broker alone ([`TxnShell`] around step 4's pure core), placed
//! and fed the way Kafka 2.6 does it.
//!
//! ```text
//! FindCoordinator(key type 1, id) ──▶ the leader of __transaction_state-<abs(hash(id)) % 50>
//!                                     (created like __consumer_offsets; COORDINATOR_NOT_AVAILABLE
//!                                     until it has a leader)
//! LeaderAndIsr makes this broker      ──▶ load that partition from the local log, coordinator
//!   leader of __transaction_state-p        epoch = its leader epoch; stop leading ──▶ unload
//! InitProducerId/AddPartitions/       ──▶ the coordinator here (NOT_COORDINATOR for an id whose
//!   AddOffsets/EndTxn                      partition this broker does not lead)
//! a decided transaction's markers     ──▶ written here for partitions led here; WriteTxnMarkers
//!                                         to the leader (UpdateMetadata cache, inter-broker
//!                                         listener) for the others; NOT_LEADER_OR_FOLLOWER or no
//!                                         answer: sent again after a pause, to the leader of then
//! TxnOffsetCommit (at the group       ──▶ kept by producer id until the marker for the group's
//!   coordinator)                          __consumer_offsets partition: stored or dropped
//! Fetch, isolation_level 1            ──▶ cut at the last stable offset, aborted transactions
//! ```
//!
//! The markers reach followers as ordinary batches: a follower's producer state and `.txnindex`
//! learn the end of each transaction from them (`cluster_producers`), so a follower that
//! becomes leader answers `read_committed` fetches the same.
//!
//! When does this broker learn it leads a `__transaction_state` partition? Kafka calls
//! `onLeadershipChange` from LeaderAndIsr. Here, labelled as a shortcut, every request to the
//! coordinator and its one-second clock first compare what LeaderAndIsr left in the metadata
//! cache with what the coordinator owns, and load or unload the difference — the same steps, a
//! moment later.
//!
//! Shortcuts, labelled: appends to `__transaction_state` are answered once they are in the
//! leader's log, not once the ISR has them (Kafka waits for acks=all: a coordinator that dies
//! before its followers copied a record may lose that record, and its new leader then finishes
//! the transaction by the last record it has); the partition count of `__transaction_state` is
//! `transaction.state.log.num.partitions` of this broker (every broker must agree on it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::oneshot;

use lab04_protocol_codec::{ErrorCode, FetchRequest};
use lab05_broker::shared::now_ms;
use lab05_broker::{Broker, RequestContext, Router, Service, Shared};
use lab07_consumer_groups::messages::find_coordinator::{
    FindCoordinatorRequest, FindCoordinatorResponse,
};
use lab07_consumer_groups::GroupService;
use lab11_controller::group_placement::{
    create_internal_topic, internal_topic_coordinator, Coordinator, InternalTopic,
};
use lab11_controller::{ClusterGroupService, ControllerRequestsService};
use lab12_replication::replication_service::{self, ReplicationService};
use lab13_failover::controller_client::{decode_body, exchange};

use crate::errors::Errors;
use crate::messages::add_offsets_to_txn::AddOffsetsToTxnRequest;
use crate::messages::add_partitions_to_txn::AddPartitionsToTxnRequest;
use crate::messages::end_txn::EndTxnRequest;
use crate::messages::init_producer_id::InitProducerIdRequest;
use crate::messages::txn_offset_commit::TxnOffsetCommitRequest;
use crate::messages::write_txn_markers::{self, WriteTxnMarkersRequest, WriteTxnMarkersResponse};
use crate::service::{self as apis, read_committed, TxnApi};
use crate::transaction_coordinator::{TxnRequest, TxnResponse};
use crate::transaction_log::{partition_for, TRANSACTION_STATE_TOPIC};
use crate::transaction_metadata::TopicPartition;
use crate::transaction_shell::{RemoteMarkers, TxnShell};
use crate::transaction_state_manager::TransactionConfig;

/// How often the high watermarks of `__transaction_state` are looked at while appends wait.
const HIGH_WATERMARK_CHECK: Duration = Duration::from_millis(5);
/// How long a request waits for its record to be replicated (Kafka's `request.timeout.ms` is
/// 30 s).
const APPEND_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a marker the leader refused (or did not answer) waits before it is sent again.
const MARKER_RETRY_BACKOFF: Duration = Duration::from_millis(500);

/// What the metadata cache says, taken before the coordinator's lock.
struct Leadership {
    me: i32,
    /// Each partition's leader (live brokers only).
    leaders: BTreeMap<TopicPartition, i32>,
    /// The `__transaction_state` partitions LeaderAndIsr made this broker lead, with their
    /// leader epochs (the coordinator epochs).
    led: BTreeMap<i32, i32>,
}

impl Leadership {
    fn leader_of(&self) -> impl Fn(&TopicPartition) -> Option<i32> + '_ {
        |tp| self.leaders.get(tp).copied()
    }
}

/// The coordinator and the requests waiting for its answer (their records are in the log,
/// not yet below the high watermark).
struct Coordinating {
    shell: TxnShell,
    waiting: BTreeMap<u64, oneshot::Sender<TxnResponse>>,
}

impl Coordinating {
    /// Hands answers to the requests waiting for them; returns the one of `mine`, if ready.
    fn deliver(
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
    controller: Arc<ControllerRequestsService>,
    groups: Arc<GroupService>,
    group_service: Arc<ClusterGroupService>,
    replication: Arc<ReplicationService>,
    config: TransactionConfig,
    /// Taken before the broker's lock (and lab 07's state lock after both); the metadata
    /// cache's lock is never held with it.
    txn: Mutex<Coordinating>,
    me: Weak<ClusterTransactions>,
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

    fn shared(&self) -> &Arc<Shared> {
        self.controller.shared()
    }

    fn txn(&self) -> MutexGuard<'_, Coordinating> {
        self.txn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn leadership(&self) -> Leadership {
        let cache = self.controller.cache();
        let view = &cache.view;
        let leaders = view
            .metadata
            .iter()
            .filter(|(_, s)| s.leader >= 0 && view.live_brokers.contains_key(&s.leader))
            .map(|(tp, s)| ((tp.topic.clone(), tp.partition), s.leader))
            .collect();
        let led = view
            .replicas
            .iter()
            .filter(|(tp, s)| tp.topic == TRANSACTION_STATE_TOPIC && s.leader == view.broker_id)
            .map(|(tp, s)| (tp.partition, s.leader_epoch))
            .collect();
        Leadership {
            me: view.broker_id,
            leaders,
            led,
        }
    }

    /// Loads the `__transaction_state` partitions this broker leads now and did not coordinate
    /// (or coordinated at an older epoch), unloads those it no longer leads.
    fn sync_leadership(txn: &mut TxnShell, broker: &Broker, l: &Leadership) {
        let owned = txn.coordinator.state.owned_partitions.clone();
        for (p, epoch) in &l.led {
            let here = broker.partition(TRANSACTION_STATE_TOPIC, *p).is_some();
            if here && owned.get(p) != Some(epoch) {
                tracing::info!(
                    "broker {} coordinates {TRANSACTION_STATE_TOPIC}-{p} at epoch {epoch}",
                    l.me
                );
                if owned.contains_key(p) {
                    // Led again at a newer epoch: start over from the log.
                    txn.unload_partition(*p);
                }
                txn.load_partition(broker, *p, *epoch);
            }
        }
        for p in owned.keys().filter(|p| !l.led.contains_key(p)) {
            tracing::info!(
                "broker {} no longer coordinates {TRANSACTION_STATE_TOPIC}-{p}",
                l.me
            );
            txn.unload_partition(*p);
        }
    }

    /// One request to the coordinator, answered once its record is replicated (or at once
    /// when it needs none); markers for other leaders leave in the background. No answer
    /// within [`APPEND_TIMEOUT`]: COORDINATOR_NOT_AVAILABLE, and the client asks again.
    async fn coordinate(&self, request: TxnRequest) -> Option<TxnResponse> {
        let l = self.leadership();
        let (answer, remote) = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            Self::sync_leadership(&mut txn.shell, &broker, &l);
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

    /// A transactional API, answered by the coordinator.
    async fn answer<R: TxnApi>(&self, r: R) -> R::Response {
        let answer = self.coordinate(r.txn_request()).await;
        r.txn_response(answer)
    }

    fn tick(&self) {
        let l = self.leadership();
        let remote = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            Self::sync_leadership(&mut txn.shell, &broker, &l);
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
        let l = self.leadership();
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

    /// The address of broker `id` on the inter-broker listener, by the last UpdateMetadata.
    fn address_of(&self, id: i32) -> Option<String> {
        let cache = self.controller.cache();
        let broker = cache.view.live_brokers.get(&id)?;
        let ep = broker
            .endpoints
            .iter()
            .find(|ep| ep.listener == cache.listener)?;
        Some(format!("{}:{}", ep.host, ep.port))
    }

    /// Sends each WriteTxnMarkers to its leader in a task of its own; the answers go back to
    /// the coordinator (which queues a refused marker again for the leader of then).
    fn send_markers(&self, remote: RemoteMarkers) {
        for (leader, request) in remote {
            let Some(service) = self.me.upgrade() else {
                return;
            };
            let address = self.address_of(leader);
            tokio::spawn(async move {
                let response = match &address {
                    Some(address) => send_write_txn_markers(address, &request).await,
                    None => Err(format!("broker {leader} has no known address")),
                };
                let results = marker_results(&request, response.as_ref().ok());
                if let Err(e) = &response {
                    tracing::warn!("WriteTxnMarkers to broker {leader}: {e}");
                }
                if results.iter().any(|(_, _, e)| *e != Errors::None) {
                    tokio::time::sleep(MARKER_RETRY_BACKOFF).await;
                }
                service.on_marker_results(&results);
            });
        }
    }

    fn on_marker_results(&self, results: &[(i64, TopicPartition, Errors)]) {
        let l = self.leadership();
        let remote = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            let (answers, remote) = txn.shell.on_marker_results(
                &mut broker,
                &self.groups,
                results,
                now_ms(),
                &l.leader_of(),
            );
            txn.deliver(answers, None);
            remote
        };
        self.shared().appended.notify_waiters();
        self.send_markers(remote);
    }

    /// WriteTxnMarkers at a partition leader: each marker appended to each partition this
    /// broker leads; NOT_LEADER_OR_FOLLOWER for the others (the coordinator asks again).
    fn write_txn_markers(&self, r: &WriteTxnMarkersRequest) -> WriteTxnMarkersResponse {
        let l = self.leadership();
        let mut answer = Vec::new();
        {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            for m in &r.markers {
                let mut topics = Vec::new();
                for (topic, partitions) in &m.topics {
                    let mut results = Vec::new();
                    for p in partitions {
                        let tp = (topic.clone(), *p);
                        let error = if l.leaders.get(&tp) != Some(&l.me) {
                            Errors::NotLeaderOrFollower
                        } else {
                            let groups = &self.groups;
                            txn.shell
                                .write_marker(&mut broker, groups, m, topic, *p, now_ms())
                        };
                        results.push((*p, error));
                    }
                    topics.push((topic.clone(), results));
                }
                answer.push((m.producer_id, topics));
            }
        }
        self.shared().appended.notify_waiters();
        WriteTxnMarkersResponse { markers: answer }
    }

    /// TxnOffsetCommit at the group's coordinator: the offsets wait for the transaction's
    /// marker on the group's `__consumer_offsets` partition.
    fn txn_offset_commit(
        &self,
        r: TxnOffsetCommitRequest,
    ) -> crate::messages::txn_offset_commit::TxnOffsetCommitResponse {
        if !self.group_service.is_coordinator(&r.group_id) {
            return apis::txn_offset_commit_response(r, Errors::NotCoordinator);
        }
        let offsets = apis::txn_offset_records(&r, now_ms());
        self.txn().shell.add_pending_offsets(r.producer_id, offsets);
        apis::txn_offset_commit_response(r, Errors::None)
    }

    /// FindCoordinator with key type 1: the leader of the id's `__transaction_state`
    /// partition; the topic is created on first use (not before
    /// `transaction.state.log.replication.factor` brokers are alive).
    async fn transaction_coordinator(&self, transactional_id: &str) -> FindCoordinatorResponse {
        let refuse = |error_code, error_message| FindCoordinatorResponse {
            error_code,
            error_message,
            node_id: -1,
            host: String::new(),
            port: -1,
        };
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
                refuse(ErrorCode::CoordinatorNotAvailable, message)
            }
            Coordinator::NotAvailable => refuse(ErrorCode::CoordinatorNotAvailable, None),
            Coordinator::Broker(id) => {
                let cache = self.controller.cache();
                let listener = cache.client_listener();
                let endpoint = cache
                    .view
                    .live_brokers
                    .get(&id)
                    .and_then(|b| b.endpoints.iter().find(|ep| ep.listener == listener));
                match endpoint {
                    Some(ep) => FindCoordinatorResponse {
                        error_code: ErrorCode::None,
                        error_message: None,
                        node_id: id,
                        host: ep.host.clone(),
                        port: ep.port,
                    },
                    None => refuse(ErrorCode::CoordinatorNotAvailable, None),
                }
            }
        }
    }
}

/// One WriteTxnMarkers (v0) to the leader at `address`.
async fn send_write_txn_markers(
    address: &str,
    request: &WriteTxnMarkersRequest,
) -> Result<WriteTxnMarkersResponse, String> {
    let spec = write_txn_markers::SPEC;
    let body = exchange(address, spec, 0, |e| request.encode(e)).await?;
    decode_body(&body, spec, 0, WriteTxnMarkersResponse::decode)
}

/// Each marker's result by the leader's answer; a marker the answer does not mention (or no
/// answer at all) reads as UNKNOWN_SERVER_ERROR, which sends it again.
fn marker_results(
    request: &WriteTxnMarkersRequest,
    response: Option<&WriteTxnMarkersResponse>,
) -> Vec<(i64, TopicPartition, Errors)> {
    let mut results = Vec::new();
    for m in &request.markers {
        for (topic, partitions) in &m.topics {
            for p in partitions {
                let error = response
                    .and_then(|r| r.markers.iter().find(|(pid, _)| *pid == m.producer_id))
                    .and_then(|(_, topics)| topics.iter().find(|(t, _)| t == topic))
                    .and_then(|(_, ps)| ps.iter().find(|(q, _)| q == p))
                    .map_or(Errors::UnknownServerError, |(_, e)| *e);
                results.push((m.producer_id, (topic.clone(), *p), error));
            }
        }
    }
    results
}

impl Service for ClusterTransactions {
    fn routes(self: Arc<Self>, router: &mut Router) {
        let s = self.clone();
        router.route(move |_: RequestContext, r: InitProducerIdRequest| {
            let s = s.clone();
            async move { Ok(Some(s.answer(r).await)) }
        });
        let s = self.clone();
        router.route(move |_: RequestContext, r: AddPartitionsToTxnRequest| {
            let s = s.clone();
            async move { Ok(Some(s.answer(r).await)) }
        });
        let s = self.clone();
        router.route(move |_: RequestContext, r: AddOffsetsToTxnRequest| {
            let s = s.clone();
            async move { Ok(Some(s.answer(r).await)) }
        });
        let s = self.clone();
        router.route(move |_: RequestContext, r: EndTxnRequest| {
            let s = s.clone();
            async move { Ok(Some(s.answer(r).await)) }
        });
        let s = self.clone();
        router.route(move |_: RequestContext, r: TxnOffsetCommitRequest| {
            let answer = s.txn_offset_commit(r);
            async move { Ok(Some(answer)) }
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
