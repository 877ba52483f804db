//! Helpers for the lab 06 tests: a broker in a temporary folder with lab 06's admin state.

#![allow(dead_code)]

use lab05_broker::{Broker, BrokerConfig};
use lab06_topics::create_topics::{CreatableTopic, CreateTopicsRequest};
use lab06_topics::TopicAdmin;

pub fn config(dir: &std::path::Path) -> BrokerConfig {
    BrokerConfig {
        broker_id: 1,
        log_dir: dir.to_path_buf(),
        num_partitions: 2,
        advertised_host: "127.0.0.1".into(),
        ..BrokerConfig::default()
    }
}

pub fn open(dir: &std::path::Path) -> (Broker, TopicAdmin) {
    let mut broker = Broker::open(config(dir), 1_000).unwrap();
    let admin = TopicAdmin::open(&mut broker, 1_000).unwrap();
    (broker, admin)
}

pub fn topic(name: &str, partitions: i32, rf: i16, configs: &[(&str, &str)]) -> CreatableTopic {
    CreatableTopic {
        name: name.into(),
        num_partitions: partitions,
        replication_factor: rf,
        assignments: vec![],
        configs: configs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect(),
    }
}

pub fn create(topics: Vec<CreatableTopic>) -> CreateTopicsRequest {
    CreateTopicsRequest {
        topics,
        timeout_ms: 30_000,
        validate_only: false,
    }
}

/// Appends one record (timestamp `ts`, value `value`) to a partition as its leader.
pub fn append(broker: &mut Broker, topic: &str, partition: i32, ts: i64, value: &str) -> i64 {
    let mut b = lab01_record_batch::RecordBatchBuilder::new(0);
    b.append(ts, Some(b"k"), Some(value.as_bytes()), vec![]);
    let mut bytes = b.build().encode();
    broker
        .partition_mut(topic, partition)
        .expect("the partition exists")
        .append_as_leader(&mut bytes, ts)
        .unwrap()
        .first_offset
}
