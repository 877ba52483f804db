//! Given: lab 07's group APIs on a broker of a cluster (Kafka's `KafkaApis` in front of the
//! `GroupCoordinator`): at the leader of the group's `__consumer_offsets` partition they go to
//! lab 07's handlers unchanged; elsewhere they answer NOT_COORDINATOR (16) and the client asks
//! FindCoordinator again (`group_placement` says who coordinates).
//!
//! When LeaderAndIsr makes this broker a partition's leader (`leadership`), lab 07 replays that
//! partition from the local log — what its followers copied, transactional offsets by their
//! markers — so a group moved by a failover keeps its committed offsets; a broker that follows
//! now forgets them. Kafka also drops the groups' membership then; here a member's next request
//! at the old coordinator gets NOT_COORDINATOR, which has the same effect for the client.

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

use crate::group_placement::{
    coordinator_endpoint, coordinator_for, create_offsets_topic, no_coordinator, Coordinator,
};
use crate::leadership::LeadershipListener;
use crate::metadata_cache::CONSUMER_OFFSETS;
use crate::requests::TopicPartition;
use crate::service::ControllerRequestsService;

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
        let service = Arc::new(ClusterGroupService { controller, groups });
        let listener: Arc<dyn LeadershipListener> = service.clone();
        service.controller.leadership.add(Arc::downgrade(&listener));
        service
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

    /// FindCoordinator for a group (key type 0); lab 14's cluster transactions answer key type 1.
    pub async fn find_coordinator(&self, r: FindCoordinatorRequest) -> FindCoordinatorResponse {
        if r.key_type != 0 {
            return no_coordinator(
                ErrorCode::CoordinatorNotAvailable,
                Some("this broker has no transaction coordinator".into()),
            );
        }
        let found = coordinator_for(&self.controller.cache(), &r.key, OFFSETS_PARTITIONS);
        match found {
            Coordinator::NoOffsetsTopic => {
                let (_, message) = create_offsets_topic(&self.controller).await;
                no_coordinator(ErrorCode::CoordinatorNotAvailable, message)
            }
            Coordinator::NotAvailable => no_coordinator(ErrorCode::CoordinatorNotAvailable, None),
            Coordinator::Broker(id) => coordinator_endpoint(&self.controller.cache(), id),
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

/// Kafka's `GroupCoordinator.onElection` / `onResignation` for `__consumer_offsets`: a new
/// leader replays the partition from its log — offsets its followers copied, transactional
/// ones by their markers — and an old one forgets the partition's groups' offsets.
impl LeadershipListener for ClusterGroupService {
    fn on_election(&self, tp: &TopicPartition, leader_epoch: i32) {
        if tp.topic != CONSUMER_OFFSETS {
            return;
        }
        let broker = self.controller.shared().broker();
        let mut state = self.groups.state();
        match state.groups.load_partition(&broker, tp.partition) {
            Ok(records) => {
                tracing::info!(%tp, leader_epoch, records, "loaded the group offsets of {CONSUMER_OFFSETS}-{}", tp.partition)
            }
            Err(e) => tracing::error!(%tp, "loading the group offsets: {e}"),
        }
    }

    fn on_resignation(&self, tp: &TopicPartition) {
        if tp.topic == CONSUMER_OFFSETS {
            self.groups.state().groups.unload_partition(tp.partition);
        }
    }
}

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
