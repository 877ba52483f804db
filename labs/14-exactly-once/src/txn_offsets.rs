//! Given: TxnOffsetCommit at a group's coordinator, for a broker alone and a broker of a
//! cluster. The offsets go into the group's `__consumer_offsets` partition at once, as a
//! transactional batch of the producer (lab 07's `store_transactional`), and wait there for
//! the transaction's marker, which the transaction coordinator sends to that partition like
//! to any other the transaction wrote (AddOffsetsToTxn added it): COMMIT applies them, ABORT
//! drops them (lab 07's `complete_txn`). A broker that loads the partition later replays the
//! same decision from the log.

use lab04_protocol_codec::ErrorCode;
use lab05_broker::Broker;
use lab07_consumer_groups::group_metadata_manager::{offset_record, OffsetRecord};
use lab07_consumer_groups::GroupService;

use crate::errors::Errors;
use crate::messages::txn_offset_commit::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};

/// Writes the request's offsets to the group's `__consumer_offsets` partition, pending until
/// the marker; returns that partition and its log end offset after them (a cluster's caller
/// waits for the high watermark to pass it before answering, as Kafka's acks=all append).
pub fn store_txn_offsets(
    broker: &mut Broker,
    groups: &GroupService,
    r: &TxnOffsetCommitRequest,
    now_ms: i64,
) -> Result<(i32, i64), Errors> {
    let records: Vec<OffsetRecord> = txn_offset_records(r, now_ms)
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    let partition = lab07_consumer_groups::offsets::partition_for_group(
        &r.group_id,
        lab07_consumer_groups::offsets::OFFSETS_PARTITIONS,
    );
    let producer = (r.producer_id, r.producer_epoch);
    let stored = groups
        .state()
        .groups
        .store_transactional(broker, &r.group_id, producer, records);
    match stored {
        Ok(end) => Ok((partition, end)),
        Err(ErrorCode::NotCoordinator) => Err(Errors::NotCoordinator),
        Err(ErrorCode::CoordinatorNotAvailable) => Err(Errors::CoordinatorNotAvailable),
        Err(_) => Err(Errors::UnknownServerError),
    }
}

/// TxnOffsetCommit's offsets as lab 07's offset records, by group.
pub fn txn_offset_records(r: &TxnOffsetCommitRequest, now: i64) -> Vec<(String, OffsetRecord)> {
    r.topics
        .iter()
        .flat_map(|(topic, ps)| {
            ps.iter().map(|p| {
                let record = offset_record(
                    &r.group_id,
                    topic,
                    p.partition_index,
                    (p.committed_offset, p.committed_leader_epoch),
                    p.committed_metadata.as_deref(),
                    now,
                );
                (r.group_id.clone(), record)
            })
        })
        .collect()
}

/// TxnOffsetCommit's answer: `error` for every partition.
pub fn txn_offset_commit_response(
    r: TxnOffsetCommitRequest,
    error: Errors,
) -> TxnOffsetCommitResponse {
    TxnOffsetCommitResponse {
        throttle_time_ms: 0,
        topics: r
            .topics
            .into_iter()
            .map(|(t, ps)| (t, ps.iter().map(|p| (p.partition_index, error)).collect()))
            .collect(),
    }
}
