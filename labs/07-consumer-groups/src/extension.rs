//! Lab 07's APIs plugged into the broker, on top of lab 06's: the tokio shell around the
//! coordinator's state machine. It holds each JoinGroup and SyncGroup that must wait (a
//! oneshot channel per ticket), runs the coordinator's clock (`tick` every 100 ms), and keeps
//! committed offsets in `__consumer_offsets`: appended before the commit is acknowledged,
//! replayed when the broker starts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use lab01_record_batch::RecordBatchBuilder;
use lab04_protocol_codec::{
    encode_response, ApiKey, Decoder, ErrorCode, ProducePartition, ProduceRequest, ProduceTopic,
    RequestHeader,
};
use lab05_broker::shared::now_ms;
use lab05_broker::{Broker, Extension, Shared};
use lab06_topics::TopicsExtension;
use tokio::sync::oneshot;

use crate::consumer_protocol::Assignment;
use crate::coordinator::{CoordinatorConfig, GroupCoordinator, JoinRequest, Reply};
use crate::group::{GroupState, Ticket};
use crate::messages::delete_groups::{DeleteGroupsRequest, DeleteGroupsResponse};
use crate::messages::describe_groups::{
    DescribeGroupsRequest, DescribeGroupsResponse, DescribedGroup, DescribedMember,
};
use crate::messages::find_coordinator::{FindCoordinatorRequest, FindCoordinatorResponse};
use crate::messages::heartbeat::{HeartbeatRequest, HeartbeatResponse};
use crate::messages::join_group::{JoinGroupRequest, JoinGroupResponse};
use crate::messages::leave_group::{LeaveGroupRequest, LeaveGroupResponse};
use crate::messages::list_groups::ListGroupsResponse;
use crate::messages::offset_commit::{OffsetCommitRequest, OffsetCommitResponse};
use crate::messages::offset_fetch::{
    OffsetFetchPartition, OffsetFetchRequest, OffsetFetchResponse,
};
use crate::messages::sync_group::{SyncGroupRequest, SyncGroupResponse};
use crate::offsets::{
    decode_key, decode_value, encode_key, encode_value, partition_for_group, OffsetKey,
    OffsetStore, OffsetValue, OFFSETS_PARTITIONS, OFFSETS_TOPIC,
};

/// `offset.metadata.max.bytes`: the longest metadata string a commit may carry.
pub const OFFSET_METADATA_MAX_BYTES: usize = 4096;

const APIS: [ApiKey; 10] = [
    ApiKey::FindCoordinator,
    ApiKey::JoinGroup,
    ApiKey::SyncGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::DescribeGroups,
    ApiKey::ListGroups,
    ApiKey::DeleteGroups,
];

struct State {
    coordinator: GroupCoordinator,
    offsets: OffsetStore,
}

struct Inner {
    state: Mutex<State>,
    waiting: Mutex<HashMap<Ticket, oneshot::Sender<Reply>>>,
    next_ticket: AtomicU64,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands each reply to the request waiting for it.
    fn deliver(&self, replies: Vec<Reply>) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        for reply in replies {
            let ticket = match &reply {
                Reply::Join(t, _) | Reply::Sync(t, ..) => *t,
            };
            if let Some(tx) = waiting.remove(&ticket) {
                let _ = tx.send(reply);
            }
        }
    }

    /// A ticket and the channel its reply will come on.
    fn ticket(&self) -> (Ticket, oneshot::Receiver<Reply>) {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ticket, tx);
        (ticket, rx)
    }
}

pub struct GroupsExtension {
    topics: TopicsExtension,
    inner: Arc<Inner>,
    apis: Vec<ApiKey>,
}

/// Reads every `__consumer_offsets` partition from its start into `store`; the last record per
/// key wins. A damaged record is skipped with a log line, not fatal: other groups' offsets
/// still load.
fn replay(broker: &Broker, store: &mut OffsetStore) -> crate::Result<usize> {
    let Some(partitions) = broker.partition_count(OFFSETS_TOPIC) else {
        return Ok(0);
    };
    let mut records = 0;
    for p in 0..partitions as i32 {
        let log = broker.partition(OFFSETS_TOPIC, p).expect("counted above");
        let mut offset = log.log_start_offset();
        while offset < log.log_end_offset() {
            let Some(bytes) = log.read(offset, 1 << 20)? else {
                break;
            };
            let mut rest = &bytes[..];
            let before = offset;
            while !rest.is_empty() {
                let Ok(header) = lab01_record_batch::BatchHeader::parse(rest) else {
                    break;
                };
                let size = header.total_size().min(rest.len());
                match lab01_record_batch::RecordBatch::decode(&rest[..size]) {
                    Ok(batch) => {
                        for r in &batch.records {
                            let at = batch.base_offset + i64::from(r.offset_delta);
                            let Some(key) = r.key.as_deref() else {
                                continue;
                            };
                            match decode_key(key, at) {
                                Ok(Some(key)) => {
                                    let value =
                                        match r.value.as_deref().map(|v| decode_value(v, at)) {
                                            None => None,
                                            Some(Ok(v)) => Some(v),
                                            Some(Err(e)) => {
                                                tracing::warn!("{e}; skipped");
                                                continue;
                                            }
                                        };
                                    store.apply(key, value);
                                    records += 1;
                                }
                                Ok(None) => {}
                                Err(e) => tracing::warn!("{e}; skipped"),
                            }
                        }
                    }
                    Err(e) => tracing::warn!(
                        partition = p,
                        "a __consumer_offsets batch at {}: {e}; skipped",
                        header.base_offset
                    ),
                }
                offset = header.last_offset() + 1;
                rest = &rest[size..];
            }
            if offset == before {
                break;
            }
        }
    }
    Ok(records)
}

impl GroupsExtension {
    /// Lab 06's extension, plus the coordinator with the committed offsets replayed from
    /// `__consumer_offsets`, and its clock. Call inside a tokio runtime.
    pub fn open(shared: &Shared, config: CoordinatorConfig) -> crate::Result<GroupsExtension> {
        let topics = TopicsExtension::open(shared)?;
        let mut offsets = OffsetStore::default();
        let mut coordinator = GroupCoordinator::new(config);
        {
            let broker = shared.broker();
            let n = replay(&broker, &mut offsets)?;
            if n > 0 {
                tracing::info!(
                    records = n,
                    groups = offsets.groups().len(),
                    "loaded committed offsets from {OFFSETS_TOPIC}"
                );
            }
        }
        // Groups known only by their offsets are listed, Empty, as Kafka lists them.
        for group in offsets.groups() {
            coordinator.ensure_group(&group);
        }
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                coordinator,
                offsets,
            }),
            waiting: Mutex::new(HashMap::new()),
            next_ticket: AtomicU64::new(1),
        });
        let weak: Weak<Inner> = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(100));
            loop {
                interval.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let replies = inner.state().coordinator.tick(now_ms());
                inner.deliver(replies);
            }
        });
        let mut apis: Vec<ApiKey> = topics.apis().to_vec();
        apis.extend(APIS);
        Ok(GroupsExtension {
            topics,
            inner,
            apis,
        })
    }

    /// Waits for the reply to `ticket`, or gives up after `limit` (the broker answers
    /// REBALANCE_IN_PROGRESS and the client rejoins).
    async fn wait(
        &self,
        ticket: Ticket,
        rx: oneshot::Receiver<Reply>,
        limit: Duration,
    ) -> Option<Reply> {
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(reply)) => Some(reply),
            _ => {
                self.inner
                    .waiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&ticket);
                None
            }
        }
    }
}

/// Makes sure `__consumer_offsets` exists (Kafka creates it on the first FindCoordinator).
fn ensure_offsets_topic(broker: &mut Broker) -> Result<(), String> {
    if broker.partition_count(OFFSETS_TOPIC).is_none() {
        match broker.create_topic(OFFSETS_TOPIC, OFFSETS_PARTITIONS, now_ms()) {
            Ok(ErrorCode::None) => {
                tracing::info!("created {OFFSETS_TOPIC} with {OFFSETS_PARTITIONS} partitions")
            }
            Ok(code) => return Err(format!("cannot create {OFFSETS_TOPIC}: {code:?}")),
            Err(e) => return Err(format!("cannot create {OFFSETS_TOPIC}: {e}")),
        }
    }
    Ok(())
}

/// Appends offset records (value `None`: a tombstone) for one group to its
/// `__consumer_offsets` partition. Returns the error code for all of them.
fn append_offsets(
    broker: &mut Broker,
    group: &str,
    records: &[(OffsetKey, Option<OffsetValue>)],
) -> ErrorCode {
    if records.is_empty() {
        return ErrorCode::None;
    }
    if let Err(e) = ensure_offsets_topic(broker) {
        tracing::error!("{e}");
        return ErrorCode::CoordinatorNotAvailable;
    }
    let now = now_ms();
    let mut builder = RecordBatchBuilder::new(0);
    for (key, value) in records {
        let key = encode_key(key);
        let value = value.as_ref().map(encode_value);
        builder.append(now, Some(&key), value.as_deref(), vec![]);
    }
    let request = ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 30_000,
        topics: vec![ProduceTopic {
            name: OFFSETS_TOPIC.into(),
            partitions: vec![ProducePartition {
                index: partition_for_group(group, OFFSETS_PARTITIONS),
                records: Some(builder.build().encode()),
            }],
        }],
    };
    let response = broker.produce(&request, now);
    let code = response.responses[0].partitions[0].error_code;
    if code != ErrorCode::None {
        tracing::error!(%group, "storing offsets in {OFFSETS_TOPIC}: {code:?}");
    }
    code
}

impl Extension for GroupsExtension {
    fn apis(&self) -> &[ApiKey] {
        &self.apis
    }

    async fn handle(
        &self,
        shared: &Shared,
        header: &RequestHeader,
        body: &[u8],
        peer: &str,
    ) -> Option<Vec<u8>> {
        let Some(key) = ApiKey::from_code(header.api_key).filter(|k| APIS.contains(k)) else {
            return self.topics.handle(shared, header, body, peer).await;
        };
        let version = header.api_version;
        let mut d = Decoder::new(body);
        let answer = |write: &dyn Fn(&mut lab04_protocol_codec::Encoder)| {
            Some(encode_response(header, |e| write(e)))
        };
        let unreadable = |e: lab04_protocol_codec::Error| {
            tracing::warn!(api_key = header.api_key, version, "unreadable request: {e}");
            None
        };
        let client_id = header.client_id.clone().unwrap_or_default();
        let client_host = format!("/{}", peer.rsplit_once(':').map_or(peer, |(h, _)| h));
        match key {
            ApiKey::FindCoordinator => {
                let r = match FindCoordinatorRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let mut broker = shared.broker();
                let config = broker.config().clone();
                let response = if r.key_type != 0 {
                    FindCoordinatorResponse {
                        error_code: ErrorCode::CoordinatorNotAvailable,
                        error_message: Some("this broker has no transaction coordinator".into()),
                        node_id: -1,
                        host: String::new(),
                        port: -1,
                    }
                } else if let Err(e) = ensure_offsets_topic(&mut broker) {
                    FindCoordinatorResponse {
                        error_code: ErrorCode::CoordinatorNotAvailable,
                        error_message: Some(e),
                        node_id: -1,
                        host: String::new(),
                        port: -1,
                    }
                } else {
                    // One broker: it coordinates every group (lab 11 picks the leader of the
                    // group's __consumer_offsets partition).
                    FindCoordinatorResponse {
                        error_code: ErrorCode::None,
                        error_message: None,
                        node_id: config.broker_id,
                        host: config.advertised_host.clone(),
                        port: i32::from(config.advertised_port),
                    }
                };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::JoinGroup => {
                let r = match JoinGroupRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let (ticket, rx) = self.inner.ticket();
                let limit = Duration::from_millis(r.rebalance_timeout_ms.max(0) as u64 + 5_000);
                let request = JoinRequest {
                    group_id: r.group_id.clone(),
                    member_id: r.member_id.clone(),
                    group_instance_id: r.group_instance_id.clone(),
                    client_id,
                    client_host,
                    session_timeout_ms: r.session_timeout_ms,
                    rebalance_timeout_ms: r.rebalance_timeout_ms,
                    protocol_type: r.protocol_type.clone(),
                    protocols: r.protocols.clone(),
                    require_known_member_id: version >= 4,
                };
                let replies = self
                    .inner
                    .state()
                    .coordinator
                    .join(ticket, request, now_ms());
                self.inner.deliver(replies);
                let response = match self.wait(ticket, rx, limit).await {
                    Some(Reply::Join(_, j)) => JoinGroupResponse {
                        error_code: j.error_code,
                        generation_id: j.generation_id,
                        protocol_name: j.protocol_name,
                        leader: j.leader_id,
                        member_id: j.member_id,
                        members: j.members,
                    },
                    _ => JoinGroupResponse {
                        error_code: ErrorCode::RebalanceInProgress,
                        generation_id: -1,
                        protocol_name: String::new(),
                        leader: String::new(),
                        member_id: r.member_id,
                        members: vec![],
                    },
                };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::SyncGroup => {
                let r = match SyncGroupRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let (ticket, rx) = self.inner.ticket();
                let limit = {
                    let state = self.inner.state();
                    let timeout = state
                        .coordinator
                        .group(&r.group_id)
                        .map_or(0, |g| g.rebalance_timeout_ms());
                    Duration::from_millis(timeout.max(0) as u64 + 5_000)
                };
                let replies = self.inner.state().coordinator.sync(
                    ticket,
                    &r.group_id,
                    r.generation_id,
                    &r.member_id,
                    r.assignments,
                    now_ms(),
                );
                self.inner.deliver(replies);
                let response = match self.wait(ticket, rx, limit).await {
                    Some(Reply::Sync(_, code, assignment)) => SyncGroupResponse {
                        error_code: code,
                        assignment,
                    },
                    _ => SyncGroupResponse {
                        error_code: ErrorCode::RebalanceInProgress,
                        assignment: vec![],
                    },
                };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::Heartbeat => {
                let r = match HeartbeatRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let code = self.inner.state().coordinator.heartbeat(
                    &r.group_id,
                    r.generation_id,
                    &r.member_id,
                    now_ms(),
                );
                let response = HeartbeatResponse { error_code: code };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::LeaveGroup => {
                let r = match LeaveGroupRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let mut members = Vec::new();
                for (member_id, instance) in &r.members {
                    let (code, replies) =
                        self.inner
                            .state()
                            .coordinator
                            .leave(&r.group_id, member_id, now_ms());
                    self.inner.deliver(replies);
                    members.push((member_id.clone(), instance.clone(), code));
                }
                // Before v3 the one member's error is the response's error.
                let error_code = if version < 3 {
                    members.first().map_or(ErrorCode::None, |m| m.2)
                } else {
                    ErrorCode::None
                };
                let response = LeaveGroupResponse {
                    error_code,
                    members,
                };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::OffsetCommit => {
                let r = match OffsetCommitRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let response = self.commit(shared, &r);
                answer(&|e| response.encode(e, version))
            }
            ApiKey::OffsetFetch => {
                let r = match OffsetFetchRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let state = self.inner.state();
                let partition = |topic: &str, p: i32| {
                    let committed = state.offsets.get(&r.group_id, topic, p);
                    OffsetFetchPartition {
                        partition_index: p,
                        committed_offset: committed.map_or(-1, |c| c.offset),
                        committed_leader_epoch: committed.map_or(-1, |c| c.leader_epoch),
                        metadata: Some(committed.map(|c| c.metadata.clone()).unwrap_or_default()),
                        error_code: ErrorCode::None,
                    }
                };
                let topics: Vec<(String, Vec<OffsetFetchPartition>)> = match &r.topics {
                    Some(topics) => topics
                        .iter()
                        .map(|(t, ps)| (t.clone(), ps.iter().map(|p| partition(t, *p)).collect()))
                        .collect(),
                    None => {
                        let mut by_topic: std::collections::BTreeMap<
                            String,
                            Vec<OffsetFetchPartition>,
                        > = Default::default();
                        for (k, _) in state.offsets.group(&r.group_id) {
                            by_topic
                                .entry(k.topic.clone())
                                .or_default()
                                .push(partition(&k.topic, k.partition));
                        }
                        by_topic.into_iter().collect()
                    }
                };
                let response = OffsetFetchResponse {
                    topics,
                    error_code: ErrorCode::None,
                };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::DescribeGroups => {
                let r = match DescribeGroupsRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let state = self.inner.state();
                let groups = r
                    .groups
                    .iter()
                    .map(|id| match state.coordinator.group(id) {
                        Some(g) => {
                            let protocol = g.protocol_name.clone().unwrap_or_default();
                            DescribedGroup {
                                error_code: ErrorCode::None,
                                group_id: id.clone(),
                                group_state: g.state.name().into(),
                                protocol_type: g.protocol_type.clone().unwrap_or_default(),
                                protocol_data: if g.state == GroupState::Stable
                                    || g.state == GroupState::CompletingRebalance
                                {
                                    protocol.clone()
                                } else {
                                    String::new()
                                },
                                members: g
                                    .members
                                    .values()
                                    .map(|m| DescribedMember {
                                        member_id: m.member_id.clone(),
                                        group_instance_id: m.group_instance_id.clone(),
                                        client_id: m.client_id.clone(),
                                        client_host: m.client_host.clone(),
                                        member_metadata: m.metadata(&protocol),
                                        member_assignment: m.assignment.clone(),
                                    })
                                    .collect(),
                            }
                        }
                        // Kafka describes an unknown group as Dead, without an error.
                        None => DescribedGroup {
                            error_code: ErrorCode::None,
                            group_id: id.clone(),
                            group_state: "Dead".into(),
                            protocol_type: String::new(),
                            protocol_data: String::new(),
                            members: vec![],
                        },
                    })
                    .collect();
                let response = DescribeGroupsResponse { groups };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::ListGroups => {
                let state = self.inner.state();
                let groups = state
                    .coordinator
                    .groups()
                    .map(|g| {
                        (
                            g.group_id.clone(),
                            g.protocol_type.clone().unwrap_or_else(|| "consumer".into()),
                        )
                    })
                    .collect();
                let response = ListGroupsResponse {
                    error_code: ErrorCode::None,
                    groups,
                };
                answer(&|e| response.encode(e, version))
            }
            ApiKey::DeleteGroups => {
                let r = match DeleteGroupsRequest::decode(&mut d, version) {
                    Ok(r) => r,
                    Err(e) => return unreadable(e),
                };
                let mut results = Vec::new();
                for group in &r.groups_names {
                    let mut broker = shared.broker();
                    let mut state = self.inner.state();
                    let mut code = state.coordinator.delete(group);
                    if code == ErrorCode::None {
                        // Tombstones for every committed offset: gone after a restart too.
                        let keys: Vec<(OffsetKey, Option<OffsetValue>)> = state
                            .offsets
                            .group(group)
                            .into_iter()
                            .map(|(k, _)| (k.clone(), None))
                            .collect();
                        code = append_offsets(&mut broker, group, &keys);
                        if code == ErrorCode::None {
                            for (k, _) in keys {
                                state.offsets.apply(k, None);
                            }
                        }
                    }
                    results.push((group.clone(), code));
                }
                let response = DeleteGroupsResponse { results };
                answer(&|e| response.encode(e, version))
            }
            _ => None,
        }
    }
}

impl GroupsExtension {
    /// OffsetCommit: Kafka's membership checks, then the partitions that exist are written to
    /// `__consumer_offsets` in one batch and only then applied and acknowledged.
    fn commit(&self, shared: &Shared, r: &OffsetCommitRequest) -> OffsetCommitResponse {
        let mut broker = shared.broker();
        let mut state = self.inner.state();
        let check =
            state
                .coordinator
                .check_commit(&r.group_id, r.generation_id, &r.member_id, now_ms());
        let now = now_ms();
        let mut to_store = Vec::new();
        let mut topics = Vec::new();
        for (topic, partitions) in &r.topics {
            let mut answers = Vec::new();
            for p in partitions {
                let code = if check != ErrorCode::None {
                    check
                } else if broker.partition(topic, p.partition_index).is_none() {
                    ErrorCode::UnknownTopicOrPartition
                } else if p
                    .committed_metadata
                    .as_ref()
                    .is_some_and(|m| m.len() > OFFSET_METADATA_MAX_BYTES)
                {
                    ErrorCode::OffsetMetadataTooLarge
                } else {
                    to_store.push((
                        OffsetKey {
                            group: r.group_id.clone(),
                            topic: topic.clone(),
                            partition: p.partition_index,
                        },
                        Some(OffsetValue {
                            offset: p.committed_offset,
                            leader_epoch: p.committed_leader_epoch,
                            metadata: p.committed_metadata.clone().unwrap_or_default(),
                            commit_timestamp: now,
                        }),
                    ));
                    ErrorCode::None
                };
                answers.push((p.partition_index, code));
            }
            topics.push((topic.clone(), answers));
        }
        let stored = append_offsets(&mut broker, &r.group_id, &to_store);
        if stored != ErrorCode::None {
            for (_, answers) in &mut topics {
                for (_, code) in answers.iter_mut().filter(|(_, c)| *c == ErrorCode::None) {
                    *code = stored;
                }
            }
        } else {
            for (k, v) in to_store {
                state.offsets.apply(k, v);
            }
        }
        OffsetCommitResponse { topics }
    }
}

/// Decodes a member's assignment for `kafka-consumer-groups --describe`.
pub fn assigned_partitions(assignment: &[u8]) -> Vec<(String, Vec<i32>)> {
    Assignment::decode(assignment)
        .map(|a| a.partitions)
        .unwrap_or_default()
}
