//! Lab 11's [`Service`] on lab 05's router: the broker's side of the controller's requests
//! on the real wire. It answers LeaderAndIsr, UpdateMetadata and StopReplica by applying them
//! to the [`MetadataCache`] (step 5's `BrokerView`, with its epoch fencing), and it takes over
//! four client APIs so they follow the cache once a controller has spoken:
//!
//! - Metadata lists every live broker and each partition's leader, replicas and ISR;
//! - Produce, Fetch and ListOffsets answer NOT_LEADER_OR_FOLLOWER for a partition the cache
//!   says another broker leads, and hand the rest to lab 05's handlers unchanged.
//!
//! Until a controller speaks, all four go straight to lab 05 (in a cluster, Metadata always
//! follows the cache): a broker started alone behaves exactly as before. Register it after lab 05's `CoreService` (a later route replaces the
//! earlier one for the same key): `Router::new().with(core).with(topics).with(controller)`.
//!
//! In a cluster (built with [`in_cluster`](ControllerRequestsService::in_cluster)),
//! LeaderAndIsr and StopReplica also change the logs (step 8, `replica_manager`): a broker
//! named a replica creates the partition's log, a deleted partition loses its files; and the
//! service takes over CreateTopics and DeleteTopics, and auto-creation in Metadata, which
//! write to ZooKeeper instead of creating logs (step 8, `admin_manager`). A follower only
//! holds its log: fetching from the leader is lab 12's job. A broker built with
//! [`new`](ControllerRequestsService::new) keeps its own logs; only its cache follows.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use lab04_protocol_codec::{
    ErrorCode, FetchPartitionResponse, FetchRequest, FetchResponse, FetchTopicResponse,
    ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse,
    ListOffsetsTopicResponse, MetadataRequest, MetadataResponse, ProducePartitionResponse,
    ProduceRequest, ProduceResponse, ProduceTopicResponse,
};
use lab05_broker::apis::{fetch, list_offsets, metadata, produce};
use lab05_broker::{Handled, RequestContext, Router, Service, Shared};
use lab06_topics::create_topics::CreateTopicsRequest;
use lab06_topics::delete_topics::DeleteTopicsRequest;
use tokio::sync::Notify;

use crate::admin_manager;
use crate::cluster_config::ClusterConfig;
use crate::leadership::LeadershipListeners;
use crate::metadata_cache::MetadataCache;
use crate::replica_manager;
use crate::requests::{
    error_code, LeaderAndIsrRequest, LeaderAndIsrResponse, StopReplicaRequest, StopReplicaResponse,
    UpdateMetadataRequest, UpdateMetadataResponse,
};
use crate::zk_admin::ZkAdmin;

pub struct ControllerRequestsService {
    shared: Arc<Shared>,
    /// A `std::sync::Mutex`: held only to read or apply, never across an `.await`, and never
    /// while the broker's lock is taken.
    cache: Mutex<MetadataCache>,
    /// In a cluster (`zookeeper.connect` set): how request handlers write new topics and
    /// deletions into ZooKeeper. `None` for a broker started alone.
    admin: Option<ZkAdmin>,
    /// The cluster's defaults for new topics (only used in a cluster).
    config: ClusterConfig,
    /// Woken after every accepted UpdateMetadata: CreateTopics and DeleteTopics wait on it
    /// until the controller's news shows their topics with leaders, or gone.
    changed: Notify,
    /// Told after each LeaderAndIsr which partitions this broker leads or follows now.
    pub leadership: LeadershipListeners,
}

impl ControllerRequestsService {
    /// The service of the broker in `shared`, registered with `broker_epoch` (the czxid of its
    /// `/brokers/ids/<id>`; −1 when it has none, so no request is refused for its broker
    /// epoch), giving out addresses on `listener` (`PLAINTEXT` for the labs' brokers).
    pub fn new(
        shared: Arc<Shared>,
        broker_epoch: i64,
        listener: &str,
    ) -> Arc<ControllerRequestsService> {
        let broker_id = shared.broker().config().broker_id;
        Arc::new(ControllerRequestsService {
            shared,
            cache: Mutex::new(MetadataCache::new(broker_id, broker_epoch, listener)),
            admin: None,
            config: ClusterConfig::default(),
            changed: Notify::new(),
            leadership: LeadershipListeners::default(),
        })
    }

    /// The service of a broker in a cluster: not yet registered (broker epoch −1 until the
    /// session task calls [`set_broker_epoch`](Self::set_broker_epoch)), writing topics
    /// through `admin`.
    pub fn in_cluster(
        shared: Arc<Shared>,
        listener: &str,
        admin: ZkAdmin,
    ) -> Arc<ControllerRequestsService> {
        Self::in_cluster_with(shared, listener, admin, ClusterConfig::default())
    }

    /// [`in_cluster`](Self::in_cluster) with the cluster keys of `server.properties`
    /// (`default.replication.factor`, `offsets.topic.replication.factor`).
    pub fn in_cluster_with(
        shared: Arc<Shared>,
        listener: &str,
        admin: ZkAdmin,
        config: ClusterConfig,
    ) -> Arc<ControllerRequestsService> {
        let broker_id = shared.broker().config().broker_id;
        Arc::new(ControllerRequestsService {
            shared,
            cache: Mutex::new(MetadataCache::new(broker_id, -1, listener)),
            admin: Some(admin),
            config,
            changed: Notify::new(),
            leadership: LeadershipListeners::default(),
        })
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn cluster_config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The broker registered (again) with this epoch: the czxid of its `/brokers/ids/<id>`.
    /// Requests from a controller that knew an older registration are refused from now on.
    pub fn set_broker_epoch(&self, broker_epoch: i64) {
        self.cache().view.broker_epoch = broker_epoch;
    }

    /// The ZooKeeper handle, in a cluster.
    pub fn admin(&self) -> Option<&ZkAdmin> {
        self.admin.as_ref()
    }

    /// The cache; a panic while it was held leaves whole requests applied, so carry on.
    pub fn cache(&self) -> MutexGuard<'_, MetadataCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Step 5's view takes the request; then, in a cluster, the partitions it names this
    /// broker a replica of get a log if they have none, with their topic's settings, before
    /// the answer goes back (a controller that hears NONE may send clients here at once). A
    /// broker started alone keeps its own logs: only the cache follows the request.
    pub async fn leader_and_isr(&self, r: &LeaderAndIsrRequest) -> LeaderAndIsrResponse {
        let (broker_id, mut response) = {
            let mut cache = self.cache();
            let response = cache.view.handle_leader_and_isr(r);
            if response.error_code == error_code::NONE {
                cache.controller_id = r.controller_id;
            }
            (cache.view.broker_id, response)
        };
        let Some(admin) = self.admin.clone() else {
            return response;
        };
        replica_manager::apply_leader_and_isr(&self.shared, &admin, broker_id, r, &mut response)
            .await;
        response
    }

    /// Tells the [`leadership`](Self::leadership) listeners what `r` changed here; call once
    /// the request has been applied everywhere (lab 12 calls it after its own part).
    pub fn notify_leadership(&self, r: &LeaderAndIsrRequest, response: &LeaderAndIsrResponse) {
        let broker_id = self.cache().view.broker_id;
        self.leadership.notify(broker_id, r, response);
    }

    fn update_metadata(&self, r: &UpdateMetadataRequest) -> UpdateMetadataResponse {
        let mut cache = self.cache();
        let response = cache.view.handle_update_metadata(r);
        if response.error_code == error_code::NONE {
            cache.controller_id = r.controller_id;
            self.changed.notify_waiters();
            tracing::info!(
                controller = r.controller_id,
                epoch = r.controller_epoch,
                brokers = r.live_brokers.len(),
                "metadata updated"
            );
        } else {
            tracing::warn!(
                controller = r.controller_id,
                epoch = r.controller_epoch,
                error = response.error_code,
                "UpdateMetadata refused"
            );
        }
        response
    }

    /// Step 5's view takes the request; then, in a cluster, each partition to delete leaves the
    /// log manager and its files go. A partition stopped without deletion keeps its log.
    pub fn stop_replica(&self, r: &StopReplicaRequest) -> StopReplicaResponse {
        let response = {
            let mut cache = self.cache();
            let response = cache.view.handle_stop_replica(r);
            if response.error_code == error_code::NONE {
                cache.controller_id = r.controller_id;
            }
            response
        };
        if response.error_code != error_code::NONE || self.admin.is_none() {
            return response;
        }
        replica_manager::delete_stopped(&self.shared, r);
        response
    }

    /// Waits until `done` holds for the cache, or `timeout` passes; returns whether it held.
    /// Bounded: every turn waits for one UpdateMetadata, and none after the deadline.
    pub async fn wait_for_cache(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&MetadataCache) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the check, so an update between the two is not missed.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done(&self.cache()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done(&self.cache());
            }
        }
    }

    /// Which of `partitions` of `topic` the cache says another broker leads (none before any
    /// controller spoke: this broker serves everything, as lab 05's).
    fn refused(&self, topic: &str, partitions: impl Iterator<Item = i32>) -> Vec<i32> {
        let cache = self.cache();
        if !cache.controller_spoke() {
            return Vec::new();
        }
        partitions.filter(|p| cache.not_leader(topic, *p)).collect()
    }
}

pub async fn handle_produce(
    s: Arc<ControllerRequestsService>,
    ctx: RequestContext,
    mut request: ProduceRequest,
) -> Handled<ProduceResponse> {
    let mut refused: Vec<(String, Vec<i32>)> = Vec::new();
    for t in &mut request.topics {
        let no = s.refused(&t.name, t.partitions.iter().map(|p| p.index));
        t.partitions.retain(|p| !no.contains(&p.index));
        if !no.is_empty() {
            refused.push((t.name.clone(), no));
        }
    }
    request.topics.retain(|t| !t.partitions.is_empty());
    let acks = request.acks;
    let mut response = if request.topics.is_empty() {
        ProduceResponse {
            responses: Vec::new(),
            throttle_time_ms: 0,
        }
    } else {
        match produce::handle(s.shared.clone(), ctx, request).await? {
            Some(response) => response,
            None => return Ok(None),
        }
    };
    if acks == 0 {
        return Ok(None);
    }
    for (topic, partitions) in refused {
        let answers = partitions
            .into_iter()
            .map(|index| ProducePartitionResponse {
                index,
                error_code: ErrorCode::NotLeaderOrFollower,
                base_offset: -1,
                log_append_time_ms: -1,
                log_start_offset: -1,
                error_message: None,
            });
        match response.responses.iter_mut().find(|t| t.name == topic) {
            Some(t) => t.partitions.extend(answers),
            None => response.responses.push(ProduceTopicResponse {
                name: topic,
                partitions: answers.collect(),
            }),
        }
    }
    Ok(Some(response))
}

pub async fn handle_fetch(
    s: Arc<ControllerRequestsService>,
    ctx: RequestContext,
    mut request: FetchRequest,
) -> Handled<FetchResponse> {
    let mut refused: Vec<(String, Vec<i32>)> = Vec::new();
    for t in &mut request.topics {
        let no = s.refused(&t.name, t.partitions.iter().map(|p| p.partition));
        t.partitions.retain(|p| !no.contains(&p.partition));
        if !no.is_empty() {
            refused.push((t.name.clone(), no));
        }
    }
    request.topics.retain(|t| !t.partitions.is_empty());
    // With nothing left to read, answer at once instead of long-polling an empty fetch.
    let mut response = if request.topics.is_empty() {
        FetchResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None,
            session_id: 0,
            responses: Vec::new(),
        }
    } else {
        match fetch::handle(s.shared.clone(), ctx, request).await? {
            Some(response) => response,
            None => return Ok(None),
        }
    };
    for (topic, partitions) in refused {
        let answers = partitions
            .into_iter()
            .map(|partition| FetchPartitionResponse {
                aborted_transactions: None,
                partition,
                error_code: ErrorCode::NotLeaderOrFollower,
                high_watermark: -1,
                last_stable_offset: -1,
                log_start_offset: -1,
                records: Vec::new(),
            });
        match response.responses.iter_mut().find(|t| t.topic == topic) {
            Some(t) => t.partitions.extend(answers),
            None => response.responses.push(FetchTopicResponse {
                topic,
                partitions: answers.collect(),
            }),
        }
    }
    Ok(Some(response))
}

async fn handle_list_offsets(
    s: Arc<ControllerRequestsService>,
    ctx: RequestContext,
    mut request: ListOffsetsRequest,
) -> Handled<ListOffsetsResponse> {
    let mut refused: Vec<(String, Vec<i32>)> = Vec::new();
    for t in &mut request.topics {
        let no = s.refused(&t.name, t.partitions.iter().map(|p| p.partition));
        t.partitions.retain(|p| !no.contains(&p.partition));
        if !no.is_empty() {
            refused.push((t.name.clone(), no));
        }
    }
    request.topics.retain(|t| !t.partitions.is_empty());
    let mut response = if request.topics.is_empty() {
        ListOffsetsResponse {
            throttle_time_ms: 0,
            topics: Vec::new(),
        }
    } else {
        match list_offsets::handle(s.shared.clone(), ctx, request).await? {
            Some(response) => response,
            None => return Ok(None),
        }
    };
    for (topic, partitions) in refused {
        let answers = partitions
            .into_iter()
            .map(|partition| ListOffsetsPartitionResponse {
                partition,
                error_code: ErrorCode::NotLeaderOrFollower,
                timestamp: -1,
                offset: -1,
                leader_epoch: -1,
            });
        match response.topics.iter_mut().find(|t| t.name == topic) {
            Some(t) => t.partitions.extend(answers),
            None => response.topics.push(ListOffsetsTopicResponse {
                name: topic,
                partitions: answers.collect(),
            }),
        }
    }
    Ok(Some(response))
}

async fn handle_metadata(
    s: Arc<ControllerRequestsService>,
    ctx: RequestContext,
    request: MetadataRequest,
) -> Handled<MetadataResponse> {
    // In a cluster the cache is the only truth, even before the controller's first
    // UpdateMetadata (no brokers yet, as Kafka answers): lab 05's Metadata would auto-create
    // every partition of a topic on this one broker.
    if s.admin.is_some() {
        return Ok(Some(admin_manager::metadata(&s, &request).await));
    }
    let answer = {
        let mut cache = s.cache();
        cache
            .controller_spoke()
            .then(|| cache.metadata_for_client(&request))
    };
    match answer {
        Some(response) => Ok(Some(response)),
        None => metadata::handle(s.shared.clone(), ctx, request).await,
    }
}

impl Service for ControllerRequestsService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        let s = self.clone();
        router.route(move |_, r: LeaderAndIsrRequest| {
            let s = s.clone();
            async move {
                let response = s.leader_and_isr(&r).await;
                s.notify_leadership(&r, &response);
                Ok(Some(response))
            }
        });
        let s = self.clone();
        router.route(move |_, r: StopReplicaRequest| {
            let answer = s.stop_replica(&r);
            async move { Ok(Some(answer)) }
        });
        let s = self.clone();
        router.route(move |_, r: UpdateMetadataRequest| {
            let answer = s.update_metadata(&r);
            async move { Ok(Some(answer)) }
        });
        // Lab 05's client APIs, replaced in place (ApiVersions keeps their order).
        let s = self.clone();
        router.route(move |ctx, r: ProduceRequest| handle_produce(s.clone(), ctx, r));
        let s = self.clone();
        router.route(move |ctx, r: FetchRequest| handle_fetch(s.clone(), ctx, r));
        let s = self.clone();
        router.route(move |ctx, r: ListOffsetsRequest| handle_list_offsets(s.clone(), ctx, r));
        let s = self.clone();
        router.route(move |ctx, r: MetadataRequest| handle_metadata(s.clone(), ctx, r));
        // In a cluster, topics are created and deleted through ZooKeeper (lab 06's routes,
        // which change only this broker's logs, are replaced).
        if self.admin.is_some() {
            let s = self.clone();
            router.route(move |ctx, r: CreateTopicsRequest| {
                admin_manager::handle_create_topics(s.clone(), ctx, r)
            });
            let s = self;
            router.route(move |ctx, r: DeleteTopicsRequest| {
                admin_manager::handle_delete_topics(s.clone(), ctx, r)
            });
        }
    }
}
