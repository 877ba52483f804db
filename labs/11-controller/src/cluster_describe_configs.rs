//! Given: DescribeConfigs in a cluster. Lab 06's broker describes a topic from its own logs and
//! settings, which in a cluster holds only for the topics it is a replica of: asked about a
//! topic whose partitions all live on other brokers, it would answer "does not exist". Kafka
//! 2.6's `AdminManager.describeConfigs` asks the cluster instead: a topic exists when the
//! metadata cache knows it, and its overrides are `/config/topics/<topic>` in ZooKeeper. So any
//! broker describes any topic, as `kafka-topics --describe` expects of the broker it happens
//! to ask. Other resources (a broker's `server.properties`) are lab 06's answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Handled, RequestContext, Router, Service};
use lab06_topics::describe_configs::{
    self, DescribeConfigsRequest, DescribeConfigsResource, DescribeConfigsResponse,
    DescribeConfigsResult,
};
use lab06_topics::service::TopicsService;
use lab06_topics::topic_settings::describe_topic;

use crate::cluster_topic_changes::{merge, take_topics};
use crate::replica_manager::topic_config;
use crate::requests::TopicPartition;
use crate::service::ControllerRequestsService;

/// Lab 11's DescribeConfigs for topics, lab 06's for the rest. Register it after lab 06's
/// `TopicsService`, whose DescribeConfigs route it replaces.
pub struct ClusterDescribeConfigs {
    cluster: Arc<ControllerRequestsService>,
    topics: Arc<TopicsService>,
}

impl ClusterDescribeConfigs {
    pub fn new(
        cluster: Arc<ControllerRequestsService>,
        topics: Arc<TopicsService>,
    ) -> Arc<ClusterDescribeConfigs> {
        Arc::new(ClusterDescribeConfigs { cluster, topics })
    }
}

/// What ZooKeeper said of one topic, read before the broker's lock is taken (a ZooKeeper round
/// trip must not hold it).
enum TopicLookup {
    Unknown,
    Overrides(BTreeMap<String, String>),
    Unreadable(String),
}

async fn lookup(s: &ControllerRequestsService, topic: &str) -> TopicLookup {
    if !topic_known(s, topic) {
        return TopicLookup::Unknown;
    }
    match s.admin() {
        Some(admin) => match admin.topic_config(topic).await {
            Ok(overrides) => TopicLookup::Overrides(overrides),
            Err(e) => TopicLookup::Unreadable(e.to_string()),
        },
        None => TopicLookup::Overrides(BTreeMap::new()),
    }
}

async fn handle_describe_configs(
    s: Arc<ClusterDescribeConfigs>,
    ctx: RequestContext,
    mut request: DescribeConfigsRequest,
) -> Handled<DescribeConfigsResponse> {
    let topics: Vec<DescribeConfigsResource> = request
        .resources
        .iter()
        .filter(|r| r.resource_type == describe_configs::RESOURCE_TOPIC)
        .cloned()
        .collect();
    let mut lookups = Vec::with_capacity(topics.len());
    for r in &topics {
        lookups.push(lookup(&s.cluster, &r.resource_name).await);
    }
    let include_synonyms = request.include_synonyms;
    let resources = take_topics(&mut request.resources, |r| {
        (r.resource_type, &r.resource_name)
    });
    let others = match request.resources.is_empty() {
        true => None,
        false => describe_configs::handle(s.topics.clone(), ctx, request).await?,
    };
    let (throttle_time_ms, answers) =
        others.map_or((0, vec![]), |r| (r.throttle_time_ms, r.results));
    let broker = s.cluster.shared().broker();
    let mut topics = topics.iter().zip(lookups);
    let results = merge(resources, answers, |_, _| {
        let Some((r, lookup)) = topics.next() else {
            unreachable!("take_topics lists as many topics as the request has");
        };
        let mut result = DescribeConfigsResult::empty(r);
        match lookup {
            TopicLookup::Overrides(overrides) => {
                let config = topic_config(&r.resource_name, &overrides);
                let keys = r.configuration_keys.as_deref();
                result.configs = describe_topic(&broker, &config, keys, include_synonyms);
            }
            TopicLookup::Unknown => {
                result.error_code = ErrorCode::UnknownTopicOrPartition;
                result.error_message = Some(format!("Topic {} does not exist.", r.resource_name));
            }
            TopicLookup::Unreadable(e) => {
                result.error_code = ErrorCode::UnknownServerError;
                result.error_message = Some(format!(
                    "reading /config/topics/{} from ZooKeeper: {e}",
                    r.resource_name
                ));
            }
        }
        result
    });
    Ok(Some(DescribeConfigsResponse {
        throttle_time_ms,
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

impl Service for ClusterDescribeConfigs {
    fn routes(self: Arc<Self>, router: &mut Router) {
        router.route(move |ctx, r: DescribeConfigsRequest| {
            handle_describe_configs(self.clone(), ctx, r)
        });
    }
}
