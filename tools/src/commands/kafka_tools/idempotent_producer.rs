//! The console producer with `enable.idempotence=true`: a producer id from InitProducerId,
//! and a sequence number per partition on every batch, so that a batch sent again after a lost
//! answer is stored once (lab 14 step 1 on the broker's side).
//!
//! Lab 06's producer pipelines batches and knows nothing of producer ids; rather than teach it
//! sequences, the console producer — one line, one record — sends each record as its own
//! batch and waits for the answer. That is what a person typing lines sees anyway, and a retry
//! is then simply the same bytes sent again: the broker answers DUPLICATE_SEQUENCE_NUMBER (or
//! the first offsets) and stores nothing twice.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{InitProducerIdRequest, ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use lab01_record_batch::{Record, RecordBatch};
use lab06_topics::client::cluster::Cluster;
use lab06_topics::client::connection::error_name;
use lab06_topics::client::wall_clock_ms;
use lab06_topics::partitioner::{partition_for_key, StickyPartitioner};

use crate::error::Error;

/// Errors after which the same batch may be sent again (after a metadata refresh): the leader
/// moved, or the ISR was short for a moment. `NOT_ENOUGH_REPLICAS_AFTER_APPEND` (20) is one:
/// the batch is in the log, and the retry is answered as a duplicate.
const RETRIABLE: &[i16] = &[3, 5, 6, 7, 13, 19, 20];
const DUPLICATE_SEQUENCE_NUMBER: i16 = 46;
/// Between retries, as `retry.backoff.ms` (100 ms by default in Kafka).
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// How long a send waits for its topic's metadata (`max.block.ms`).
const MAX_BLOCK: Duration = Duration::from_secs(60);

pub struct IdempotentProducer {
    cluster: Cluster,
    producer_id: i64,
    producer_epoch: i16,
    /// The next sequence per partition, from 0: the broker expects exactly this one.
    next_sequence: BTreeMap<(String, i32), i32>,
    retries: u32,
    sticky: StickyPartitioner,
}

impl IdempotentProducer {
    pub async fn connect(
        bootstrap: &str,
        client_id: &str,
        retries: u32,
    ) -> Result<IdempotentProducer, Error> {
        let mut cluster = Cluster::connect(bootstrap, client_id, Duration::from_secs(30)).await?;
        // Without a transactional id any broker hands out a producer id.
        let request = InitProducerIdRequest::default()
            .with_transactional_id(None)
            .with_transaction_timeout_ms(60_000);
        let answer = cluster.any_connection().await?.call(&request).await?;
        if answer.error_code != 0 {
            return Err(Error::Tool(format!(
                "InitProducerId failed: {} (enable.idempotence=true needs a broker with lab 14)",
                error_name(answer.error_code)
            )));
        }
        Ok(IdempotentProducer {
            cluster,
            producer_id: answer.producer_id.0,
            producer_epoch: answer.producer_epoch,
            next_sequence: BTreeMap::new(),
            retries,
            sticky: StickyPartitioner::new(fastrand::u64(..)),
        })
    }

    /// The topic's partition count. A topic the broker creates on this first request
    /// (`auto.create.topics.enable`) has no leader yet in a cluster: Kafka's producer waits
    /// up to `max.block.ms` (60 s) for it, asking metadata again, and so does this.
    async fn partition_count(&mut self, topic: &str) -> Result<i32, Error> {
        let mut last = String::new();
        for _ in 0..MAX_BLOCK.as_millis() / RETRY_BACKOFF.as_millis() {
            match self.cluster.partitions(topic, true).await {
                Ok(p) if !p.is_empty() && p.iter().all(|p| p.leader >= 0) => {
                    return Ok(p.len() as i32)
                }
                Ok(_) => last = "no leader yet".into(),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(RETRY_BACKOFF).await;
            let _ = self.cluster.refresh(Some(&[topic.to_string()]), true).await;
        }
        Err(Error::Tool(format!(
            "topic {topic} not present in metadata after {} ms: {last}",
            MAX_BLOCK.as_millis()
        )))
    }

    /// Sends one record and waits until it is in the log of every in-sync replica (acks=all,
    /// which idempotence requires). Returns its partition and offset.
    pub async fn send(
        &mut self,
        topic: &str,
        key: Option<Vec<u8>>,
        value: Vec<u8>,
    ) -> Result<(i32, i64), Error> {
        let partitions = self.partition_count(topic).await?;
        let partition = match &key {
            Some(k) => partition_for_key(k, partitions),
            None => {
                let p = self.sticky.partition(topic, partitions);
                // Each record is a batch of its own: Kafka's sticky partitioner moves on.
                self.sticky.on_new_batch(topic, p, partitions);
                p
            }
        };
        let slot = (topic.to_string(), partition);
        let sequence = self.next_sequence.get(&slot).copied().unwrap_or(0);
        let now = wall_clock_ms();
        let batch = RecordBatch {
            base_offset: 0,
            partition_leader_epoch: -1,
            attributes: Default::default(),
            last_offset_delta: 0,
            base_timestamp: now,
            max_timestamp: now,
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            base_sequence: sequence,
            records: vec![Record {
                attributes: 0,
                timestamp_delta: 0,
                offset_delta: 0,
                key,
                value: Some(value),
                headers: vec![],
            }],
        };
        let request = ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(30_000)
            .with_topic_data(vec![TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partition_data(vec![PartitionProduceData::default()
                    .with_index(partition)
                    .with_records(Some(Bytes::from(batch.encode())))])]);
        let mut last_error = String::new();
        for attempt in 0..=self.retries {
            if attempt > 0 {
                tokio::time::sleep(RETRY_BACKOFF).await;
                let _ = self
                    .cluster
                    .refresh(Some(&[topic.to_string()]), false)
                    .await;
            }
            let leader = match self.cluster.leader_addr(topic, partition).await {
                Ok(l) => l,
                Err(e) => {
                    last_error = e.to_string();
                    continue;
                }
            };
            let answer = match self.cluster.connection(&leader).await {
                Ok(c) => c.call(&request).await,
                Err(e) => Err(e),
            };
            let answer = match answer {
                Ok(a) => a,
                Err(e) => {
                    // A broken connection is dropped; the next attempt opens a new one.
                    let _ = self.cluster.take_connection(&leader).await;
                    last_error = e.to_string();
                    continue;
                }
            };
            let Some(p) = answer
                .responses
                .first()
                .and_then(|t| t.partition_responses.first())
            else {
                return Err(Error::Tool(format!(
                    "{leader} answered Produce without a partition"
                )));
            };
            match p.error_code {
                0 | DUPLICATE_SEQUENCE_NUMBER => {
                    self.next_sequence
                        .insert(slot, sequence.wrapping_add(1).max(0));
                    return Ok((partition, p.base_offset));
                }
                code if RETRIABLE.contains(&code) => last_error = error_name(code).to_string(),
                code => {
                    return Err(Error::Tool(format!(
                        "{topic}-{partition}: {}",
                        error_name(code)
                    )))
                }
            }
        }
        Err(Error::Tool(format!(
            "{topic}-{partition}: not written after {} retries: {last_error}",
            self.retries
        )))
    }
}
