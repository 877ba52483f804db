//! Our consumer: it is *assigned* partitions and a start position for each, then fetches from
//! each partition's leader, long-polling (`fetch.max.wait.ms`, `fetch.min.bytes`), and hands
//! back records in offset order per partition. The consumer keeps the position itself: the
//! broker only answers "what is stored from offset N" — consumers and producers never meet,
//! which is what decouples them. (Lab 07 adds consumer groups and committed offsets.)

use std::collections::BTreeMap;
use std::time::Duration;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{
    BrokerId, FetchRequest, FetchResponse, ListOffsetsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::batch_reader::{for_each_record, next_fetch_offset, read_records, RecordRef};
use crate::client::cluster::Cluster;
use crate::client::connection::{check, BrokerConnection};
use crate::error::{Error, Result};
use crate::fetch_position::{next_position, Position};

/// Where to start reading a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Earliest,
    Latest,
    Offset(i64),
    /// The first record with a timestamp at or after this (ms since the epoch).
    Timestamp(i64),
}

/// `auto.offset.reset`: what to do when the position is outside the log (deleted by retention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    /// Fail with OFFSET_OUT_OF_RANGE.
    None,
}

#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    pub bootstrap_servers: String,
    pub client_id: String,
    /// `fetch.min.bytes`.
    pub fetch_min_bytes: i32,
    /// `fetch.max.wait.ms`.
    pub fetch_max_wait_ms: i32,
    /// `fetch.max.bytes`.
    pub fetch_max_bytes: i32,
    /// `max.partition.fetch.bytes`.
    pub max_partition_fetch_bytes: i32,
    pub auto_offset_reset: OffsetReset,
    pub request_timeout: Duration,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            bootstrap_servers: "localhost:9092".into(),
            client_id: "kafkalab-consumer".into(),
            fetch_min_bytes: 1,
            fetch_max_wait_ms: 500,
            fetch_max_bytes: 52_428_800,
            max_partition_fetch_bytes: 1_048_576,
            auto_offset_reset: OffsetReset::Latest,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One record as the consumer hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// Shared by every record of the topic: no allocation per record.
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp_ms: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// A partition to fetch and the offset to fetch it from.
type Wanted = (String, i32, i64);

/// The fetch connection to one leader, and the Fetch sent ahead on it, if any: its
/// correlation id and the positions it asked for.
struct Fetcher {
    connection: BrokerConnection,
    prefetched: Option<(i32, Vec<Wanted>)>,
}

pub struct Consumer {
    config: ConsumerConfig,
    cluster: Cluster,
    /// (topic, partition) → the offset of the next record to hand out.
    positions: BTreeMap<(String, i32), i64>,
    /// The high watermark each partition reported in its last fetch (for lag).
    pub high_watermarks: BTreeMap<(String, i32), i64>,
    /// Leader `host:port` → its fetch connection.
    fetchers: HashMap<String, Fetcher>,
}

impl Consumer {
    pub async fn connect(config: ConsumerConfig) -> Result<Consumer> {
        let cluster = Cluster::connect(
            &config.bootstrap_servers,
            &config.client_id,
            config.request_timeout,
        )
        .await?;
        Ok(Consumer {
            config,
            cluster,
            positions: BTreeMap::new(),
            high_watermarks: BTreeMap::new(),
            fetchers: HashMap::new(),
        })
    }

    /// The partitions of `topic` (none: the topic does not exist).
    pub async fn partitions(&mut self, topic: &str) -> Result<Vec<i32>> {
        self.cluster
            .refresh(Some(&[topic.to_string()]), false)
            .await?;
        Ok(self
            .cluster
            .topics
            .get(topic)
            .map(|p| p.iter().map(|p| p.partition).collect())
            .unwrap_or_default())
    }

    /// Reads `topic`/`partition` from `start` on.
    pub async fn assign(&mut self, topic: &str, partition: i32, start: StartAt) -> Result<()> {
        let offset = match start {
            StartAt::Offset(o) => o,
            StartAt::Earliest => self.list_offset(topic, partition, -2).await?,
            StartAt::Latest => self.list_offset(topic, partition, -1).await?,
            StartAt::Timestamp(ts) => match self.list_offset(topic, partition, ts).await? {
                -1 => self.list_offset(topic, partition, -1).await?,
                o => o,
            },
        };
        self.positions
            .insert((topic.to_string(), partition), offset);
        Ok(())
    }

    /// Stops reading every partition (a group consumer's rebalance).
    pub fn clear_assignment(&mut self) {
        self.positions.clear();
    }

    /// Every assigned partition with the offset of its next record.
    pub fn positions(&self) -> Vec<(String, i32, i64)> {
        self.positions
            .iter()
            .map(|((t, p), o)| (t.clone(), *p, *o))
            .collect()
    }

    /// The cluster view this consumer uses (a group consumer asks it for metadata).
    pub fn cluster(&mut self) -> &mut Cluster {
        &mut self.cluster
    }

    /// The offset of the next record of a partition.
    pub fn position(&self, topic: &str, partition: i32) -> Option<i64> {
        self.positions.get(&(topic.to_string(), partition)).copied()
    }

    /// ListOffsets for one partition: −2 earliest, −1 latest, else the first offset at or
    /// after that timestamp (−1 if none).
    pub async fn list_offset(
        &mut self,
        topic: &str,
        partition: i32,
        timestamp: i64,
    ) -> Result<i64> {
        let addr = self.cluster.leader_addr(topic, partition).await?;
        let request = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![ListOffsetsPartition::default()
                    .with_partition_index(partition)
                    .with_current_leader_epoch(-1)
                    .with_timestamp(timestamp)])]);
        let response = self.cluster.connection(&addr).await?.call(&request).await?;
        let p = response
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .find(|p| p.partition_index == partition)
            .ok_or_else(|| Error::Client(format!("ListOffsets left out {topic}-{partition}")))?;
        check(
            format!("list offsets of {topic}-{partition}"),
            p.error_code,
            None,
        )?;
        Ok(p.offset)
    }

    /// One fetch round: asks each leader for every assigned partition it leads, waits up to
    /// `fetch.max.wait.ms` for `fetch.min.bytes`, and returns the records from each position
    /// on. Empty when nothing new arrived in time.
    ///
    /// Prefetch, as Kafka's consumer does: once a leader's answer is read, the next Fetch from
    /// the new positions is sent at once, so the broker reads its log while the client reads
    /// these records; the next `poll` finds that answer waiting. A prefetch for positions that
    /// changed meanwhile (`assign`, a reset, a rebalance) is read and thrown away.
    pub async fn poll(&mut self) -> Result<Vec<ConsumerRecord>> {
        let mut out = Vec::new();
        self.poll_into(&mut Sink::Owned(&mut out)).await?;
        Ok(out)
    }

    /// One fetch round as [`Consumer::poll`], lending each record to `each` (with its topic and
    /// partition) instead of returning owned ones: its key, value and headers are views of the
    /// fetched bytes, so nothing is allocated or reference-counted per record. For callers that
    /// only look at records (the perf test, the console consumer); copy what you keep. Returns
    /// how many records were handed out.
    pub async fn poll_each(
        &mut self,
        mut each: impl FnMut(&str, i32, RecordRef<'_>) + Send,
    ) -> Result<usize> {
        self.poll_into(&mut Sink::Borrowed(&mut each)).await
    }

    async fn poll_into(&mut self, sink: &mut Sink<'_>) -> Result<usize> {
        let mut by_leader: BTreeMap<String, Vec<Wanted>> = BTreeMap::new();
        for ((topic, partition), offset) in &self.positions {
            let addr = self.cluster.leader_addr(topic, *partition).await?;
            by_leader
                .entry(addr)
                .or_default()
                .push((topic.clone(), *partition, *offset));
        }
        let mut handed = 0;
        for (addr, partitions) in by_leader {
            let response = self.fetch(&addr, &partitions).await?;
            // Where the next fetch starts is known from the batch headers alone: send it
            // before reading the records, so the broker works on it meanwhile.
            let next = predicted_positions(&response, &partitions);
            let request = self.fetch_request(&next);
            let fetcher = self.fetchers.get_mut(&addr).expect("used by fetch above");
            let (id, _) = fetcher.connection.send(&request).await?;
            fetcher.prefetched = Some((id, next));
            handed += self.take_records(&response, sink).await?;
        }
        Ok(handed)
    }

    fn fetch_request(&self, partitions: &[Wanted]) -> FetchRequest {
        let mut topics: Vec<FetchTopic> = Vec::new();
        for (topic, partition, offset) in partitions {
            let p = FetchPartition::default()
                .with_partition(*partition)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(*offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(self.config.max_partition_fetch_bytes);
            match topics.iter_mut().find(|t| t.topic.0.as_str() == topic) {
                Some(t) => t.partitions.push(p),
                None => topics.push(
                    FetchTopic::default()
                        .with_topic(TopicName(StrBytes::from_string(topic.clone())))
                        .with_partitions(vec![p]),
                ),
            }
        }
        FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(self.config.fetch_max_wait_ms)
            .with_min_bytes(self.config.fetch_min_bytes)
            .with_max_bytes(self.config.fetch_max_bytes)
            .with_session_epoch(-1)
            .with_topics(topics)
    }

    /// The answer for `partitions` from `addr`: the prefetched one if it asked for exactly
    /// these positions, else a new Fetch. Fetches have their own connection per leader, so a
    /// prefetch in flight never stands in the way of Metadata or ListOffsets answers.
    async fn fetch(&mut self, addr: &str, partitions: &[Wanted]) -> Result<FetchResponse> {
        if !self.fetchers.contains_key(addr) {
            let connection = self.cluster.take_connection(addr).await?;
            self.fetchers.insert(
                addr.to_string(),
                Fetcher {
                    connection,
                    prefetched: None,
                },
            );
        }
        let request = self.fetch_request(partitions);
        let fetcher = self.fetchers.get_mut(addr).expect("inserted above");
        if let Some((id, asked)) = fetcher.prefetched.take() {
            let response = fetcher.connection.receive::<FetchResponse>(id).await?;
            if asked == partitions {
                return Ok(response);
            }
        }
        let (id, _) = fetcher.connection.send(&request).await?;
        fetcher.connection.receive::<FetchResponse>(id).await
    }

    /// Hands out the records of `response` from each partition's position on, and moves the
    /// positions. Batches are read over the response's own buffer, by [`read_records`] (owned
    /// records) or [`for_each_record`] (lent ones). Returns how many records were handed out.
    async fn take_records(
        &mut self,
        response: &FetchResponse,
        sink: &mut Sink<'_>,
    ) -> Result<usize> {
        check("fetch", response.error_code, None)?;
        let mut handed = 0;
        for t in &response.responses {
            let topic = t.topic.0.to_string();
            let shared_topic: Arc<str> = Arc::from(topic.as_str());
            for p in &t.partitions {
                let key = (topic.clone(), p.partition_index);
                let Some(&position) = self.positions.get(&key) else {
                    continue;
                };
                if p.error_code == 1 {
                    // OFFSET_OUT_OF_RANGE: retention removed what we were reading.
                    let reset = match self.config.auto_offset_reset {
                        OffsetReset::Earliest => -2,
                        OffsetReset::Latest => -1,
                        OffsetReset::None => {
                            return check(
                                format!("fetch {topic}-{} at {position}", p.partition_index),
                                1,
                                None,
                            )
                            .map(|()| 0)
                        }
                    };
                    let offset = self.list_offset(&topic, p.partition_index, reset).await?;
                    tracing::info!(%topic, partition = p.partition_index, from = position, to = offset, "offset out of range; reset");
                    self.positions.insert(key, offset);
                    continue;
                }
                check(
                    format!("fetch {topic}-{}", p.partition_index),
                    p.error_code,
                    None,
                )?;
                self.high_watermarks.insert(key.clone(), p.high_watermark);
                let Some(records) = &p.records else {
                    continue;
                };
                let mut next = Position { next: position };
                let partition = p.partition_index;
                let read = match sink {
                    Sink::Owned(out) => read_records(records, |r| {
                        if next_position(&mut next, r.offset, r.control) {
                            handed += 1;
                            out.push(ConsumerRecord {
                                topic: shared_topic.clone(),
                                partition,
                                offset: r.offset,
                                timestamp_ms: r.timestamp_ms,
                                key: r.key,
                                value: r.value,
                                headers: r.headers,
                            });
                        }
                    }),
                    Sink::Borrowed(each) => for_each_record(records, |r| {
                        if next_position(&mut next, r.offset, r.control) {
                            handed += 1;
                            each(&topic, partition, r);
                        }
                    }),
                };
                if let Err(e) = read {
                    return Err(Error::Client(format!(
                        "cannot read the records of {topic}-{partition} at {position}: {e}"
                    )));
                }
                self.positions.insert(key, next.next);
            }
        }
        Ok(handed)
    }
}

/// Where a poll puts the records: into owned [`ConsumerRecord`]s, or lent to a callback.
enum Sink<'s> {
    Owned(&'s mut Vec<ConsumerRecord>),
    Borrowed(&'s mut (dyn FnMut(&str, i32, RecordRef<'_>) + Send)),
}

/// Where each of `partitions` will be after `response` is read from its position: the
/// answer's batch headers say (see [`next_fetch_offset`]). An error or no records: where it
/// was. One pass over the answer, not one per partition: a fetch may carry a thousand.
fn predicted_positions(response: &FetchResponse, partitions: &[Wanted]) -> Vec<Wanted> {
    let mut records: HashMap<(&str, i32), &Bytes> = HashMap::new();
    for t in &response.responses {
        for p in t.partitions.iter().filter(|p| p.error_code == 0) {
            if let Some(r) = &p.records {
                // A partition appears once in an answer; were it twice, the first counts.
                records
                    .entry((t.topic.0.as_str(), p.partition_index))
                    .or_insert(r);
            }
        }
    }
    partitions
        .iter()
        .map(|(topic, partition, position)| {
            let next = records
                .get(&(topic.as_str(), *partition))
                .map_or(*position, |r| next_fetch_offset(r, *position));
            (topic.clone(), *partition, next)
        })
        .collect()
}
