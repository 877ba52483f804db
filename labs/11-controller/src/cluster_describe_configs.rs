//! Given: DescribeConfigs in a cluster. Lab 06's broker describes a topic from its own logs and
//! settings, which in a cluster holds only for the topics it is a replica of: asked about a
//! topic whose partitions all live on other brokers, it would answer "does not exist". Kafka
//! 2.6's `AdminManager.describeConfigs` asks the cluster instead: a topic exists when the
//! metadata cache knows it, and its overrides are `/config/topics/<topic>` in ZooKeeper. So any
//! broker describes any topic, as `kafka-topics --describe` expects of the broker it happens
//! to ask. A broker resource is this broker's `server.properties`, as in lab 06.

use std::collections::BTreeMap;
use std::sync::Arc;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Handled, RequestContext};
use lab06_topics::broker_configs::describe_broker;
use lab06_topics::describe_configs::{
    DescribeConfigsRequest, DescribeConfigsResource, DescribeConfigsResponse,
    DescribeConfigsResult, RESOURCE_BROKER, RESOURCE_TOPIC,
};
use lab06_topics::topic_settings::describe_topic;

use crate::replica_manager::topic_config;
use crate::requests::TopicPartition;
use crate::service::ControllerRequestsService;

/// What ZooKeeper said of one topic resource, read before the broker's lock is taken (a
/// ZooKeeper round trip must not hold it).
enum TopicLookup {
    Unknown,
    Overrides(BTreeMap<String, String>),
    Unreadable(String),
}

pub async fn handle_describe_configs(
    s: Arc<ControllerRequestsService>,
    _ctx: RequestContext,
    request: DescribeConfigsRequest,
) -> Handled<DescribeConfigsResponse> {
    let mut lookups = Vec::with_capacity(request.resources.len());
    for r in &request.resources {
        let lookup = if r.resource_type != RESOURCE_TOPIC {
            None
        } else if !topic_known(&s, &r.resource_name) {
            Some(TopicLookup::Unknown)
        } else {
            Some(match s.admin() {
                Some(admin) => match admin.topic_config(&r.resource_name).await {
                    Ok(overrides) => TopicLookup::Overrides(overrides),
                    Err(e) => TopicLookup::Unreadable(e.to_string()),
                },
                None => TopicLookup::Overrides(BTreeMap::new()),
            })
        };
        lookups.push(lookup);
    }
    let broker = s.shared().broker();
    let results = request
        .resources
        .iter()
        .zip(lookups)
        .map(|(r, lookup)| {
            let mut result = DescribeConfigsResult::empty(r);
            let keys = r.configuration_keys.as_deref();
            let broker_id = broker.config().broker_id;
            match (r.resource_type, lookup) {
                (_, Some(TopicLookup::Overrides(overrides))) => {
                    let config = topic_config(&r.resource_name, &overrides);
                    result.configs = describe_topic(&broker, &config, keys, request.include_synonyms);
                }
                (_, Some(TopicLookup::Unknown)) => {
                    result.error_code = ErrorCode::UnknownTopicOrPartition;
                    result.error_message =
                        Some(format!("Topic {} does not exist.", r.resource_name));
                }
                (_, Some(TopicLookup::Unreadable(e))) => {
                    result.error_code = ErrorCode::UnknownServerError;
                    result.error_message = Some(format!(
                        "reading /config/topics/{} from ZooKeeper: {e}",
                        r.resource_name
                    ));
                }
                (RESOURCE_BROKER, None) if broker_resource_is(r, broker_id) => {
                    result.configs = describe_broker(broker.config(), keys);
                }
                (RESOURCE_BROKER, None) => {
                    result.error_code = ErrorCode::InvalidRequest;
                    result.error_message =
                        Some(format!("this is broker {broker_id}, not {}", r.resource_name));
                }
                (other, None) => {
                    result.error_code = ErrorCode::InvalidRequest;
                    result.error_message = Some(format!(
                        "resource type {other} is not supported; ask for a topic (2) or a broker (4)"
                    ));
                }
            }
            result
        })
        .collect();
    Ok(Some(DescribeConfigsResponse {
        throttle_time_ms: 0,
        results,
    }))
}

/// Whether the cluster has `topic`: the metadata cache knows a partition of it, or, before a
/// controller has spoken, this broker holds it (a broker alone answers as lab 06's).
fn topic_known(s: &ControllerRequestsService, topic: &str) -> bool {
    let cache = s.cache();
    if cache.controller_spoke() {
        let first = TopicPartition::new(topic, 0);
        cache
            .view
            .metadata
            .range(first..)
            .next()
            .is_some_and(|(tp, _)| tp.topic == topic)
    } else {
        drop(cache);
        s.shared().broker().partition_count(topic).is_some()
    }
}

/// Kafka's AdminClient names the broker it asks (`"1"`); an empty name means "the broker that
/// answers".
fn broker_resource_is(r: &DescribeConfigsResource, broker_id: i32) -> bool {
    r.resource_name.is_empty() || r.resource_name == broker_id.to_string()
}
