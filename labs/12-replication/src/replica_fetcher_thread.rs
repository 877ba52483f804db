//! Given: Kafka's `ReplicaFetcherThread` — one tokio task per leader broker this broker follows
//! partitions of. Each turn it asks step 5's [`FollowerPartition::build_fetch`] what to fetch,
//! sends one Fetch for all of them on the real wire (`replica_id` = this broker's id, each
//! partition's `current_leader_epoch`: KIP-320), and for each answer lets
//! [`FollowerPartition::process_partition_data`] check it before the batches go into the
//! follower's log *as they are* (offsets kept: [`lab05_broker::Partition::append_as_follower`]).
//! The follower's HW is the leader's, capped at its own LEO.
//!
//! The request goes through lab 06's client connection, which encodes it with the independent
//! `kafka-protocol` crate; the leader decodes it with lab 04's codec, as it does a consumer's.
//!
//! Started and stopped by LeaderAndIsr (`replication_service`): a partition whose leader is
//! another broker is fetched by that broker's task; becoming leader removes it; a task whose
//! leader has no partition left here ends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::{BrokerId, FetchRequest, OffsetForLeaderEpochRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use lab01_record_batch::BatchHeader;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::shared::now_ms;
use lab05_broker::Shared;
use lab06_topics::client::connection::BrokerConnection;
use lab11_controller::TopicPartition;
use tokio::task::JoinHandle;

use crate::cluster_replication::{copy_state, ClusterReplication};
use crate::leader_epochs::{EpochEndOffset, LeaderEpochs};
use crate::replica_fetcher::FetchedPartition;

/// `replica.fetch.wait.max.ms` (Kafka's default: 500): how long the leader may hold a fetch
/// that found nothing new.
pub const REPLICA_FETCH_WAIT_MAX_MS: i32 = 500;
/// `replica.fetch.max.bytes` (Kafka's default: 1 MiB) per partition.
pub const REPLICA_FETCH_MAX_BYTES: i32 = 1 << 20;
/// `replica.fetch.backoff.ms` (Kafka's default: 1000) after an error.
pub const REPLICA_FETCH_BACKOFF_MS: u64 = 1_000;

/// The fetcher tasks of one broker, by leader id (`ReplicaFetcherManager`).
#[derive(Default)]
pub struct ReplicaFetcherManager {
    fetchers: BTreeMap<i32, (String, JoinHandle<()>)>,
}

impl ReplicaFetcherManager {
    /// Makes sure a task fetches from broker `leader` at `address` (`host:port`); a task for
    /// that leader at another address is replaced, one that ended is started again.
    pub fn ensure(
        &mut self,
        shared: &Arc<Shared>,
        replication: &Arc<ClusterReplication>,
        leader: i32,
        address: &str,
    ) {
        if let Some((addr, task)) = self.fetchers.get(&leader) {
            if addr == address && !task.is_finished() {
                return;
            }
            task.abort();
        }
        tracing::info!(leader, address, "starting a replica fetcher");
        let task = tokio::spawn(run(
            shared.clone(),
            replication.clone(),
            leader,
            address.to_string(),
        ));
        self.fetchers.insert(leader, (address.to_string(), task));
    }

    /// Stops every task (the broker stops).
    pub fn shutdown(&mut self) {
        for (_, (_, task)) in std::mem::take(&mut self.fetchers) {
            task.abort();
        }
    }
}

impl Drop for ReplicaFetcherManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// One fetcher: until no partition here follows `leader`.
async fn run(
    shared: Arc<Shared>,
    replication: Arc<ClusterReplication>,
    leader: i32,
    address: String,
) {
    let broker_id = replication.broker_id();
    let epochs = replication.leader_epochs().cloned();
    let mut connection: Option<BrokerConnection> = None;
    loop {
        // (partition, what to fetch, whether it must first be truncated)
        let followed: Vec<(TopicPartition, crate::events::FetchPartition, bool)> = {
            let replicas = replication.replicas();
            replicas
                .followers
                .iter()
                .filter(|(_, f)| f.leader_id() == leader)
                .map(|(tp, f)| (tp.clone(), f.build_fetch(), f.is_truncating()))
                .collect()
        };
        if followed.is_empty() {
            tracing::info!(
                leader,
                "no partition to fetch from this leader: fetcher ends"
            );
            return;
        }
        if connection.is_none() {
            let client_id = format!("replica-fetcher-{broker_id}-{leader}");
            match BrokerConnection::connect(&address, &client_id, Duration::from_secs(5)).await {
                Ok(c) => connection = Some(c),
                Err(e) => {
                    tracing::warn!(leader, %address, "connecting to the leader: {e}");
                    backoff().await;
                    continue;
                }
            }
        }
        let Some(c) = connection.as_mut() else {
            continue;
        };
        // Lab 13: partitions with a new leader or epoch first cut their logs where they
        // diverge from the leader's (`maybeTruncate`), and are fetched on the next turn.
        let (truncating, wanted): (Vec<_>, Vec<_>) = followed
            .into_iter()
            .partition(|(_, _, truncating)| *truncating && epochs.is_some());
        if let (Some(epochs), false) = (&epochs, truncating.is_empty()) {
            let tps: Vec<(TopicPartition, i32)> = truncating
                .into_iter()
                .map(|(tp, f, _)| (tp, f.current_leader_epoch.unwrap_or(-1)))
                .collect();
            match truncate_by_epoch(&shared, &replication, epochs.as_ref(), c, &tps).await {
                Ok(true) => {}
                Ok(false) => backoff().await,
                Err(e) => {
                    tracing::warn!(leader, "asking the leader for epoch end offsets: {e}");
                    connection = None;
                    backoff().await;
                }
            }
            continue;
        }
        let wanted: Vec<(TopicPartition, crate::events::FetchPartition)> =
            wanted.into_iter().map(|(tp, f, _)| (tp, f)).collect();
        let request = fetch_request(broker_id, &wanted);
        let response = match c.call(&request).await {
            Ok(response) => response,
            Err(e) => {
                tracing::warn!(leader, "fetching: {e}");
                connection = None;
                backoff().await;
                continue;
            }
        };
        let mut failed = false;
        for t in &response.responses {
            for p in &t.partitions {
                let tp = TopicPartition::new(t.topic.0.as_str(), p.partition_index);
                let Some((_, asked)) = wanted.iter().find(|(w, _)| *w == tp) else {
                    continue;
                };
                let error = error_code(p.error_code);
                let records = p.records.clone().unwrap_or_default();
                if let Err(e) = apply_fetched_partition(
                    &shared,
                    &replication,
                    &tp,
                    asked.fetch_offset,
                    error,
                    p.high_watermark,
                    records,
                ) {
                    tracing::warn!(%tp, leader, "{e}");
                    failed = true;
                }
            }
        }
        if failed {
            backoff().await;
        }
    }
}

/// The fetch errors a follower tells apart; any other code is an unknown server error.
fn error_code(code: i16) -> ErrorCode {
    [
        ErrorCode::None,
        ErrorCode::OffsetOutOfRange,
        ErrorCode::UnknownTopicOrPartition,
        ErrorCode::NotLeaderOrFollower,
        ErrorCode::FencedLeaderEpoch,
        ErrorCode::UnknownLeaderEpoch,
    ]
    .into_iter()
    .find(|e| e.code() == code)
    .unwrap_or(ErrorCode::UnknownServerError)
}

async fn backoff() {
    tokio::time::sleep(Duration::from_millis(REPLICA_FETCH_BACKOFF_MS)).await;
}

/// A follower's Fetch for `wanted`.
fn fetch_request(
    broker_id: i32,
    wanted: &[(TopicPartition, crate::events::FetchPartition)],
) -> FetchRequest {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for (tp, f) in wanted {
        let partition = FetchPartition::default()
            .with_partition(tp.partition)
            .with_current_leader_epoch(f.current_leader_epoch.unwrap_or(-1))
            .with_fetch_offset(f.fetch_offset)
            .with_log_start_offset(-1)
            .with_partition_max_bytes(REPLICA_FETCH_MAX_BYTES);
        match topics.iter_mut().find(|t| t.topic.0.as_str() == tp.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(tp.topic.clone())))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    FetchRequest::default()
        .with_replica_id(BrokerId(broker_id))
        .with_max_wait_ms(REPLICA_FETCH_WAIT_MAX_MS)
        .with_min_bytes(1)
        .with_max_bytes(10 * REPLICA_FETCH_MAX_BYTES)
        .with_session_epoch(-1)
        .with_topics(topics)
}

/// Lab 13's truncation of the partitions `tps` (each with the leader epoch this follower
/// believes in), Kafka 2.6's `maybeTruncate`: a partition whose cache knows no epoch is cut to
/// its high watermark; the others ask the leader, in one OffsetsForLeaderEpoch, where their
/// latest epoch ends, and are cut where the leader's answer says. Returns `Ok(false)` when a
/// partition could not be settled (an error answer: it stays truncating, ask again later), an
/// `Err` when the connection failed. Lock order: the broker's, then the replicas'.
async fn truncate_by_epoch(
    shared: &Shared,
    replication: &ClusterReplication,
    epochs: &dyn LeaderEpochs,
    c: &mut BrokerConnection,
    tps: &[(TopicPartition, i32)],
) -> Result<bool, String> {
    let mut asks: Vec<(TopicPartition, i32, i32)> = Vec::new();
    let mut settled = true;
    for (tp, current_epoch) in tps {
        let latest = {
            let broker = shared.broker();
            broker
                .partition(&tp.topic, tp.partition)
                .map(|p| (epochs.latest_epoch(p), p.high_watermark()))
        };
        match latest {
            Some((Some(epoch), _)) => asks.push((tp.clone(), *current_epoch, epoch)),
            // No epoch known here: the rule before KIP-101, cut to the high watermark.
            Some((None, hw)) => settled &= cut_log(shared, replication, epochs, tp, hw, true),
            None => settled = false,
        }
    }
    if asks.is_empty() {
        return Ok(settled);
    }
    let response = c
        .call(&offsets_for_leader_epoch_request(
            replication.broker_id(),
            &asks,
        ))
        .await
        .map_err(|e| e.to_string())?;
    for t in &response.topics {
        for p in &t.partitions {
            let tp = TopicPartition::new(t.topic.0.as_str(), p.partition);
            if !asks.iter().any(|(a, _, _)| *a == tp) {
                continue;
            }
            let answer = EpochEndOffset {
                error_code: p.error_code,
                leader_epoch: p.leader_epoch,
                end_offset: p.end_offset,
            };
            let truncation = {
                let broker = shared.broker();
                broker
                    .partition(&tp.topic, tp.partition)
                    .and_then(|partition| epochs.truncation(partition, answer))
            };
            match truncation {
                Some(t) => {
                    settled &= cut_log(shared, replication, epochs, &tp, t.offset, t.completed)
                }
                None => {
                    tracing::warn!(%tp, error_code = p.error_code, "the leader could not say where its epoch ends");
                    settled = false;
                }
            }
        }
    }
    Ok(settled)
}

/// Cuts the follower's log of `tp` to end at `offset`, then its epoch cache and its
/// [`crate::FollowerPartition`]. Returns whether it worked.
fn cut_log(
    shared: &Shared,
    replication: &ClusterReplication,
    epochs: &dyn LeaderEpochs,
    tp: &TopicPartition,
    offset: i64,
    completed: bool,
) -> bool {
    let mut broker = shared.broker();
    let Some(partition) = broker.partition_mut(&tp.topic, tp.partition) else {
        return false;
    };
    let before = partition.log_end_offset();
    let end = match partition.truncate_to(offset, now_ms()) {
        Ok(end) => end,
        Err(e) => {
            tracing::error!(%tp, offset, "truncating the log: {e}");
            return false;
        }
    };
    epochs.on_truncated(partition, end);
    if end < before {
        tracing::info!(%tp, from = before, to = end, "truncated the log to where it meets the leader's");
    }
    let mut replicas = replication.replicas();
    if let Some(follower) = replicas.followers.get_mut(tp) {
        follower.truncated_to(end, completed);
    }
    copy_state(&replicas, tp, partition.replica_state_mut());
    true
}

/// One OffsetsForLeaderEpoch for `asks`: (partition, current leader epoch, epoch to find the
/// end of), sent as this follower (`replica_id`, KIP-320's fencing by the current epoch).
fn offsets_for_leader_epoch_request(
    broker_id: i32,
    asks: &[(TopicPartition, i32, i32)],
) -> OffsetForLeaderEpochRequest {
    let mut topics: Vec<OffsetForLeaderTopic> = Vec::new();
    for (tp, current_epoch, epoch) in asks {
        let partition = OffsetForLeaderPartition::default()
            .with_partition(tp.partition)
            .with_current_leader_epoch(*current_epoch)
            .with_leader_epoch(*epoch);
        match topics.iter_mut().find(|t| t.topic.0.as_str() == tp.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(
                OffsetForLeaderTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(tp.topic.clone())))
                    .with_partitions(vec![partition]),
            ),
        }
    }
    OffsetForLeaderEpochRequest::default()
        .with_replica_id(BrokerId(broker_id))
        .with_topics(topics)
}

/// Given: one partition of a fetch answer on the follower (`processPartitionData` and the
/// append): step 7's whole batches, checked by step 5, then appended to the follower's log as
/// they are, and the follower's HW copied to lab 05's state. `fetch_offset` is what the fetch
/// asked from. Lock order: the broker's, then the replicas'.
pub fn apply_fetched_partition(
    shared: &Shared,
    replication: &ClusterReplication,
    tp: &TopicPartition,
    fetch_offset: i64,
    error: ErrorCode,
    high_watermark: i64,
    records: Bytes,
) -> Result<(), String> {
    let batches = whole_batches(&records)?;
    let range = match (batches.first(), batches.last()) {
        (Some(first), Some(last)) => Some((first.0.base_offset, last.0.last_offset())),
        _ => None,
    };
    let mut broker = shared.broker();
    let Some(partition) = broker.partition_mut(&tp.topic, tp.partition) else {
        return Err("no log here for a partition this broker follows".to_string());
    };
    let mut replicas = replication.replicas();
    let Some(follower) = replicas.followers.get_mut(tp) else {
        return Ok(()); // no longer followed: the answer is stale
    };
    let epochs = replication.leader_epochs();
    if epochs.is_some() {
        if follower.is_truncating() {
            return Ok(()); // asked before a leader change: the log is cut first
        }
        if error == ErrorCode::OffsetOutOfRange {
            // This follower is ahead of its leader (KIP-101): find where the logs diverge.
            follower.start_truncating();
        }
    }
    let data = FetchedPartition {
        error,
        high_watermark,
        records: range,
    };
    follower
        .process_partition_data(fetch_offset, &data)
        .map_err(|e| e.to_string())?;
    for (header, bytes) in batches {
        let mut batch = bytes.to_vec();
        partition
            .append_as_follower(&mut batch, now_ms())
            .map_err(|e| format!("appending a fetched batch: {e}"))?;
        if let Some(epochs) = epochs {
            epochs.on_follower_append(partition, header.partition_leader_epoch, header.base_offset);
        }
    }
    copy_state(&replicas, tp, partition.replica_state_mut());
    Ok(())
}

/// Step 7: the whole batches at the start of a fetch answer's `records`, each with its
/// header, in order. The leader sends whole batches, but its size limit
/// (`replica.fetch.max.bytes`) may cut the last one: a cut batch, or bytes too short for a
/// header, end the list (the next fetch asks for it again). Bytes that begin with no whole
/// batch at all, while there are more than a header's worth, are an error.
pub fn whole_batches(records: &Bytes) -> Result<Vec<(BatchHeader, Bytes)>, String> {
    // BEGIN SOLUTION step 7: parse header after header, keep each batch that fits whole, stop at the first cut one
    // ko: 헤더를 차례로 읽어 통째로 들어 있는 배치는 담고, 처음 잘린 배치에서 멈추세요
    let mut out = Vec::new();
    let mut at = 0;
    while at < records.len() {
        let Ok(header) = BatchHeader::parse(&records[at..]) else {
            break; // a batch cut by the size limit: fetched again next time
        };
        let size = header.total_size();
        if size == 0 || at + size > records.len() {
            break;
        }
        out.push((header, records.slice(at..at + size)));
        at += size;
    }
    if out.is_empty() && records.len() > BATCH_HEADER_SIZE {
        let first = BatchHeader::parse(records).map(|h| h.total_size());
        if !matches!(first, Ok(size) if size > records.len()) {
            return Err("the leader sent bytes that hold no whole batch".to_string());
        }
    }
    Ok(out)
    // END SOLUTION
}

/// A batch's fixed header: 61 bytes (lab 01).
const BATCH_HEADER_SIZE: usize = 61;
