//! # Lab 06 — topics and partitions
//!
//! A topic is split into partitions so that it can grow past one disk and one consumer: the
//! slides' "scalability". This lab adds the requests that manage topics (CreateTopics,
//! DeleteTopics, DescribeConfigs) to lab 05's broker, and writes the client side that decides
//! where each record goes (the partitioner and the producer's batches) and reads them back.
//!
//! # Layout
//! - `topic_config` — step 1: a topic's own settings (`retention.ms`, `segment.bytes`, …),
//!   checked and applied over the broker's. Start here.
//! - `admin` — steps 2–4: CreateTopics, DeleteTopics, DescribeConfigs against lab 05's broker.
//! - `topic_settings` — steps 2 and 4: a topic's effective settings (value and source, step 2,
//!   for CreateTopics' answer) and their synonyms (step 4, for DescribeConfigs).
//! - `partitioner` — steps 5–6: Kafka's murmur2 for keys, the sticky partitioner for no key.
//! - `accumulator` — step 7: the producer's per-partition batches, `batch.size` and `linger.ms`.
//! - `memory_records_builder` — given: one batch's bytes, written record by record as `send`
//!   appends them (Kafka's `MemoryRecordsBuilder`); the accumulator keeps one per open batch.
//! - `fetch_position` — step 8: the consumer's position, record by record.
//! - `client::producer` — step 9: `Appender::append`, where the partitioner meets the accumulator;
//!   then our producer and consumer run against the broker over TCP.
//! - `topic_changes` — steps 10–12: CreatePartitions (step 10), AlterConfigs and
//!   IncrementalAlterConfigs (step 11), DeleteRecords (step 12) on a topic that exists.
//! - `create_topics`, `delete_topics`, `describe_configs` — given: one file per API, each its
//!   `SPEC`, codec and `handle`, the same shape as lab 04's and lab 05's; `wire` — their array
//!   helpers. `create_partitions`, `alter_configs`, `incremental_alter_configs`,
//!   `delete_records` — given, the same shape, for steps 10–12.
//! - `broker_configs` — given: DescribeConfigs for the broker's own keys.
//! - `service` — given: the seven APIs registered on lab 05's router.
//! - `client` — given (but for step 9): our producer, consumer and admin client over the
//!   `kafka-protocol` crate.
//! - `error` — the one error type.

pub mod accumulator;
pub mod admin;
pub mod alter_configs;
pub mod broker_configs;
pub mod client;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_configs;
pub mod error;
pub mod fetch_position;
pub mod incremental_alter_configs;
pub mod memory_records_builder;
pub mod partitioner;
pub mod service;
pub mod topic_changes;
pub mod topic_config;
pub mod topic_settings;
pub mod wire;

pub use admin::TopicAdmin;
pub use error::{Error, Result};
pub use service::TopicsService;
