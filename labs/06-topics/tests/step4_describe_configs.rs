//! Step 4: DescribeConfigs — each setting's value and where it comes from.

mod common;

use common::{create, open, topic};
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, BrokerConfig};
use lab06_topics::describe_configs::{
    source, DescribeConfigsRequest, DescribeConfigsResource, DescribedConfig, RESOURCE_BROKER,
    RESOURCE_TOPIC,
};
use lab06_topics::TopicAdmin;

fn describe(
    resource_type: i8,
    name: &str,
    keys: Option<&[&str]>,
    synonyms: bool,
) -> DescribeConfigsRequest {
    DescribeConfigsRequest {
        resources: vec![DescribeConfigsResource {
            resource_type,
            resource_name: name.into(),
            configuration_keys: keys.map(|k| k.iter().map(|s| s.to_string()).collect()),
        }],
        include_synonyms: synonyms,
        include_documentation: false,
    }
}

fn find<'a>(configs: &'a [DescribedConfig], name: &str) -> &'a DescribedConfig {
    configs
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn step4_each_value_says_where_it_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    // The broker changes log.segment.bytes from Kafka's default; the topic sets retention.ms.
    let mut broker = Broker::open(
        BrokerConfig {
            segment_bytes: 1 << 20,
            ..common::config(dir.path())
        },
        1_000,
    )
    .unwrap();
    let mut admin = TopicAdmin::open(&mut broker, 1_000).unwrap();
    admin.create_topics(
        &mut broker,
        &create(vec![topic("orders", 1, 1, &[("retention.ms", "60000")])]),
        2_000,
    );
    let r = admin.describe_configs(&broker, &describe(RESOURCE_TOPIC, "orders", None, false));
    assert_eq!(r.results[0].error_code, ErrorCode::None);
    let configs = &r.results[0].configs;
    let names: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "cleanup.policy",
            "compression.type",
            "delete.retention.ms",
            "flush.messages",
            "max.message.bytes",
            "message.timestamp.type",
            "min.cleanable.dirty.ratio",
            "min.compaction.lag.ms",
            "min.insync.replicas",
            "retention.bytes",
            "retention.ms",
            "segment.bytes",
            "segment.ms"
        ]
    );
    let retention = find(configs, "retention.ms");
    assert_eq!(
        (retention.value.as_deref(), retention.config_source),
        (Some("60000"), source::TOPIC_CONFIG)
    );
    let segment = find(configs, "segment.bytes");
    assert_eq!(
        (segment.value.as_deref(), segment.config_source),
        (Some("1048576"), source::STATIC_BROKER_CONFIG)
    );
    let retention_bytes = find(configs, "retention.bytes");
    assert_eq!(
        (
            retention_bytes.value.as_deref(),
            retention_bytes.config_source
        ),
        (Some("-1"), source::DEFAULT_CONFIG)
    );
    assert!(!find(configs, "max.message.bytes").read_only);
    let compression = find(configs, "compression.type");
    assert_eq!(
        (compression.value.as_deref(), compression.config_source),
        (Some("producer"), source::DEFAULT_CONFIG)
    );
    let ratio = find(configs, "min.cleanable.dirty.ratio");
    assert_eq!(
        (ratio.value.as_deref(), ratio.config_type),
        (Some("0.5"), 6)
    );
    assert!(!retention.read_only);
    assert!(
        configs.iter().all(|c| c.synonyms.is_empty()),
        "no synonyms unless asked"
    );
}

#[test]
fn step4_synonyms_list_every_level_most_specific_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::open(
        BrokerConfig {
            segment_bytes: 1 << 20,
            ..common::config(dir.path())
        },
        1_000,
    )
    .unwrap();
    let mut admin = TopicAdmin::open(&mut broker, 1_000).unwrap();
    admin.create_topics(
        &mut broker,
        &create(vec![topic("orders", 1, 1, &[("segment.bytes", "4096")])]),
        2_000,
    );
    let r = admin.describe_configs(
        &broker,
        &describe(
            RESOURCE_TOPIC,
            "orders",
            Some(&["segment.bytes", "retention.bytes"]),
            true,
        ),
    );
    let configs = &r.results[0].configs;
    assert_eq!(configs.len(), 2, "only the keys asked for");
    let levels: Vec<(String, Option<String>, i8)> = find(configs, "segment.bytes")
        .synonyms
        .iter()
        .map(|s| (s.name.clone(), s.value.clone(), s.source))
        .collect();
    assert_eq!(
        levels,
        [
            (
                "segment.bytes".to_string(),
                Some("4096".to_string()),
                source::TOPIC_CONFIG
            ),
            (
                "log.segment.bytes".to_string(),
                Some("1048576".to_string()),
                source::STATIC_BROKER_CONFIG
            ),
            (
                "log.segment.bytes".to_string(),
                Some("1073741824".to_string()),
                source::DEFAULT_CONFIG
            ),
        ]
    );
    let plain: Vec<i8> = find(configs, "retention.bytes")
        .synonyms
        .iter()
        .map(|s| s.source)
        .collect();
    assert_eq!(plain, [source::DEFAULT_CONFIG]);
}

#[test]
fn step4_unknown_topics_and_the_broker_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, admin) = open(dir.path());
    let r = admin.describe_configs(&broker, &describe(RESOURCE_TOPIC, "ghost", None, false));
    assert_eq!(r.results[0].error_code, ErrorCode::UnknownTopicOrPartition);
    let r = admin.describe_configs(
        &broker,
        &describe(
            RESOURCE_BROKER,
            "1",
            Some(&[
                "num.partitions",
                "broker.id",
                "log.cleanup.policy",
                "log.cleaner.min.cleanable.ratio",
            ]),
            false,
        ),
    );
    let configs = &r.results[0].configs;
    assert_eq!(
        find(configs, "log.cleanup.policy").value.as_deref(),
        Some("delete")
    );
    assert_eq!(
        find(configs, "log.cleaner.min.cleanable.ratio")
            .value
            .as_deref(),
        Some("0.5")
    );
    assert_eq!(find(configs, "num.partitions").value.as_deref(), Some("2"));
    assert_eq!(find(configs, "broker.id").value.as_deref(), Some("1"));
    // describe_topic is the step; run it once more through the public function.
    let c = lab06_topics::admin::describe_topic(
        &broker,
        &Default::default(),
        Some(&["cleanup.policy".to_string()]),
        false,
    );
    assert_eq!(
        (c[0].value.as_deref(), c[0].config_source),
        (Some("delete"), source::DEFAULT_CONFIG)
    );
}
