//! The group metadata manager (Kafka's `GroupMetadataManager`): committed offsets live in the
//! internal `__consumer_offsets` topic, one record per (group, topic, partition), the last one
//! winning. At start every partition of the topic is replayed into an [`OffsetStore`]; a
//! commit is appended *before* it is applied and acknowledged ("persist before you answer"),
//! so an acknowledged commit survives a restart; deleting a group appends tombstones.
//! Offsets committed inside a transaction (lab 14) are written at once too, in a
//! transactional batch, and count from their marker on (`transactional_offsets`). In a
//! cluster a partition is loaded again each time this broker becomes its leader
//! ([`GroupMetadataManager::load_partition`]): its followers' copy is what the new leader knows.

use std::sync::Arc;

use lab01_record_batch::{BatchHeader, RecordBatch};
use lab03_partition_log::CleanupPolicy;
use lab04_protocol_codec::{ErrorCode, ProducePartition, ProduceRequest, ProduceTopic};
use lab05_broker::shared::now_ms;
use lab05_broker::Broker;
use lab06_topics::topic_config::TopicConfig;

use crate::messages::offset_commit::{OffsetCommitRequest, OffsetCommitResponse};
use crate::offsets::{
    offset_records, offsets_batch, partition_for_group, OffsetKey, OffsetStore, OffsetValue,
    OFFSETS_PARTITIONS, OFFSETS_TOPIC,
};
use crate::transactional_offsets::{marker_commits, PendingTxnOffsets};

/// `offset.metadata.max.bytes`: the longest metadata string a commit may carry.
pub const OFFSET_METADATA_MAX_BYTES: usize = 4096;

/// One offset record to append: a value, or `None` for a tombstone.
pub type OffsetRecord = (OffsetKey, Option<OffsetValue>);

/// One committed offset as `__consumer_offsets` stores it: `(offset, leader epoch)` of
/// `group` in `topic`-`partition`, committed at `now_ms` (OffsetCommit, and lab 14's
/// TxnOffsetCommit once its transaction commits).
pub fn offset_record(
    group: &str,
    topic: &str,
    partition: i32,
    (offset, leader_epoch): (i64, i32),
    metadata: Option<&str>,
    now_ms: i64,
) -> OffsetRecord {
    let key = OffsetKey {
        group: group.to_string(),
        topic: topic.to_string(),
        partition,
    };
    let value = OffsetValue {
        offset,
        leader_epoch,
        metadata: metadata.unwrap_or_default().to_string(),
        commit_timestamp: now_ms,
    };
    (key, Some(value))
}

/// Whether a topic-partition exists, for OffsetCommit. A broker alone asks its own logs;
/// a broker of a cluster (lab 11) asks its metadata cache, since the partitions of a topic
/// live on other brokers too — as Kafka's `metadataCache.contains(topicPartition)`.
#[derive(Clone)]
pub struct PartitionCheck(pub Arc<PartitionExists>);

/// `(topic, partition)` → whether it exists.
pub type PartitionExists = dyn Fn(&str, i32) -> bool + Send + Sync;

impl std::fmt::Debug for PartitionCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PartitionCheck")
    }
}

#[derive(Debug, Default)]
pub struct GroupMetadataManager {
    offsets: OffsetStore,
    /// Transactional commits written but not yet closed by their marker.
    pending: PendingTxnOffsets,
    /// `None`: a partition exists if this broker has its log.
    pub partition_check: Option<PartitionCheck>,
}

impl GroupMetadataManager {
    /// Replays every `__consumer_offsets` partition from its start. A damaged record is skipped
    /// with a log line, not fatal: other groups' offsets still load.
    pub fn load(broker: &Broker) -> crate::Result<GroupMetadataManager> {
        let mut manager = GroupMetadataManager::default();
        // Every partition this broker hosts: all of them alone, only some in a cluster (lab 11).
        let mut records = 0;
        for p in 0..OFFSETS_PARTITIONS {
            records += manager.replay_partition(broker, p)?;
        }
        if records > 0 {
            tracing::info!(
                records,
                groups = manager.offsets.groups().len(),
                "loaded committed offsets from {OFFSETS_TOPIC}"
            );
        }
        Ok(manager)
    }

    /// Reads one partition batch by batch; returns how many records it applied.
    fn replay_partition(&mut self, broker: &Broker, p: i32) -> crate::Result<usize> {
        let Some(partition) = broker.partition(OFFSETS_TOPIC, p) else {
            return Ok(0);
        };
        let log = partition.log();
        let (mut offset, mut records) = (log.log_start_offset(), 0);
        while offset < log.log_end_offset() {
            let Some(bytes) = log.read(offset, 1 << 20)? else {
                break;
            };
            let before = offset;
            let mut rest = &bytes[..];
            while let Ok(header) = BatchHeader::parse(rest) {
                let size = header.total_size().min(rest.len());
                // decode_any: a broker-wide `compression.type` recompresses these batches too.
                match RecordBatch::decode_any(&rest[..size]) {
                    Ok(batch) => records += self.replay_batch(&batch, p),
                    Err(e) => tracing::warn!(
                        partition = p,
                        "a {OFFSETS_TOPIC} batch at {}: {e}; skipped",
                        header.base_offset
                    ),
                }
                offset = header.last_offset() + 1;
                rest = &rest[size..];
            }
            if offset == before {
                break;
            }
        }
        Ok(records)
    }

    /// Applies the offset records of one batch of partition `p`; returns how many. A
    /// transactional batch's records wait for their marker; a marker applies (COMMIT) or
    /// drops (ABORT) what its producer left pending in `p`.
    fn replay_batch(&mut self, batch: &RecordBatch, p: i32) -> usize {
        if batch.attributes.control {
            let commit = batch
                .records
                .first()
                .and_then(|r| r.key.as_deref())
                .and_then(marker_commits);
            return match commit {
                Some(commit) => self.complete_txn(p, batch.producer_id, commit),
                None => 0,
            };
        }
        let records = offset_records(batch);
        let applied = records.len();
        if batch.attributes.transactional {
            self.pending.add(batch.producer_id, p, records);
        } else {
            for (key, value) in records {
                self.offsets.apply(key, value);
            }
        }
        applied
    }

    /// Kafka's `onElection` for `__consumer_offsets`-`p`: forgets what was known of its
    /// groups and replays the partition from the local log. Returns how many records it read.
    pub fn load_partition(&mut self, broker: &Broker, p: i32) -> crate::Result<usize> {
        self.unload_partition(p);
        self.replay_partition(broker, p)
    }

    /// Kafka's `onResignation`: the groups of partition `p` are coordinated elsewhere now.
    pub fn unload_partition(&mut self, p: i32) {
        self.offsets
            .retain(|k| partition_for_group(&k.group, OFFSETS_PARTITIONS) != p);
        self.pending.unload(p);
    }

    /// TxnOffsetCommit (lab 14): appends `records` for `group` to its partition as a
    /// transactional batch of `producer_id` at `producer_epoch`, and keeps them pending until
    /// the transaction's marker ([`GroupMetadataManager::complete_txn`]). Returns the log end
    /// offset after the batch (an acks=all caller waits for the high watermark to pass it).
    pub fn store_transactional(
        &mut self,
        broker: &mut Broker,
        group: &str,
        (producer_id, producer_epoch): (i64, i16),
        records: Vec<OffsetRecord>,
    ) -> Result<i64, ErrorCode> {
        if let Err(e) = ensure_offsets_topic(broker) {
            tracing::error!("{e}");
            return Err(ErrorCode::CoordinatorNotAvailable);
        }
        let p = partition_for_group(group, OFFSETS_PARTITIONS);
        let now = now_ms();
        let mut batch = offsets_batch(&records, now);
        // As Kafka's coordinator writes it: the producer's id and epoch, no sequence (the
        // coordinator, not the producer, wrote it).
        batch.producer_id = producer_id;
        batch.producer_epoch = producer_epoch;
        batch.base_sequence = -1;
        batch.attributes.transactional = true;
        let Some(partition) = broker.partition_mut(OFFSETS_TOPIC, p) else {
            return Err(ErrorCode::NotCoordinator);
        };
        let mut bytes = batch.encode();
        let appended = partition
            .validate(&mut bytes, now)
            .and_then(|recompressed| {
                // The topic's compression.type may have re-encoded it.
                let mut bytes = recompressed.unwrap_or(bytes);
                partition.append_as_leader(&mut bytes, now)
            });
        match appended {
            Ok(info) => {
                self.pending.add(producer_id, p, records);
                Ok(info.last_offset + 1)
            }
            Err(e) => {
                tracing::error!(%group, "transactional offsets not written to {OFFSETS_TOPIC}: {e}");
                Err(ErrorCode::UnknownServerError)
            }
        }
    }

    /// The marker of `producer_id`'s transaction is in partition `p` now (Kafka's
    /// `handleTxnCompletion`): its pending offsets there become the groups' (COMMIT) or are
    /// dropped (ABORT). Returns how many were applied.
    pub fn complete_txn(&mut self, p: i32, producer_id: i64, commit: bool) -> usize {
        let records = self.pending.complete(producer_id, p, commit);
        let applied = records.len();
        for (key, value) in records {
            self.offsets.apply(key, value);
        }
        applied
    }

    /// Whether `group` has transactional offsets waiting for their marker.
    pub fn has_pending_txn_offsets(&self, group: &str) -> bool {
        self.pending.has_pending(group)
    }

    pub fn offsets(&self) -> &OffsetStore {
        &self.offsets
    }

    /// Appends `records` for `group` to its `__consumer_offsets` partition, then applies them.
    /// Returns the error code for all of them; nothing is applied unless the append worked.
    pub fn store(
        &mut self,
        broker: &mut Broker,
        group: &str,
        records: Vec<OffsetRecord>,
    ) -> ErrorCode {
        let code = append_offsets(broker, group, &records);
        if code == ErrorCode::None {
            for (key, value) in records {
                self.offsets.apply(key, value);
            }
        }
        code
    }

    fn partition_exists(&self, broker: &Broker, topic: &str, partition: i32) -> bool {
        match &self.partition_check {
            Some(check) => (check.0)(topic, partition),
            None => broker.partition(topic, partition).is_some(),
        }
    }

    /// OffsetCommit after the membership check (`check`, from the coordinator): the partitions
    /// that exist are written in one batch, and only then applied and acknowledged.
    pub fn commit(
        &mut self,
        broker: &mut Broker,
        check: ErrorCode,
        r: &OffsetCommitRequest,
    ) -> OffsetCommitResponse {
        let now = now_ms();
        let mut to_store = Vec::new();
        let mut topics = Vec::new();
        for (topic, partitions) in &r.topics {
            let mut answers = Vec::new();
            for p in partitions {
                let code = if check != ErrorCode::None {
                    check
                } else if !self.partition_exists(broker, topic, p.partition_index) {
                    ErrorCode::UnknownTopicOrPartition
                } else if p
                    .committed_metadata
                    .as_ref()
                    .is_some_and(|m| m.len() > OFFSET_METADATA_MAX_BYTES)
                {
                    ErrorCode::OffsetMetadataTooLarge
                } else {
                    to_store.push(offset_record(
                        &r.group_id,
                        topic,
                        p.partition_index,
                        (p.committed_offset, p.committed_leader_epoch),
                        p.committed_metadata.as_deref(),
                        now,
                    ));
                    ErrorCode::None
                };
                answers.push((p.partition_index, code));
            }
            topics.push((topic.clone(), answers));
        }
        let stored = self.store(broker, &r.group_id, to_store);
        if stored != ErrorCode::None {
            let acknowledged = topics.iter_mut().flat_map(|(_, a)| a.iter_mut());
            for (_, code) in acknowledged.filter(|(_, c)| *c == ErrorCode::None) {
                *code = stored;
            }
        }
        OffsetCommitResponse { topics }
    }

    /// Tombstones for every committed offset of `group`: gone after a restart too.
    pub fn delete_group(&mut self, broker: &mut Broker, group: &str) -> ErrorCode {
        let tombstones: Vec<OffsetRecord> = self
            .offsets
            .group(group)
            .into_iter()
            .map(|(k, _)| (k.clone(), None))
            .collect();
        self.store(broker, group, tombstones)
    }
}

/// Makes sure `__consumer_offsets` exists (Kafka creates it on the first FindCoordinator),
/// compacted.
pub fn ensure_offsets_topic(broker: &mut Broker) -> Result<(), String> {
    if broker.partition_count(OFFSETS_TOPIC).is_none() {
        match broker.create_topic(OFFSETS_TOPIC, OFFSETS_PARTITIONS, now_ms()) {
            Ok(ErrorCode::None) => {
                tracing::info!("created {OFFSETS_TOPIC} with {OFFSETS_PARTITIONS} partitions")
            }
            Ok(code) => return Err(format!("cannot create {OFFSETS_TOPIC}: {code:?}")),
            Err(e) => return Err(format!("cannot create {OFFSETS_TOPIC}: {e}")),
        }
        // Stored like a `--config cleanup.policy=compact`, so lab 06 reopens it compacted and
        // DescribeConfigs reports it after a restart.
        let config = TopicConfig {
            overrides: [("cleanup.policy".to_string(), "compact".to_string())].into(),
        };
        if let Err(e) = config.store(broker.log_dir(), OFFSETS_TOPIC) {
            tracing::warn!("storing {OFFSETS_TOPIC}'s cleanup.policy: {e}");
        }
    }
    compact_offsets_topic(broker);
    Ok(())
}

/// `__consumer_offsets` is compacted (`cleanup.policy=compact`), as in Kafka: only the latest
/// commit of each (group, topic, partition) matters, so the log cleaner drops the older ones
/// and a group's tombstones, and a restart replays a log that stays small.
pub fn compact_offsets_topic(broker: &mut Broker) {
    for p in 0..OFFSETS_PARTITIONS {
        if let Some(partition) = broker.partition_mut(OFFSETS_TOPIC, p) {
            let log = partition.log_mut();
            if !log.config().cleanup_policy.compact {
                let mut config = log.config().clone();
                config.cleanup_policy = CleanupPolicy::COMPACT;
                log.set_config(config);
            }
        }
    }
}

/// Appends offset records for one group to its `__consumer_offsets` partition, through the
/// broker's own Produce path, as Kafka appends them (with acks −1).
fn append_offsets(broker: &mut Broker, group: &str, records: &[OffsetRecord]) -> ErrorCode {
    if records.is_empty() {
        return ErrorCode::None;
    }
    if let Err(e) = ensure_offsets_topic(broker) {
        tracing::error!("{e}");
        return ErrorCode::CoordinatorNotAvailable;
    }
    let now = now_ms();
    let mut request = ProduceRequest {
        transactional_id: None,
        acks: -1,
        timeout_ms: 30_000,
        topics: vec![ProduceTopic {
            name: OFFSETS_TOPIC.into(),
            partitions: vec![ProducePartition {
                index: partition_for_group(group, OFFSETS_PARTITIONS),
                records: Some(offsets_batch(records, now).encode()),
            }],
        }],
    };
    let response = broker.produce(&mut request, now);
    let code = response
        .responses
        .first()
        .and_then(|t| t.partitions.first())
        .map_or(ErrorCode::UnknownServerError, |p| p.error_code);
    if code != ErrorCode::None {
        tracing::error!(%group, "storing offsets in {OFFSETS_TOPIC}: {code:?}");
    }
    code
}
