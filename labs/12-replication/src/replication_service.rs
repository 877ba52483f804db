//! Given: the broker's side of replication on the wire, registered after lab 11's
//! [`ControllerRequestsService`] (a later route replaces an earlier one):
//!
//! - **LeaderAndIsr** — lab 11 applies it to its cache and creates the logs; then each
//!   partition that names this broker becomes led by the core
//!   ([`ClusterReplication::become_leader`], with the topic's `min.insync.replicas`) or
//!   followed ([`ClusterReplication::become_follower`] and a fetcher for its leader).
//! - **StopReplica** — lab 11's answer; the partitions leave the core and the followers.
//! - **Produce** — acks=0 and acks=1 go to lab 11 and lab 05 unchanged. acks=all: a partition
//!   whose ISR is smaller than `min.insync.replicas` is refused with NOT_ENOUGH_REPLICAS
//!   before the append; the others are appended (as acks=1) and then wait, each as a step 4
//!   [`DelayedProduce`], until the ISR has them (NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND
//!   if the ISR shrank below the minimum meanwhile) or the request's timeout passes
//!   (REQUEST_TIMED_OUT). The waiting is woken by lab 05's `Shared::appended`, which a
//!   follower's fetch, an ISR write and the timers fire.
//!
//! - **Fetch** — a follower's `current_leader_epoch` is checked first (KIP-320:
//!   FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH); then lab 11's handler, as a consumer's.
//!
//! Consumers need nothing more here: lab 05's Fetch reads below the HW the core keeps.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab04_protocol_codec::{
    ErrorCode, FetchPartitionResponse, FetchRequest, FetchResponse, FetchTopicResponse,
    ProducePartitionResponse, ProduceRequest, ProduceResponse,
};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext, Router, Service, Shared};
use lab11_controller::replica_manager::{local_changes, ReplicaRole};
use lab11_controller::requests::{
    error_code, LeaderAndIsrRequest, LeaderAndIsrResponse, StopReplicaRequest,
};
use lab11_controller::service::{handle_fetch, handle_produce};
use lab11_controller::{ControllerRequestsService, TopicPartition};

use crate::cluster_replication::ClusterReplication;
use crate::delayed_produce::DelayedProduce;
use crate::replica_fetcher_thread::ReplicaFetcherManager;

pub struct ReplicationService {
    controller: Arc<ControllerRequestsService>,
    replication: Arc<ClusterReplication>,
    fetchers: Mutex<ReplicaFetcherManager>,
}

impl ReplicationService {
    pub fn new(
        controller: Arc<ControllerRequestsService>,
        replication: Arc<ClusterReplication>,
    ) -> Arc<ReplicationService> {
        Arc::new(ReplicationService {
            controller,
            replication,
            fetchers: Mutex::new(ReplicaFetcherManager::default()),
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        self.controller.shared()
    }

    /// Stops the fetchers (the broker stops).
    pub fn shutdown(&self) {
        self.fetchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .shutdown();
    }

    async fn leader_and_isr(&self, r: &LeaderAndIsrRequest) -> LeaderAndIsrResponse {
        let response = self.controller.leader_and_isr(r).await;
        let broker_id = self.replication.broker_id();
        let changes = local_changes(broker_id, r, &response, |_| true);
        // The topics' `min.insync.replicas` (read before any lock is taken).
        let mut min_isr = std::collections::BTreeMap::new();
        for change in changes.iter().filter(|c| c.role == ReplicaRole::Leader) {
            let topic = &change.partition.topic;
            if !min_isr.contains_key(topic) {
                let n = self.topic_min_insync_replicas(topic).await;
                min_isr.insert(topic.clone(), n);
            }
        }
        let mut fetch_from = Vec::new();
        {
            let mut broker = self.shared().broker();
            for change in &changes {
                let tp = &change.partition;
                let Some(state) = partition_state(r, tp) else {
                    continue;
                };
                let Some(partition) = broker.partition_mut(&tp.topic, tp.partition) else {
                    continue; // its log could not be created: lab 11 said so in the answer
                };
                match change.role {
                    ReplicaRole::Leader => {
                        let n = min_isr.get(&tp.topic).copied().unwrap_or(1);
                        self.replication
                            .become_leader(partition, state, n, now_ms());
                        tracing::info!(%tp, epoch = state.leader_epoch, isr = ?state.isr, min_insync_replicas = n, "leading");
                    }
                    ReplicaRole::Follower => {
                        self.replication.become_follower(partition, state);
                        tracing::info!(%tp, leader = state.leader, epoch = state.leader_epoch, "following");
                        // No leader (−1) while the controller elects one: nothing to fetch.
                        if state.leader >= 0 {
                            fetch_from.push(state.leader);
                        }
                    }
                }
            }
        }
        let mut fetchers = self.fetchers.lock().unwrap_or_else(|e| e.into_inner());
        fetch_from.sort_unstable();
        fetch_from.dedup();
        for leader in fetch_from {
            match r.live_leaders.iter().find(|l| l.broker_id == leader) {
                Some(l) => {
                    let address = format!("{}:{}", l.host_name, l.port);
                    fetchers.ensure(self.shared(), &self.replication, leader, &address);
                }
                None => tracing::warn!(
                    leader,
                    "LeaderAndIsr names a leader it gives no address for"
                ),
            }
        }
        drop(fetchers);
        self.shared().appended.notify_waiters();
        // Last: the coordinators load what they now lead from logs that lead already.
        self.controller.notify_leadership(r, &response);
        response
    }

    /// The topic's `min.insync.replicas` from `/config/topics/<topic>`, else the broker's.
    async fn topic_min_insync_replicas(&self, topic: &str) -> usize {
        let default = self.replication.config().min_insync_replicas;
        let Some(admin) = self.controller.admin() else {
            return default;
        };
        match admin.topic_config(topic).await {
            Ok(configs) => configs
                .get("min.insync.replicas")
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| *n >= 1)
                .unwrap_or(default),
            Err(_) => default,
        }
    }

    fn stop_replica(
        &self,
        r: &StopReplicaRequest,
    ) -> lab11_controller::requests::StopReplicaResponse {
        let response = self.controller.stop_replica(r);
        if response.error_code == error_code::NONE {
            for topic in &r.topic_states {
                for state in &topic.partition_states {
                    let tp = TopicPartition::new(&topic.topic_name, state.partition_index);
                    self.replication.stop(&tp);
                }
            }
        }
        response
    }
}

fn partition_state<'a>(
    r: &'a LeaderAndIsrRequest,
    tp: &TopicPartition,
) -> Option<&'a lab11_controller::requests::LeaderAndIsrPartitionState> {
    r.topic_states
        .iter()
        .filter(|t| t.topic_name == tp.topic)
        .flat_map(|t| t.partition_states.iter())
        .find(|s| s.partition_index == tp.partition)
}

/// Produce with acks=all through the core's rules; other acks unchanged (module doc).
async fn produce(
    s: Arc<ReplicationService>,
    ctx: RequestContext,
    mut request: ProduceRequest,
) -> Handled<ProduceResponse> {
    if request.acks != -1 {
        return handle_produce(s.controller.clone(), ctx, request).await;
    }
    // NOT_ENOUGH_REPLICAS before the append (`Partition.appendRecordsToLeader`).
    let mut refused: Vec<(String, i32)> = Vec::new();
    for t in &mut request.topics {
        t.partitions.retain(|p| {
            let tp = TopicPartition::new(&t.name, p.index);
            let ok = s.replication.check_acks_all(&tp) == ErrorCode::None;
            if !ok {
                refused.push((t.name.clone(), p.index));
            }
            ok
        });
    }
    request.topics.retain(|t| !t.partitions.is_empty());
    let timeout_ms = i64::from(request.timeout_ms.max(0));
    let mut response = if request.topics.is_empty() {
        ProduceResponse {
            responses: Vec::new(),
            throttle_time_ms: 0,
        }
    } else {
        request.acks = 1;
        match handle_produce(s.controller.clone(), ctx, request).await? {
            Some(response) => response,
            None => return Ok(None),
        }
    };
    // One DelayedProduce per appended partition: the HW must pass the log's end after it.
    let now = now_ms();
    let mut waiting: Vec<(usize, usize, DelayedProduce)> = Vec::new();
    {
        let broker = s.shared().broker();
        for (ti, t) in response.responses.iter().enumerate() {
            for (pi, p) in t.partitions.iter().enumerate() {
                if p.error_code != ErrorCode::None {
                    continue;
                }
                let Some(partition) = broker.partition(&t.name, p.index) else {
                    continue;
                };
                waiting.push((
                    ti,
                    pi,
                    DelayedProduce {
                        id: waiting.len() as u64,
                        tp: TopicPartition::new(&t.name, p.index),
                        base_offset: p.base_offset,
                        required_offset: partition.log_end_offset(),
                        deadline_ms: now + timeout_ms,
                    },
                ));
            }
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms as u64);
    while !waiting.is_empty() {
        // Ask to be woken before looking, so a change between the look and the wait counts.
        let changed = s.shared().appended.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let now = now_ms();
        waiting.retain(|(ti, pi, d)| {
            let done = s.replication.try_complete(d).or_else(|| d.expire(now));
            if let Some(error) = done {
                response.responses[*ti].partitions[*pi].error_code = error;
            }
            done.is_none()
        });
        if waiting.is_empty() {
            break;
        }
        tokio::select! {
            _ = changed => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
    for (topic, index) in refused {
        let answer = ProducePartitionResponse {
            index,
            error_code: ErrorCode::NotEnoughReplicas,
            base_offset: -1,
            log_append_time_ms: -1,
            log_start_offset: -1,
            error_message: None,
        };
        match response.responses.iter_mut().find(|t| t.name == topic) {
            Some(t) => t.partitions.push(answer),
            None => response
                .responses
                .push(lab04_protocol_codec::ProduceTopicResponse {
                    name: topic,
                    partitions: vec![answer],
                }),
        }
    }
    Ok(Some(response))
}

/// Kafka 2.6's `Partition.checkCurrentLeaderEpoch` (KIP-320): a follower that sends an older
/// leader epoch than this broker's missed a leader change (FENCED_LEADER_EPOCH: it waits for
/// its LeaderAndIsr), a newer one means this broker has not heard of the change yet
/// (UNKNOWN_LEADER_EPOCH: retry); −1 asks for no check.
pub fn check_current_leader_epoch(requested: i32, local: i32) -> ErrorCode {
    if requested < 0 || requested == local {
        ErrorCode::None
    } else if requested < local {
        ErrorCode::FencedLeaderEpoch
    } else {
        ErrorCode::UnknownLeaderEpoch
    }
}

/// A follower's Fetch (`replica_id` ≥ 0): partitions whose `current_leader_epoch` is not this
/// broker's are answered with [`check_current_leader_epoch`]'s error; the rest go to lab 11's
/// handler as before. A consumer's Fetch goes there unchanged. (Lab 14's cluster
/// transactions wrap it to cut `read_committed` fetches at the last stable offset.)
pub async fn fetch(
    s: Arc<ReplicationService>,
    ctx: RequestContext,
    mut request: FetchRequest,
) -> Handled<FetchResponse> {
    let mut fenced: Vec<(String, i32, ErrorCode)> = Vec::new();
    if request.replica_id >= 0 {
        let broker = s.shared().broker();
        for t in &mut request.topics {
            t.partitions.retain(|p| {
                let Some(partition) = broker.partition(&t.name, p.partition) else {
                    return true; // lab 11 answers for a partition not here
                };
                let local = partition.state().leader_epoch;
                match check_current_leader_epoch(p.current_leader_epoch, local) {
                    ErrorCode::None => true,
                    error => {
                        fenced.push((t.name.clone(), p.partition, error));
                        false
                    }
                }
            });
        }
        request.topics.retain(|t| !t.partitions.is_empty());
    }
    if fenced.is_empty() {
        return handle_fetch(s.controller.clone(), ctx, request).await;
    }
    let mut response = if request.topics.is_empty() {
        FetchResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None,
            session_id: 0,
            responses: Vec::new(),
        }
    } else {
        match handle_fetch(s.controller.clone(), ctx, request).await? {
            Some(response) => response,
            None => return Ok(None),
        }
    };
    for (topic, partition, error_code) in fenced {
        let answer = FetchPartitionResponse {
            partition,
            error_code,
            high_watermark: -1,
            last_stable_offset: -1,
            log_start_offset: -1,
            records: Vec::new(),
            aborted_transactions: None,
        };
        match response.responses.iter_mut().find(|t| t.topic == topic) {
            Some(t) => t.partitions.push(answer),
            None => response.responses.push(FetchTopicResponse {
                topic,
                partitions: vec![answer],
            }),
        }
    }
    Ok(Some(response))
}

impl Service for ReplicationService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        let s = self.clone();
        router.route(move |_, r: LeaderAndIsrRequest| {
            let s = s.clone();
            async move { Ok(Some(s.leader_and_isr(&r).await)) }
        });
        let s = self.clone();
        router.route(move |_, r: StopReplicaRequest| {
            let answer = s.stop_replica(&r);
            async move { Ok(Some(answer)) }
        });
        let s = self.clone();
        router.route(move |ctx, r: ProduceRequest| produce(s.clone(), ctx, r));
        let s = self;
        router.route(move |ctx, r: FetchRequest| fetch(s.clone(), ctx, r));
    }
}
