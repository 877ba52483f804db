//! Given: ControlledShutdown (API 7) and ElectLeaders (API 43) on a broker of the running
//! cluster. Both are the controller's business: the handler hands the request to the session
//! task that runs the controller core (`ControllerCommands`), which answers NOT_CONTROLLER
//! unless this broker is the active controller.
//!
//! Register it after lab 11's services (`Router::with`).

use std::sync::Arc;

use lab05_broker::{Handled, RequestContext, Router, Service};
use lab11_controller::controller_commands::ControllerCommands;
use lab11_controller::TopicPartition;

use crate::messages::controlled_shutdown::{
    ControlledShutdownRequest, ControlledShutdownResponse, RemainingPartition,
};
use crate::messages::elect_leaders::{
    ElectLeadersRequest, ElectLeadersResponse, PartitionResult, ReplicaElectionResult,
    ELECTION_TYPE_PREFERRED, ELIGIBLE_LEADERS_NOT_AVAILABLE,
};

/// Kafka's INVALID_REQUEST (42).
const INVALID_REQUEST: i16 = 42;

pub struct FailoverService {
    commands: ControllerCommands,
}

impl FailoverService {
    pub fn new(commands: ControllerCommands) -> Arc<FailoverService> {
        Arc::new(FailoverService { commands })
    }
}

async fn handle_controlled_shutdown(
    s: Arc<FailoverService>,
    request: ControlledShutdownRequest,
) -> Handled<ControlledShutdownResponse> {
    let (error_code, remaining) = s
        .commands
        .controlled_shutdown(request.broker_id, request.broker_epoch)
        .await;
    tracing::info!(
        broker = request.broker_id,
        error_code,
        remaining = remaining.len(),
        "controlled shutdown request answered"
    );
    Ok(Some(ControlledShutdownResponse {
        error_code,
        remaining_partitions: remaining
            .into_iter()
            .map(|tp| RemainingPartition {
                topic_name: tp.topic,
                partition_index: tp.partition,
            })
            .collect(),
    }))
}

async fn handle_elect_leaders(
    s: Arc<FailoverService>,
    request: ElectLeadersRequest,
) -> Handled<ElectLeadersResponse> {
    let partitions: Option<Vec<TopicPartition>> = request.topic_partitions.as_ref().map(|ts| {
        ts.iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(|p| TopicPartition::new(&t.topic, *p))
            })
            .collect()
    });
    if request.election_type != ELECTION_TYPE_PREFERRED {
        // Unclean elections on demand (KIP-460) are not wired: each partition says so.
        let results = partitions
            .unwrap_or_default()
            .into_iter()
            .map(|tp| (tp, ELIGIBLE_LEADERS_NOT_AVAILABLE))
            .collect();
        return Ok(Some(response(0, results, "only preferred elections")));
    }
    let (error_code, results) = s.commands.elect_preferred_leaders(partitions).await;
    if error_code != 0 && error_code != INVALID_REQUEST {
        tracing::info!(error_code, "ElectLeaders refused");
    }
    Ok(Some(response(error_code, results, "")))
}

fn response(
    error_code: i16,
    results: Vec<(TopicPartition, i16)>,
    why: &str,
) -> ElectLeadersResponse {
    let mut by_topic: Vec<ReplicaElectionResult> = Vec::new();
    for (tp, code) in results {
        let result = PartitionResult {
            partition_id: tp.partition,
            error_code: code,
            error_message: (code != 0 && !why.is_empty()).then(|| why.to_string()),
        };
        match by_topic.iter_mut().find(|r| r.topic == tp.topic) {
            Some(r) => r.partition_result.push(result),
            None => by_topic.push(ReplicaElectionResult {
                topic: tp.topic,
                partition_result: vec![result],
            }),
        }
    }
    ElectLeadersResponse {
        throttle_time_ms: 0,
        error_code,
        replica_election_results: by_topic,
    }
}

impl Service for FailoverService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        let s = self.clone();
        router.route(move |_: RequestContext, r: ControlledShutdownRequest| {
            handle_controlled_shutdown(s.clone(), r)
        });
        let s = self;
        router.route(move |_: RequestContext, r: ElectLeadersRequest| {
            handle_elect_leaders(s.clone(), r)
        });
    }
}
