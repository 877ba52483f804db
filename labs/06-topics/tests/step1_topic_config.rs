//! Step 1: a topic's own settings, checked like Kafka checks `--config`, applied over the
//! broker's.

use lab03_partition_log::LogConfig;
use lab06_topics::topic_config::TopicConfig;
use lab06_topics::Error;

fn pairs(p: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

#[test]
fn step1_known_settings_are_kept() {
    let c = TopicConfig::from_request(&pairs(&[
        ("retention.ms", "60000"),
        ("segment.bytes", "1048576"),
        ("cleanup.policy", "delete"),
        ("retention.bytes", "-1"),
        // Kafka's acks=all rule, read by lab 12 in a cluster.
        ("min.insync.replicas", "2"),
    ]))
    .unwrap();
    assert_eq!(c.overrides.len(), 5);
    assert_eq!(c.overrides["min.insync.replicas"], "2");
    assert_eq!(c.overrides["retention.ms"], "60000");
    // A null value means "no override".
    let c = TopicConfig::from_request(&[("retention.ms".into(), None)]).unwrap();
    assert!(c.overrides.is_empty());
}

#[test]
fn step1_bad_settings_are_refused_naming_the_key() {
    for (key, value, why) in [
        ("retention.msec", "1", "not a topic setting"),
        ("retention.ms", "soon", "not a whole number"),
        ("retention.ms", "-5", "between"),
        ("segment.bytes", "10", "between 14"),
        ("segment.bytes", "4294967296", "between"),
        ("flush.messages", "0", "between 1"),
        ("min.insync.replicas", "0", "between 1"),
        ("cleanup.policy", "shred", "compact,delete"),
        ("max.message.bytes", "-1", "between 0"),
        ("compression.type", "brotli", "lz4"),
        ("message.timestamp.type", "BrokerTime", "LogAppendTime"),
        ("min.cleanable.dirty.ratio", "1.5", "fraction"),
        ("delete.retention.ms", "-1", "between 0"),
    ] {
        match TopicConfig::from_request(&pairs(&[(key, value)])) {
            Err(e @ Error::InvalidTopicConfig { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains(key) && text.contains(why),
                    "{key}={value}: {text}"
                );
            }
            other => panic!("{key}={value} must be refused, got {other:?}"),
        }
    }
}

#[test]
fn step1_overrides_replace_the_brokers_values() {
    let broker = LogConfig {
        segment_bytes: 1 << 20,
        retention_ms: 1_000_000,
        ..LogConfig::default()
    };
    let c = TopicConfig::from_request(&pairs(&[
        ("retention.ms", "60000"),
        ("retention.bytes", "5000"),
        ("segment.ms", "3600000"),
        ("flush.messages", "1"),
    ]))
    .unwrap();
    let log = c.log_config(&broker);
    assert_eq!(log.retention_ms, 60_000);
    assert_eq!(log.retention_bytes, 5_000);
    assert_eq!(log.segment_ms, 3_600_000);
    assert_eq!(log.flush_interval_messages, 1);
    assert_eq!(
        log.segment_bytes,
        1 << 20,
        "not overridden: the broker's value"
    );
    assert_eq!(TopicConfig::default().log_config(&broker), broker);
}

#[test]
fn step1_settings_survive_a_restart_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let c = TopicConfig::from_request(&pairs(&[
        ("retention.ms", "60000"),
        ("segment.bytes", "4096"),
    ]))
    .unwrap();
    c.store(dir.path(), "orders").unwrap();
    assert_eq!(TopicConfig::load(dir.path(), "orders").unwrap(), c);
    assert_eq!(
        TopicConfig::load(dir.path(), "other").unwrap(),
        TopicConfig::default()
    );
    // A hand-edited file with a bad value is reported with its path, not silently ignored.
    std::fs::write(
        TopicConfig::path(dir.path(), "orders"),
        "retention.ms=never\n",
    )
    .unwrap();
    let e = TopicConfig::load(dir.path(), "orders")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("orders.properties") && e.contains("retention.ms"),
        "{e}"
    );
}

#[test]
fn step1_compaction_compression_and_timestamp_settings_reach_the_log() {
    use lab01_record_batch::{Compression, TimestampType};
    use lab03_partition_log::{CleanupPolicy, CompressionType};
    let c = TopicConfig::from_request(&pairs(&[
        ("cleanup.policy", "compact,delete"),
        ("compression.type", "lz4"),
        ("delete.retention.ms", "100"),
        ("max.message.bytes", "2000000"),
        ("message.timestamp.type", "LogAppendTime"),
        ("min.cleanable.dirty.ratio", "0.01"),
        ("min.compaction.lag.ms", "5"),
    ]))
    .unwrap();
    let log = c.log_config(&LogConfig::default());
    assert_eq!(
        log.cleanup_policy,
        CleanupPolicy {
            delete: true,
            compact: true
        }
    );
    assert_eq!(
        log.compression_type,
        CompressionType::Codec(Compression::Lz4)
    );
    assert_eq!(log.delete_retention_ms, 100);
    assert_eq!(log.max_message_bytes, 2_000_000);
    assert_eq!(log.message_timestamp_type, TimestampType::LogAppendTime);
    assert_eq!(log.min_cleanable_dirty_ratio, 0.01);
    assert_eq!(log.min_compaction_lag_ms, 5);
    let c = TopicConfig::from_request(&pairs(&[
        ("cleanup.policy", "compact"),
        ("compression.type", "uncompressed"),
    ]))
    .unwrap();
    let log = c.log_config(&LogConfig::default());
    assert_eq!(log.cleanup_policy, CleanupPolicy::COMPACT);
    assert_eq!(
        log.compression_type,
        CompressionType::Codec(Compression::None)
    );
}
