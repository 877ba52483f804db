//! Step 8: which broker coordinates a consumer group (Kafka's
//! `GroupMetadataManager.partitionFor` and `KafkaApis.handleFindCoordinatorRequest`).
//!
//! A group's committed offsets live in one partition of `__consumer_offsets`:
//! `abs(groupId.hashCode()) % offsets.topic.num.partitions` (lab 07's `partition_for_group`).
//! The leader of that partition is the group's coordinator — so the coordinators spread over
//! the brokers with the partitions' leaders, and when a leader moves the group moves with it.
//!
//! - FindCoordinator answers with the leader the metadata cache names. Without the offsets
//!   topic it writes the topic through ZooKeeper first (50 partitions,
//!   `offsets.topic.replication.factor` replicas, `cleanup.policy=compact`) and answers
//!   COORDINATOR_NOT_AVAILABLE (15): the client asks again once leaders are elected.
//! - The group APIs (JoinGroup … OffsetFetch, DescribeGroups, DeleteGroups) answer
//!   NOT_COORDINATOR (16) at a broker that does not lead the group's partition (as
//!   LeaderAndIsr said) or has no log for it yet; the client asks FindCoordinator again. At
//!   the leader they go to lab 07's handlers unchanged.
//!
//! A teaching shortcut: lab 07's coordinator replays the offsets partitions it hosts when it
//! starts; Kafka also loads a partition's groups each time the broker becomes its leader
//! (`onLeadershipChange`). With one replica per partition (lab 11) leadership never moves to
//! a broker holding older offsets; lab 12's followers make it matter.

use std::collections::BTreeMap;
use std::sync::Arc;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Handled, RequestContext, Router, Service};
use lab07_consumer_groups::group_metadata_manager::PartitionCheck;
use lab07_consumer_groups::messages::delete_groups::{DeleteGroupsRequest, DeleteGroupsResponse};
use lab07_consumer_groups::messages::describe_groups::{
    DescribeGroupsRequest, DescribeGroupsResponse, DescribedGroup,
};
use lab07_consumer_groups::messages::find_coordinator::{
    FindCoordinatorRequest, FindCoordinatorResponse,
};
use lab07_consumer_groups::messages::*;
use lab07_consumer_groups::offsets::{partition_for_group, OFFSETS_PARTITIONS};
use lab07_consumer_groups::GroupService;

use crate::admin_manager::auto_create;
use crate::metadata_cache::{MetadataCache, CONSUMER_OFFSETS};
use crate::requests::TopicPartition;
use crate::service::ControllerRequestsService;

/// What the metadata cache says about a group's coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coordinator {
    /// No partition of `__consumer_offsets` is known: the topic must be created.
    NoOffsetsTopic,
    /// The group's partition has no leader, or its leader is not a live broker.
    NotAvailable,
    /// This live broker leads the group's partition.
    Broker(i32),
}

/// The coordinator of `group_id` by the cache: the leader of `__consumer_offsets` partition
/// `partition_for_group(group_id, partitions)`, if it is a live broker.
pub fn coordinator_for(cache: &MetadataCache, group_id: &str, partitions: i32) -> Coordinator {
    // BEGIN SOLUTION step 8: find the group's offsets partition, then its leader in the cache if that broker is alive
    // ko: 그룹의 오프셋 파티션을 찾고, 캐시에서 그 리더가 살아 있는 브로커이면 그 리더를 답하기
    if !cache
        .view
        .metadata
        .keys()
        .any(|tp| tp.topic == CONSUMER_OFFSETS)
    {
        return Coordinator::NoOffsetsTopic;
    }
    let partition = partition_for_group(group_id, partitions);
    match cache
        .view
        .metadata
        .get(&TopicPartition::new(CONSUMER_OFFSETS, partition))
    {
        Some(state) if state.leader >= 0 && cache.view.live_brokers.contains_key(&state.leader) => {
            Coordinator::Broker(state.leader)
        }
        _ => Coordinator::NotAvailable,
    }
    // END SOLUTION
}

/// The coordinator of an internal topic's `partition` by the cache (`__consumer_offsets` for a
/// group, `__transaction_state` for lab 14's transactional ids): its leader, if a live broker.
pub fn internal_topic_coordinator(
    cache: &MetadataCache,
    topic: &str,
    partition: i32,
) -> Coordinator {
    if !cache.view.metadata.keys().any(|tp| tp.topic == topic) {
        return Coordinator::NoOffsetsTopic;
    }
    match cache
        .view
        .metadata
        .get(&TopicPartition::new(topic, partition))
    {
        Some(state) if state.leader >= 0 && cache.view.live_brokers.contains_key(&state.leader) => {
            Coordinator::Broker(state.leader)
        }
        _ => Coordinator::NotAvailable,
    }
}

/// Writes `__consumer_offsets` through ZooKeeper, as Kafka 2.6's `createInternalTopic`: not
/// before `offsets.topic.replication.factor` brokers are alive (COORDINATOR_NOT_AVAILABLE with
/// Kafka's message meanwhile), then compacted, with lab 07's partition count.
pub async fn create_offsets_topic(s: &ControllerRequestsService) -> (ErrorCode, Option<String>) {
    let rf = s.cluster_config().offsets_topic_replication_factor;
    let topic = InternalTopic {
        name: CONSUMER_OFFSETS,
        partitions: OFFSETS_PARTITIONS,
        replication_factor: rf,
        what: "the offsets topic",
        key: "offsets.topic.replication.factor",
    };
    create_internal_topic(s, &topic, BTreeMap::new()).await
}

/// An internal topic a coordinator lives on: `__consumer_offsets` or `__transaction_state`.
#[derive(Debug, Clone, Copy)]
pub struct InternalTopic<'a> {
    pub name: &'a str,
    pub partitions: i32,
    pub replication_factor: i16,
    /// For the message: "the offsets topic", "the transactions topic".
    pub what: &'a str,
    /// The key that sets its replication factor.
    pub key: &'a str,
}

/// Kafka 2.6's `createInternalTopic`, for either coordinator: COORDINATOR_NOT_AVAILABLE (with
/// Kafka's message) while fewer brokers than the replication factor are alive, then the topic
/// written through ZooKeeper, compacted, with `configs` added.
pub async fn create_internal_topic(
    s: &ControllerRequestsService,
    topic: &InternalTopic<'_>,
    mut configs: BTreeMap<String, String>,
) -> (ErrorCode, Option<String>) {
    let rf = topic.replication_factor;
    let alive = s.cache().view.live_brokers.len();
    if alive < rf as usize {
        let message = format!(
            "Number of alive brokers '{alive}' does not meet the required replication factor '{rf}' for {} (configured via '{}'). This error can be ignored if the cluster is starting up and not all brokers are up yet.",
            topic.what, topic.key
        );
        tracing::warn!("{message}");
        return (ErrorCode::CoordinatorNotAvailable, Some(message));
    }
    configs.insert("cleanup.policy".to_string(), "compact".to_string());
    let code = auto_create(s, topic.name, topic.partitions, rf, configs).await;
    (code, None)
}

/// Lab 07's group APIs for a broker in a cluster: register after lab 07's `GroupService` and
/// lab 11's `ControllerRequestsService` (built with `in_cluster`), so its routes replace lab
/// 07's: `.with(groups.clone()).with(ClusterGroupService::new(controller, groups))`.
pub struct ClusterGroupService {
    controller: Arc<ControllerRequestsService>,
    groups: Arc<GroupService>,
}

impl ClusterGroupService {
    pub fn new(
        controller: Arc<ControllerRequestsService>,
        groups: Arc<GroupService>,
    ) -> Arc<ClusterGroupService> {
        // OffsetCommit's "does this partition exist" asks the cluster's metadata, not the
        // local logs: the committed topic's partitions mostly live on other brokers.
        let cache = controller.clone();
        groups.state().groups.partition_check = Some(PartitionCheck(Arc::new(move |topic, p| {
            let cache = cache.cache();
            cache
                .view
                .metadata
                .contains_key(&TopicPartition::new(topic, p))
        })));
        Arc::new(ClusterGroupService { controller, groups })
    }

    /// Whether this broker coordinates `group_id` now: LeaderAndIsr made it the leader of
    /// the group's partition, and its log is here (Kafka's `isGroupLocal`).
    pub fn is_coordinator(&self, group_id: &str) -> bool {
        let partition = partition_for_group(group_id, OFFSETS_PARTITIONS);
        let tp = TopicPartition::new(CONSUMER_OFFSETS, partition);
        let leads = {
            let cache = self.controller.cache();
            cache
                .view
                .replicas
                .get(&tp)
                .is_some_and(|state| state.leader == cache.view.broker_id)
        };
        leads
            && self
                .controller
                .shared()
                .broker()
                .partition(CONSUMER_OFFSETS, partition)
                .is_some()
    }

    fn find_coordinator_answer(
        &self,
        code: ErrorCode,
        message: Option<String>,
    ) -> FindCoordinatorResponse {
        FindCoordinatorResponse {
            error_code: code,
            error_message: message,
            node_id: -1,
            host: String::new(),
            port: -1,
        }
    }

    /// FindCoordinator for a group (key type 0); lab 14's cluster transactions answer key type 1.
    pub async fn find_coordinator(&self, r: FindCoordinatorRequest) -> FindCoordinatorResponse {
        if r.key_type != 0 {
            return self.find_coordinator_answer(
                ErrorCode::CoordinatorNotAvailable,
                Some("this broker has no transaction coordinator".into()),
            );
        }
        let found = coordinator_for(&self.controller.cache(), &r.key, OFFSETS_PARTITIONS);
        match found {
            Coordinator::NoOffsetsTopic => {
                let (_, message) = create_offsets_topic(&self.controller).await;
                self.find_coordinator_answer(ErrorCode::CoordinatorNotAvailable, message)
            }
            Coordinator::NotAvailable => {
                self.find_coordinator_answer(ErrorCode::CoordinatorNotAvailable, None)
            }
            Coordinator::Broker(id) => {
                let cache = self.controller.cache();
                let endpoint = cache.view.live_brokers.get(&id).and_then(|b| {
                    // The coordinator's address on the listener the client came in on.
                    let listener = cache.client_listener();
                    b.endpoints.iter().find(|ep| ep.listener == listener)
                });
                match endpoint {
                    Some(ep) => FindCoordinatorResponse {
                        error_code: ErrorCode::None,
                        error_message: None,
                        node_id: id,
                        host: ep.host.clone(),
                        port: ep.port,
                    },
                    None => self.find_coordinator_answer(ErrorCode::CoordinatorNotAvailable, None),
                }
            }
        }
    }
}

/// Routes one group API: to lab 07's handler at the coordinator, else `$refuse`.
macro_rules! coordinated {
    ($router:expr, $service:expr, $api:ident :: $request:ident, |$r:ident| $refuse:expr) => {{
        let s = $service.clone();
        $router.route(move |ctx, $r: $api::$request| {
            let s = s.clone();
            async move {
                if s.is_coordinator(&$r.group_id) {
                    $api::handle(s.groups.clone(), ctx, $r).await
                } else {
                    Ok(Some($refuse))
                }
            }
        });
    }};
}

const NOT_COORDINATOR: ErrorCode = ErrorCode::NotCoordinator;

impl Service for ClusterGroupService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        let s = self.clone();
        router.route(move |_, r: FindCoordinatorRequest| {
            let s = s.clone();
            async move { Ok(Some(s.find_coordinator(r).await)) }
        });
        coordinated!(router, self, join_group::JoinGroupRequest, |r| {
            join_group::JoinGroupResponse {
                error_code: NOT_COORDINATOR,
                generation_id: -1,
                protocol_name: String::new(),
                leader: String::new(),
                member_id: r.member_id.clone(),
                members: Vec::new(),
            }
        });
        coordinated!(router, self, sync_group::SyncGroupRequest, |r| {
            sync_group::SyncGroupResponse {
                error_code: NOT_COORDINATOR,
                assignment: Vec::new(),
            }
        });
        coordinated!(router, self, heartbeat::HeartbeatRequest, |r| {
            heartbeat::HeartbeatResponse {
                error_code: NOT_COORDINATOR,
            }
        });
        coordinated!(router, self, leave_group::LeaveGroupRequest, |r| {
            leave_group::LeaveGroupResponse {
                error_code: NOT_COORDINATOR,
                members: Vec::new(),
            }
        });
        coordinated!(router, self, offset_commit::OffsetCommitRequest, |r| {
            offset_commit::OffsetCommitResponse {
                topics: r
                    .topics
                    .iter()
                    .map(|(t, ps)| {
                        let errors = ps.iter().map(|p| (p.partition_index, NOT_COORDINATOR));
                        (t.clone(), errors.collect())
                    })
                    .collect(),
            }
        });
        coordinated!(router, self, offset_fetch::OffsetFetchRequest, |r| {
            offset_fetch::OffsetFetchResponse {
                topics: r
                    .topics
                    .iter()
                    .flatten()
                    .map(|(t, ps)| {
                        let partitions = ps.iter().map(|p| offset_fetch::OffsetFetchPartition {
                            partition_index: *p,
                            committed_offset: -1,
                            committed_leader_epoch: -1,
                            metadata: None,
                            error_code: NOT_COORDINATOR,
                        });
                        (t.clone(), partitions.collect())
                    })
                    .collect(),
                error_code: NOT_COORDINATOR,
            }
        });
        let s = self.clone();
        router
            .route(move |ctx, r: DescribeGroupsRequest| handle_describe_groups(s.clone(), ctx, r));
        let s = self;
        router.route(move |ctx, r: DeleteGroupsRequest| handle_delete_groups(s.clone(), ctx, r));
    }
}

/// DescribeGroups names several groups: lab 07 describes the ones coordinated here, the
/// others answer NOT_COORDINATOR, in the request's order.
async fn handle_describe_groups(
    s: Arc<ClusterGroupService>,
    ctx: RequestContext,
    mut r: DescribeGroupsRequest,
) -> Handled<DescribeGroupsResponse> {
    let order = r.groups.clone();
    r.groups.retain(|g| s.is_coordinator(g));
    let mut described = match r.groups.is_empty() {
        true => Vec::new(),
        false => match describe_groups::handle(s.groups.clone(), ctx, r).await? {
            Some(response) => response.groups,
            None => return Ok(None),
        },
    };
    let groups = order
        .into_iter()
        .map(|g| match described.iter().position(|d| d.group_id == g) {
            Some(i) => described.remove(i),
            None => DescribedGroup {
                error_code: NOT_COORDINATOR,
                group_id: g,
                group_state: String::new(),
                protocol_type: String::new(),
                protocol_data: String::new(),
                members: Vec::new(),
            },
        })
        .collect();
    Ok(Some(DescribeGroupsResponse { groups }))
}

/// DeleteGroups: the same split as DescribeGroups.
async fn handle_delete_groups(
    s: Arc<ClusterGroupService>,
    ctx: RequestContext,
    mut r: DeleteGroupsRequest,
) -> Handled<DeleteGroupsResponse> {
    let order = r.groups_names.clone();
    r.groups_names.retain(|g| s.is_coordinator(g));
    let mut deleted = match r.groups_names.is_empty() {
        true => Vec::new(),
        false => match delete_groups::handle(s.groups.clone(), ctx, r).await? {
            Some(response) => response.results,
            None => return Ok(None),
        },
    };
    let results = order
        .into_iter()
        .map(|g| match deleted.iter().position(|(d, _)| *d == g) {
            Some(i) => deleted.remove(i),
            None => (g, NOT_COORDINATOR),
        })
        .collect();
    Ok(Some(DeleteGroupsResponse { results }))
}
