//! The broker's state and its request handlers: which topics and partitions exist, each a lab
//! 03 `Log`, and what each request does to them. Plain synchronous code: the tokio shell in
//! `connection.rs` owns the sockets and the waiting, this file only decides.
//!
//! ```text
//! log.dirs/
//!   orders-0/  00000000000000000000.log .index .timeindex …
//!   orders-1/
//!   clicks-0/
//! ```
//! A partition's folder is `<topic>-<partition>`, as in Kafka, so a broker finds its topics
//! again after a restart by listing `log.dirs`.

use std::collections::BTreeMap;
use std::path::Path;

use lab01_record_batch::{BatchHeader, LOG_OVERHEAD};
use lab03_partition_log::{Log, LogConfig, HOUR_MS};
use lab04_protocol_codec::metadata::AUTHORIZED_OPERATIONS_OMITTED;
use lab04_protocol_codec::{
    ErrorCode, FetchPartitionResponse, FetchRequest, FetchResponse, FetchTopicResponse,
    InitProducerIdResponse, ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse,
    ListOffsetsTopicResponse, MetadataBroker, MetadataPartition, MetadataRequest, MetadataResponse,
    MetadataTopic, ProducePartitionResponse, ProduceRequest, ProduceResponse, ProduceTopicResponse,
    EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
};

use crate::config::BrokerConfig;
use crate::error::{Error, Result};

/// The cluster id every response reports: this course's brokers form one cluster.
pub const CLUSTER_ID: &str = "kafkalab";

pub struct Broker {
    config: BrokerConfig,
    /// Topic name → its partitions' logs, by partition index.
    topics: BTreeMap<String, Vec<Log>>,
    /// The next producer id InitProducerId hands out.
    next_producer_id: i64,
}

/// `orders-3` → (`orders`, 3). Topic names may contain `-`, so split at the last one.
pub fn parse_partition_dir(name: &str) -> Option<(String, i32)> {
    let (topic, partition) = name.rsplit_once('-')?;
    let partition: i32 = partition.parse().ok().filter(|p| *p >= 0)?;
    (!topic.is_empty()).then(|| (topic.to_string(), partition))
}

/// Kafka's rule for topic names: 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

impl Broker {
    /// The log settings every partition gets, from the broker's `log.*` keys.
    pub fn log_config(&self) -> LogConfig {
        LogConfig {
            segment_bytes: self.config.segment_bytes,
            retention_bytes: self.config.retention_bytes,
            retention_ms: if self.config.retention_hours < 0 {
                -1
            } else {
                self.config.retention_hours * HOUR_MS
            },
            ..LogConfig::default()
        }
    }

    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// Opens the broker's `log.dirs`: every `<topic>-<partition>` folder becomes a partition
    /// log again, recovered by lab 03. A topic must have partitions 0..n without gaps.
    pub fn open(config: BrokerConfig, now_ms: i64) -> Result<Broker> {
        // BEGIN SOLUTION step 1: create log.dirs, open every topic-partition folder as a Log, and check the partitions have no gaps
        let dir = config.log_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            op: "create",
            path: dir.display().to_string(),
            source,
        })?;
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            op: "list",
            path: dir.display().to_string(),
            source,
        })?;
        let mut found: BTreeMap<String, BTreeMap<i32, std::path::PathBuf>> = BTreeMap::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if let Some((topic, partition)) =
                parse_partition_dir(&name).filter(|(t, _)| valid_topic_name(t))
            {
                if entry.path().is_dir() {
                    found
                        .entry(topic)
                        .or_default()
                        .insert(partition, entry.path());
                }
            }
        }
        let mut broker = Broker {
            config,
            topics: BTreeMap::new(),
            next_producer_id: 0,
        };
        let log_config = broker.log_config();
        for (topic, partitions) in found {
            let mut logs = Vec::new();
            for (expected, (partition, path)) in partitions.into_iter().enumerate() {
                if partition != expected as i32 {
                    tracing::warn!(%topic, partition, "partition folders have a gap; ignoring {}", path.display());
                    break;
                }
                let (log, _) = Log::open(&path, log_config.clone(), now_ms)?;
                logs.push(log);
            }
            tracing::info!(%topic, partitions = logs.len(), "loaded topic");
            broker.topics.insert(topic, logs);
        }
        Ok(broker)
        // END SOLUTION
    }

    /// Creates a topic with `partitions` empty partitions. Returns an error code for a bad
    /// name, a bad count or an existing topic, as CreateTopics would.
    pub fn create_topic(&mut self, name: &str, partitions: i32, now_ms: i64) -> Result<ErrorCode> {
        if !valid_topic_name(name) {
            return Ok(ErrorCode::InvalidTopicException);
        }
        if partitions < 1 {
            return Ok(ErrorCode::InvalidPartitions);
        }
        if self.topics.contains_key(name) {
            return Ok(ErrorCode::TopicAlreadyExists);
        }
        let log_config = self.log_config();
        let logs = (0..partitions)
            .map(|p| {
                Log::open(
                    &self.config.log_dir.join(format!("{name}-{p}")),
                    log_config.clone(),
                    now_ms,
                )
                .map(|(l, _)| l)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        self.topics.insert(name.to_string(), logs);
        tracing::info!(topic = name, partitions, "created topic");
        Ok(ErrorCode::None)
    }

    /// Adds a topic whose partition logs the caller opened (lab 06 opens them with the topic's
    /// own settings). Replaces a topic of the same name.
    pub fn insert_topic(&mut self, name: &str, logs: Vec<Log>) {
        self.topics.insert(name.to_string(), logs);
    }

    /// Takes a topic out of the broker: from now on requests see it as unknown. The caller
    /// decides what happens to its files (lab 06 deletes them).
    pub fn remove_topic(&mut self, name: &str) -> Option<Vec<Log>> {
        self.topics.remove(name)
    }

    /// How many partitions `topic` has, if it exists.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        self.topics.get(topic).map(Vec::len)
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&Log> {
        self.topics
            .get(topic)?
            .get(usize::try_from(partition).ok()?)
    }

    fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Log> {
        self.topics
            .get_mut(topic)?
            .get_mut(usize::try_from(partition).ok()?)
    }

    fn metadata_topic(&self, name: &str) -> MetadataTopic {
        let id = self.config.broker_id;
        let (error_code, partitions) = match self.topics.get(name) {
            Some(logs) => (
                ErrorCode::None,
                (0..logs.len() as i32)
                    .map(|p| MetadataPartition {
                        error_code: ErrorCode::None,
                        partition_index: p,
                        leader_id: id,
                        leader_epoch: 0,
                        replica_nodes: vec![id],
                        isr_nodes: vec![id],
                        offline_replicas: vec![],
                    })
                    .collect(),
            ),
            None if valid_topic_name(name) => (ErrorCode::UnknownTopicOrPartition, vec![]),
            None => (ErrorCode::InvalidTopicException, vec![]),
        };
        MetadataTopic {
            error_code,
            name: name.to_string(),
            is_internal: false,
            partitions,
            topic_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        }
    }

    /// Metadata: this broker, and the requested topics (all of them for `None`). A requested
    /// topic that does not exist is created first when the client allows it and
    /// `auto.create.topics.enable` is on — how `kcat -P -t new-topic` just works.
    pub fn metadata(&mut self, request: &MetadataRequest, now_ms: i64) -> Result<MetadataResponse> {
        // BEGIN SOLUTION step 2: auto-create the missing requested topics if allowed, then describe this broker and each topic
        let names = match &request.topics {
            None => self.topic_names(),
            Some(names) => names.clone(),
        };
        if request.allow_auto_topic_creation && self.config.auto_create_topics {
            for name in &names {
                if !self.topics.contains_key(name) && valid_topic_name(name) {
                    self.create_topic(name, self.config.num_partitions as i32, now_ms)?;
                }
            }
        }
        Ok(MetadataResponse {
            throttle_time_ms: 0,
            brokers: vec![MetadataBroker {
                node_id: self.config.broker_id,
                host: self.config.advertised_host.clone(),
                port: i32::from(self.config.advertised_port),
                rack: None,
            }],
            cluster_id: Some(CLUSTER_ID.to_string()),
            controller_id: self.config.broker_id,
            topics: names.iter().map(|n| self.metadata_topic(n)).collect(),
            cluster_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        })
        // END SOLUTION
    }

    /// Appends the record batches of one partition; returns its response.
    fn produce_partition(
        &mut self,
        topic: &str,
        index: i32,
        records: Option<&[u8]>,
        now_ms: i64,
    ) -> ProducePartitionResponse {
        let max = self.config.message_max_bytes;
        let mut response = ProducePartitionResponse {
            index,
            error_code: ErrorCode::None,
            base_offset: -1,
            log_append_time_ms: -1,
            log_start_offset: -1,
            error_message: None,
        };
        // BEGIN SOLUTION step 3: find the partition, then append each whole batch in the records, refusing oversized or corrupt ones
        let Some(log) = self.partition_mut(topic, index) else {
            response.error_code = ErrorCode::UnknownTopicOrPartition;
            return response;
        };
        let Some(mut rest) = records else {
            response.error_code = ErrorCode::InvalidRequest;
            return response;
        };
        // Check every batch before appending any, so a request is appended whole or not at all.
        let mut batches = Vec::new();
        while !rest.is_empty() {
            let header = match BatchHeader::parse(rest) {
                Ok(h) if h.total_size() <= rest.len() => h,
                _ => {
                    response.error_code = ErrorCode::CorruptMessage;
                    return response;
                }
            };
            if header.total_size() - LOG_OVERHEAD > max {
                response.error_code = ErrorCode::MessageTooLarge;
                response.error_message = Some(format!(
                    "a batch of {} bytes is over message.max.bytes ({max})",
                    header.total_size()
                ));
                return response;
            }
            if lab01_record_batch::verify_crc(&rest[..header.total_size()]).is_err() {
                response.error_code = ErrorCode::CorruptMessage;
                return response;
            }
            batches.push(rest[..header.total_size()].to_vec());
            rest = &rest[header.total_size()..];
        }
        for mut batch in batches {
            match log.append(&mut batch, now_ms) {
                Ok(info) if response.base_offset < 0 => response.base_offset = info.first_offset,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%topic, index, "append failed: {e}");
                    response.error_code = ErrorCode::UnknownServerError;
                    response.error_message = Some(e.to_string());
                    return response;
                }
            }
        }
        response.log_start_offset = log.log_start_offset();
        response
        // END SOLUTION
    }

    /// Produce: append each partition's batches. With acks 0 the caller sends no response; with
    /// acks 1 or −1 (all in-sync replicas: on one broker, just this one) it sends this.
    pub fn produce(&mut self, request: &ProduceRequest, now_ms: i64) -> ProduceResponse {
        ProduceResponse {
            responses: request
                .topics
                .iter()
                .map(|t| ProduceTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| {
                            self.produce_partition(&t.name, p.index, p.records.as_deref(), now_ms)
                        })
                        .collect(),
                })
                .collect(),
            throttle_time_ms: 0,
        }
    }

    /// Fetch, without waiting: for each partition the whole batches from the fetch offset,
    /// up to its `partition_max_bytes`, and the response's `max_bytes` over all (but always the
    /// first batch found, KIP-74). Returns the response and how many record bytes it holds.
    pub fn fetch(&self, request: &FetchRequest) -> (FetchResponse, usize) {
        // BEGIN SOLUTION step 4: read each partition from its fetch offset within the byte limits, with the right error codes
        let mut total = 0usize;
        let mut budget = request.max_bytes.max(0) as usize;
        let responses = request
            .topics
            .iter()
            .map(|t| FetchTopicResponse {
                topic: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut response = FetchPartitionResponse {
                            partition: p.partition,
                            error_code: ErrorCode::None,
                            high_watermark: -1,
                            last_stable_offset: -1,
                            log_start_offset: -1,
                            records: None,
                        };
                        let Some(log) = self.partition(&t.name, p.partition) else {
                            response.error_code = ErrorCode::UnknownTopicOrPartition;
                            return response;
                        };
                        response.high_watermark = log.log_end_offset();
                        response.last_stable_offset = log.log_end_offset();
                        response.log_start_offset = log.log_start_offset();
                        let limit = (p.partition_max_bytes.max(0) as usize).min(budget);
                        match log.read(p.fetch_offset, limit.max(1)) {
                            Ok(Some(bytes)) if total == 0 || bytes.len() <= budget => {
                                total += bytes.len();
                                budget = budget.saturating_sub(bytes.len());
                                response.records = Some(bytes);
                            }
                            Ok(_) => response.records = Some(Vec::new()),
                            Err(lab03_partition_log::Error::OffsetOutOfRange { .. }) => {
                                response.error_code = ErrorCode::OffsetOutOfRange;
                            }
                            Err(e) => {
                                tracing::error!(topic = %t.name, partition = p.partition, "read failed: {e}");
                                response.error_code = ErrorCode::UnknownServerError;
                            }
                        }
                        response
                    })
                    .collect(),
            })
            .collect();
        (
            FetchResponse {
                throttle_time_ms: 0,
                error_code: ErrorCode::None,
                session_id: 0,
                responses,
            },
            total,
        )
        // END SOLUTION
    }

    /// ListOffsets: −2 is the log start offset, −1 the log end offset, anything else the first
    /// offset with a timestamp at or after it (offset −1 if there is none).
    pub fn list_offsets(&self, request: &ListOffsetsRequest) -> ListOffsetsResponse {
        // BEGIN SOLUTION step 5: answer earliest, latest or by time for each partition
        let topics = request
            .topics
            .iter()
            .map(|t| ListOffsetsTopicResponse {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut r = ListOffsetsPartitionResponse {
                            partition: p.partition,
                            error_code: ErrorCode::None,
                            timestamp: -1,
                            offset: -1,
                            leader_epoch: 0,
                        };
                        match self.partition(&t.name, p.partition) {
                            None => r.error_code = ErrorCode::UnknownTopicOrPartition,
                            Some(log) => match p.timestamp {
                                EARLIEST_TIMESTAMP => r.offset = log.log_start_offset(),
                                LATEST_TIMESTAMP => r.offset = log.log_end_offset(),
                                ts => match log.offset_for_timestamp(ts) {
                                    Ok(Some(offset)) => (r.offset, r.timestamp) = (offset, ts),
                                    Ok(None) => {}
                                    Err(e) => {
                                        tracing::error!(topic = %t.name, "offset for timestamp: {e}");
                                        r.error_code = ErrorCode::UnknownServerError;
                                    }
                                },
                            },
                        }
                        r
                    })
                    .collect(),
            })
            .collect();
        ListOffsetsResponse {
            throttle_time_ms: 0,
            topics,
        }
        // END SOLUTION
    }

    /// InitProducerId: a new producer id for an idempotent producer.
    ///
    /// A labelled shortcut: the ids start again at `now_ms` after a restart rather than being
    /// stored, and this broker does not yet check the producer's sequence numbers, so a retried
    /// batch is stored twice. Kafka keeps per-producer state (`ProducerStateManager`) to drop
    /// such duplicates.
    pub fn init_producer_id(&mut self, now_ms: i64) -> InitProducerIdResponse {
        if self.next_producer_id == 0 {
            // Start from the clock so ids do not repeat across restarts of a broker.
            self.next_producer_id = now_ms;
        }
        let producer_id = self.next_producer_id;
        self.next_producer_id += 1;
        InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None,
            producer_id,
            producer_epoch: 0,
        }
    }

    /// fsyncs every partition: what a graceful shutdown does before the process exits.
    pub fn flush_all(&mut self) -> Result<()> {
        for logs in self.topics.values_mut() {
            for log in logs {
                log.flush()?;
            }
        }
        Ok(())
    }

    /// Applies retention to every partition (Kafka checks every `log.retention.check.interval.ms`).
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<usize> {
        let mut deleted = 0;
        for logs in self.topics.values_mut() {
            for log in logs {
                deleted += log.apply_retention(now_ms)?;
            }
        }
        Ok(deleted)
    }

    pub fn log_dir(&self) -> &Path {
        &self.config.log_dir
    }
}
