//! Step 11: AlterConfigs and IncrementalAlterConfigs — a topic's settings change while it
//! runs: stored, applied to its open logs at once, and shown by DescribeConfigs.

mod common;

use common::{create, open, topic};
use lab04_protocol_codec::{ApiRequest, Decoder, ErrorCode};
use lab06_topics::alter_configs::{AlterConfigsRequest, AlterConfigsResource};
use lab06_topics::describe_configs::{
    source, DescribeConfigsRequest, DescribeConfigsResource, RESOURCE_BROKER, RESOURCE_TOPIC,
};
use lab06_topics::incremental_alter_configs::{
    op, AlterableConfig, IncrementalAlterConfigsRequest, IncrementalAlterResource,
};
use lab06_topics::topic_changes::incremental_overrides;
use lab06_topics::topic_config::TopicConfig;
use lab06_topics::TopicAdmin;

fn replace(resource_type: i8, name: &str, pairs: &[(&str, &str)]) -> AlterConfigsRequest {
    AlterConfigsRequest {
        resources: vec![AlterConfigsResource {
            resource_type,
            resource_name: name.into(),
            configs: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Some(v.to_string())))
                .collect(),
        }],
        validate_only: false,
    }
}

fn edit(name: &str, ops: &[(&str, i8, Option<&str>)]) -> IncrementalAlterConfigsRequest {
    IncrementalAlterConfigsRequest {
        resources: vec![IncrementalAlterResource {
            resource_type: RESOURCE_TOPIC,
            resource_name: name.into(),
            configs: ops.iter().map(|(k, o, v)| alterable(k, *o, *v)).collect(),
        }],
        validate_only: false,
    }
}

fn alterable(name: &str, operation: i8, value: Option<&str>) -> AlterableConfig {
    AlterableConfig {
        name: name.into(),
        operation,
        value: value.map(str::to_string),
    }
}

/// The topic's overrides as DescribeConfigs reports them (source TOPIC_CONFIG).
fn described_overrides(
    admin: &TopicAdmin,
    broker: &lab05_broker::Broker,
    name: &str,
) -> Vec<(String, String)> {
    let r = admin.describe_configs(
        broker,
        &DescribeConfigsRequest {
            resources: vec![DescribeConfigsResource {
                resource_type: RESOURCE_TOPIC,
                resource_name: name.into(),
                configuration_keys: None,
            }],
            include_synonyms: false,
            include_documentation: false,
        },
    );
    r.results[0]
        .configs
        .iter()
        .filter(|c| c.config_source == source::TOPIC_CONFIG)
        .map(|c| (c.name.clone(), c.value.clone().unwrap_or_default()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn step11_alter_configs_replaces_every_override_and_applies_them_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("orders", 2, 1, &[("retention.ms", "60000")])]),
        2_000,
    );
    let r = admin.alter_configs(
        &mut broker,
        &replace(
            RESOURCE_TOPIC,
            "orders",
            &[("segment.bytes", "4096"), ("retention.bytes", "100000")],
        ),
    );
    assert_eq!(
        r.responses[0].error_code,
        ErrorCode::None,
        "{:?}",
        r.responses[0]
    );
    assert_eq!(
        (
            r.responses[0].resource_type,
            r.responses[0].resource_name.as_str()
        ),
        (RESOURCE_TOPIC, "orders")
    );
    // retention.ms was left out: its override is gone, the broker's value is back.
    assert_eq!(
        described_overrides(&admin, &broker, "orders"),
        pairs(&[("retention.bytes", "100000"), ("segment.bytes", "4096")])
    );
    for p in 0..2 {
        let config = broker.partition("orders", p).unwrap().log().config();
        assert_eq!(
            config.segment_bytes, 4096,
            "partition {p} got the new segment.bytes"
        );
        assert_eq!(config.retention_bytes, 100_000);
        assert_eq!(config.retention_ms, broker.log_config().retention_ms);
    }
    let stored = std::fs::read_to_string(TopicConfig::path(dir.path(), "orders")).unwrap();
    assert_eq!(stored, "retention.bytes=100000\nsegment.bytes=4096\n");

    // An empty set removes every override, and the file.
    let r = admin.alter_configs(&mut broker, &replace(RESOURCE_TOPIC, "orders", &[]));
    assert_eq!(r.responses[0].error_code, ErrorCode::None);
    assert!(described_overrides(&admin, &broker, "orders").is_empty());
    assert!(!TopicConfig::path(dir.path(), "orders").exists());
    assert_eq!(
        broker.partition("orders", 1).unwrap().log().config(),
        &broker.log_config()
    );
}

#[test]
fn step11_a_new_retention_deletes_old_segments_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("logs", 1, 1, &[("segment.ms", "1000")])]),
        1_000,
    );
    // Three records a minute apart, each in its own segment (segment.ms=1000).
    for (i, ts) in [10_000, 70_000, 130_000].into_iter().enumerate() {
        assert_eq!(common::append(&mut broker, "logs", 0, ts, "v"), i as i64);
    }
    assert_eq!(
        broker.partition("logs", 0).unwrap().log().segments().len(),
        3
    );
    // A week's retention keeps everything at 200 s.
    assert_eq!(broker.apply_retention(200_000).unwrap(), 0);

    let r = admin.incremental_alter_configs(
        &mut broker,
        &edit("logs", &[("retention.ms", op::SET, Some("150000"))]),
    );
    assert_eq!(
        r.responses[0].error_code,
        ErrorCode::None,
        "{:?}",
        r.responses[0]
    );
    assert_eq!(
        broker.apply_retention(200_000).unwrap(),
        1,
        "at 200 s only the segment of 10 s is older than 150 s"
    );
    assert_eq!(broker.partition("logs", 0).unwrap().log_start_offset(), 1);
    assert_eq!(
        described_overrides(&admin, &broker, "logs"),
        pairs(&[("retention.ms", "150000"), ("segment.ms", "1000")]),
        "SET kept segment.ms"
    );

    // DELETE: back to the broker's week.
    let r = admin.incremental_alter_configs(
        &mut broker,
        &edit("logs", &[("retention.ms", op::DELETE, None)]),
    );
    assert_eq!(r.responses[0].error_code, ErrorCode::None);
    assert_eq!(
        described_overrides(&admin, &broker, "logs"),
        pairs(&[("segment.ms", "1000")])
    );
    assert_eq!(
        broker
            .partition("logs", 0)
            .unwrap()
            .log()
            .config()
            .retention_ms,
        broker.log_config().retention_ms
    );

    // A restart reads the stored overrides back.
    drop((broker, admin));
    let (broker, admin) = open(dir.path());
    assert_eq!(
        described_overrides(&admin, &broker, "logs"),
        pairs(&[("segment.ms", "1000")])
    );
    assert_eq!(
        broker
            .partition("logs", 0)
            .unwrap()
            .log()
            .config()
            .segment_ms,
        1000
    );
}

#[test]
fn step11_append_and_subtract_work_on_lists_only() {
    let dir = tempfile::tempdir().unwrap();
    let (broker, _) = open(dir.path());
    let none = TopicConfig::default();
    // APPEND starts from the broker's value when the topic has no override.
    let out = incremental_overrides(
        &broker,
        &none,
        &[alterable("cleanup.policy", op::APPEND, Some("compact"))],
    )
    .unwrap();
    assert_eq!(
        out,
        vec![(
            "cleanup.policy".to_string(),
            Some("delete,compact".to_string())
        )]
    );
    let current = TopicConfig {
        overrides: [
            ("cleanup.policy".to_string(), "delete,compact".to_string()),
            ("retention.ms".to_string(), "5".to_string()),
        ]
        .into_iter()
        .collect(),
    };
    let out = incremental_overrides(
        &broker,
        &current,
        &[alterable("cleanup.policy", op::SUBTRACT, Some("delete"))],
    )
    .unwrap();
    assert_eq!(
        out,
        vec![
            ("cleanup.policy".to_string(), Some("compact".to_string())),
            ("retention.ms".to_string(), Some("5".to_string()))
        ]
    );
    let err = incremental_overrides(
        &broker,
        &current,
        &[alterable("retention.ms", op::APPEND, Some("7"))],
    )
    .unwrap_err();
    assert_eq!(
        err,
        (
            ErrorCode::InvalidRequest,
            "Config value append is not allowed for config key: retention.ms".to_string()
        )
    );
    let err = incremental_overrides(
        &broker,
        &current,
        &[alterable("retention.ms", op::SUBTRACT, Some("7"))],
    )
    .unwrap_err();
    assert_eq!(err.0, ErrorCode::InvalidRequest);
    // Kafka's other refusals: a key twice, a null value to set, a key it does not know.
    let err = incremental_overrides(
        &broker,
        &none,
        &[
            alterable("retention.ms", op::SET, Some("1")),
            alterable("retention.ms", op::DELETE, None),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err,
        (
            ErrorCode::InvalidRequest,
            "Error due to duplicate config keys : retention.ms".to_string()
        )
    );
    let err = incremental_overrides(&broker, &none, &[alterable("retention.ms", op::SET, None)])
        .unwrap_err();
    assert_eq!(
        err,
        (
            ErrorCode::InvalidRequest,
            "Null value not supported for : SET:retention.ms".to_string()
        )
    );
    let err = incremental_overrides(
        &broker,
        &none,
        &[alterable("retention.msec", op::SET, Some("1"))],
    )
    .unwrap_err();
    assert_eq!(err.0, ErrorCode::InvalidConfig);
}

#[test]
fn step11_refusals_name_the_key_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("t", 1, 1, &[("retention.ms", "60000")])]),
        2_000,
    );
    let before = described_overrides(&admin, &broker, "t");

    let r = admin.alter_configs(
        &mut broker,
        &replace(RESOURCE_TOPIC, "t", &[("retention.msec", "1")]),
    );
    assert_eq!(r.responses[0].error_code, ErrorCode::InvalidConfig);
    assert!(r.responses[0]
        .error_message
        .as_deref()
        .unwrap()
        .contains("retention.msec"));
    let r = admin.incremental_alter_configs(
        &mut broker,
        &edit("t", &[("retention.ms", op::SET, Some("soon"))]),
    );
    assert_eq!(r.responses[0].error_code, ErrorCode::InvalidRequest);
    assert!(r.responses[0]
        .error_message
        .as_deref()
        .unwrap()
        .contains("retention.ms"));
    let r = admin.alter_configs(
        &mut broker,
        &replace(RESOURCE_TOPIC, "missing", &[("retention.ms", "1")]),
    );
    assert_eq!(
        r.responses[0].error_code,
        ErrorCode::UnknownTopicOrPartition
    );
    assert_eq!(described_overrides(&admin, &broker, "t"), before);
    assert_eq!(
        broker
            .partition("t", 0)
            .unwrap()
            .log()
            .config()
            .retention_ms,
        60_000
    );

    // validate_only answers as if, and changes nothing.
    let mut request = edit("t", &[("retention.ms", op::SET, Some("1000"))]);
    request.validate_only = true;
    let r = admin.incremental_alter_configs(&mut broker, &request);
    assert_eq!(r.responses[0].error_code, ErrorCode::None);
    assert_eq!(described_overrides(&admin, &broker, "t"), before);

    // The broker reads server.properties once: no key of it changes at run time.
    let r = admin.alter_configs(
        &mut broker,
        &replace(RESOURCE_BROKER, "1", &[("log.retention.hours", "1")]),
    );
    assert_eq!(r.responses[0].error_code, ErrorCode::InvalidRequest);
    let message = r.responses[0].error_message.clone().unwrap();
    assert!(
        message.contains("Cannot update these configs dynamically: Set(log.retention.hours)"),
        "{message}"
    );
    let r = admin.alter_configs(&mut broker, &replace(RESOURCE_BROKER, "9", &[]));
    assert_eq!(
        r.responses[0].error_code,
        ErrorCode::InvalidRequest,
        "not this broker's id"
    );
    assert_eq!(broker.log_config().retention_ms, 168 * 3_600_000);
}

#[test]
fn step11_wire_format_is_kafkas() {
    // IncrementalAlterConfigs v1 (flexible): resources [type, name, configs [name, op, value]].
    let mut bytes = vec![0x02, RESOURCE_TOPIC as u8, 0x02, b't', 0x02];
    bytes.extend([0x03, b'r', b'.']); // compact string "r."
    bytes.push(op::DELETE as u8);
    bytes.push(0x00); // value: null
    bytes.extend([0x00, 0x00]); // tag sections of the config and the resource
    bytes.push(0x00); // validate_only
    bytes.push(0x00); // tag section
    let mut d = Decoder::new(&bytes);
    let r = IncrementalAlterConfigsRequest::decode(&mut d, 1).unwrap();
    d.finish().unwrap();
    assert_eq!(
        r.resources[0].configs,
        vec![alterable("r.", op::DELETE, None)]
    );

    // AlterConfigs v0 (never flexible).
    let mut bytes = 1i32.to_be_bytes().to_vec();
    bytes.push(RESOURCE_TOPIC as u8);
    bytes.extend(1i16.to_be_bytes());
    bytes.push(b't');
    bytes.extend(1i32.to_be_bytes());
    bytes.extend(10i16.to_be_bytes());
    bytes.extend(*b"segment.ms");
    bytes.extend(1i16.to_be_bytes());
    bytes.push(b'5');
    bytes.push(0x00); // validate_only
    let mut d = Decoder::new(&bytes);
    let r = AlterConfigsRequest::decode(&mut d, 0).unwrap();
    d.finish().unwrap();
    assert!(!r.validate_only);
    assert_eq!(
        r.resources[0].configs,
        vec![("segment.ms".to_string(), Some("5".to_string()))]
    );

    // And what the handler makes of it.
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("t", 1, 1, &[])]), 2_000);
    let response = admin.alter_configs(&mut broker, &r);
    assert_eq!(response.responses[0].error_code, ErrorCode::None);
    assert_eq!(
        described_overrides(&admin, &broker, "t"),
        pairs(&[("segment.ms", "5")])
    );
    assert_eq!(
        broker.partition("t", 0).unwrap().log().config().segment_ms,
        5
    );
}
