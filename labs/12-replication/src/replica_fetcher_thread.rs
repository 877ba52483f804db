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
use kafka_protocol::messages::{BrokerId, FetchRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use lab01_record_batch::BatchHeader;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::shared::now_ms;
use lab05_broker::Shared;
use lab06_topics::client::connection::BrokerConnection;
use lab11_controller::TopicPartition;
use tokio::task::JoinHandle;

use crate::cluster_replication::{copy_state, ClusterReplication};
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
    let mut connection: Option<BrokerConnection> = None;
    loop {
        let wanted: Vec<(TopicPartition, crate::events::FetchPartition)> = {
            let replicas = replication.replicas();
            replicas
                .followers
                .iter()
                .filter(|(_, f)| f.leader_id() == leader)
                .map(|(tp, f)| (tp.clone(), f.build_fetch()))
                .collect()
        };
        if wanted.is_empty() {
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
    let data = FetchedPartition {
        error,
        high_watermark,
        records: range,
    };
    follower
        .process_partition_data(fetch_offset, &data)
        .map_err(|e| e.to_string())?;
    for (_, bytes) in batches {
        let mut batch = bytes.to_vec();
        partition
            .append_as_follower(&mut batch, now_ms())
            .map_err(|e| format!("appending a fetched batch: {e}"))?;
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
