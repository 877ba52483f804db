//! Given: changing an existing topic in a cluster, refused with a reason. Lab 06's
//! CreatePartitions, AlterConfigs and IncrementalAlterConfigs change the logs and settings of
//! the broker that is asked. In a cluster that would be a quiet lie: the other brokers, the
//! controller and `/config/topics/<topic>` would never hear of it, and the answer would still
//! say NONE. Kafka 2.6 does both through ZooKeeper: new partitions are a new replica assignment
//! in `/brokers/topics/<topic>`, which the controller watches; new settings go to
//! `/config/topics/<topic>` with a change notification under `/config/changes` that every broker
//! watches. This course's cluster does neither yet, so topic resources answer INVALID_REQUEST
//! with what to do instead (delete the topic and create it again). Broker resources are still
//! lab 06's answer: they name one broker's own settings.

use std::sync::Arc;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Handled, RequestContext, Router, Service};
use lab06_topics::alter_configs::{
    self, AlterConfigsRequest, AlterConfigsResourceResponse, AlterConfigsResponse,
};
use lab06_topics::create_partitions::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopicResult,
};
use lab06_topics::describe_configs::RESOURCE_TOPIC;
use lab06_topics::incremental_alter_configs::{
    self, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse,
};
use lab06_topics::service::TopicsService;

/// Why a topic is not changed in a cluster; `what` is "add partitions to" or "change the
/// settings of".
pub fn refusal(what: &str, topic: &str) -> String {
    format!(
        "cannot {what} topic {topic} in a cluster yet: Kafka does it through ZooKeeper and the \
         controller, which this course's cluster does not do, and changing only this broker's \
         logs would leave the others behind. Delete the topic and create it again with what \
         you want."
    )
}

/// Lab 06's topic service, with its topic changes refused (see the module's text). Register it
/// after lab 06's `TopicsService`, whose routes for these three APIs it replaces.
pub struct ClusterTopicChanges {
    topics: Arc<TopicsService>,
}

impl ClusterTopicChanges {
    pub fn new(topics: Arc<TopicsService>) -> Arc<ClusterTopicChanges> {
        Arc::new(ClusterTopicChanges { topics })
    }
}

fn create_partitions(request: &CreatePartitionsRequest) -> CreatePartitionsResponse {
    CreatePartitionsResponse {
        throttle_time_ms: 0,
        results: request
            .topics
            .iter()
            .map(|t| CreatePartitionsTopicResult {
                name: t.name.clone(),
                error_code: ErrorCode::InvalidRequest,
                error_message: Some(refusal("add partitions to", &t.name)),
            })
            .collect(),
    }
}

fn refused(resource_type: i8, resource_name: &str) -> AlterConfigsResourceResponse {
    AlterConfigsResourceResponse {
        error_code: ErrorCode::InvalidRequest,
        error_message: Some(refusal("change the settings of", resource_name)),
        resource_type,
        resource_name: resource_name.to_string(),
    }
}

/// Each resource's type and name, in request order, before [`take_topics`] removes the topic
/// ones.
pub(crate) type Resources = Vec<(i8, String)>;

/// Takes the topic resources out of `resources` (what this module answers itself) and returns
/// every resource's type and name, in request order, for [`merge`].
pub(crate) fn take_topics<R>(resources: &mut Vec<R>, kind: impl Fn(&R) -> (i8, &str)) -> Resources {
    let all = resources
        .iter()
        .map(|r| {
            let (kind, name) = kind(r);
            (kind, name.to_string())
        })
        .collect();
    resources.retain(|r| kind(r).0 != RESOURCE_TOPIC);
    all
}

/// The answers in request order: `topic`'s answer for each topic resource, and lab 06's
/// answers, in their order, for the others.
pub(crate) fn merge<T>(
    resources: Resources,
    lab06: Vec<T>,
    mut topic: impl FnMut(i8, String) -> T,
) -> Vec<T> {
    let mut lab06 = lab06.into_iter();
    resources
        .into_iter()
        .filter_map(|(kind, name)| match kind {
            RESOURCE_TOPIC => Some(topic(kind, name)),
            _ => lab06.next(),
        })
        .collect()
}

async fn handle_alter_configs(
    s: Arc<ClusterTopicChanges>,
    ctx: RequestContext,
    mut request: AlterConfigsRequest,
) -> Handled<AlterConfigsResponse> {
    let resources = take_topics(&mut request.resources, |r| {
        (r.resource_type, &r.resource_name)
    });
    let others = match request.resources.is_empty() {
        true => None,
        false => alter_configs::handle(s.topics.clone(), ctx, request).await?,
    };
    let (throttle_time_ms, answers) =
        others.map_or((0, vec![]), |r| (r.throttle_time_ms, r.responses));
    let responses = merge(resources, answers, |kind, name| refused(kind, &name));
    Ok(Some(AlterConfigsResponse {
        throttle_time_ms,
        responses,
    }))
}

async fn handle_incremental_alter_configs(
    s: Arc<ClusterTopicChanges>,
    ctx: RequestContext,
    mut request: IncrementalAlterConfigsRequest,
) -> Handled<IncrementalAlterConfigsResponse> {
    let resources = take_topics(&mut request.resources, |r| {
        (r.resource_type, &r.resource_name)
    });
    let others = match request.resources.is_empty() {
        true => None,
        false => incremental_alter_configs::handle(s.topics.clone(), ctx, request).await?,
    };
    let (throttle_time_ms, answers) =
        others.map_or((0, vec![]), |r| (r.throttle_time_ms, r.responses));
    let responses = merge(resources, answers, |kind, name| refused(kind, &name));
    Ok(Some(IncrementalAlterConfigsResponse {
        throttle_time_ms,
        responses,
    }))
}

impl Service for ClusterTopicChanges {
    fn routes(self: Arc<Self>, router: &mut Router) {
        router.route(move |_, r: CreatePartitionsRequest| {
            let answer = create_partitions(&r);
            async move { Ok(Some(answer)) }
        });
        let s = self.clone();
        router.route(move |ctx, r: AlterConfigsRequest| handle_alter_configs(s.clone(), ctx, r));
        let s = self;
        router.route(move |ctx, r: IncrementalAlterConfigsRequest| {
            handle_incremental_alter_configs(s.clone(), ctx, r)
        });
    }
}
