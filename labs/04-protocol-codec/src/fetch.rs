//! Fetch (key 1), versions 4 to 11: "give me record batches from these offsets". Consumers and,
//! in the replication lab, follower brokers send it.
//!
//! ```text
//! request:  replica_id int32 | max_wait_ms int32 | min_bytes int32 | max_bytes int32
//!           | isolation_level int8 | session_id int32 (v7+) | session_epoch int32 (v7+)
//!           | topics [name string, partitions [partition int32, current_leader_epoch int32 (v9+),
//!                     fetch_offset int64, log_start_offset int64 (v5+), partition_max_bytes int32]]
//!           | forgotten_topics [name string, partitions [int32]] (v7+) | rack_id string (v11+)
//! response: throttle_time_ms int32 | error_code int16 (v7+) | session_id int32 (v7+)
//!           | responses [topic string, partitions [partition int32, error_code int16,
//!                        high_watermark int64, last_stable_offset int64, log_start_offset int64 (v5+),
//!                        aborted_transactions nullable [producer_id int64, first_offset int64],
//!                        preferred_read_replica int32 (v11+), records nullable bytes]]
//! ```
//!
//! `max_wait_ms` and `min_bytes` make a fetch a *long poll*: the broker holds the request until
//! `min_bytes` are there or `max_wait_ms` passed, so an idle consumer costs no busy loop.

use crate::api::{ApiRequest, ApiResponse, ApiSpec};
use crate::error::Result;
use crate::error_code::ErrorCode;
use crate::types::{read_array, Decoder, Encoder};

/// Fetch stops at v11: v12 is flexible and v13 identifies topics by id, which this course does
/// not have. Kafka 4.0 clients need v4 or later (KIP-896), and kafka-python reads v4+ as a
/// broker of 0.11 or later.
pub const SPEC: ApiSpec = ApiSpec {
    key: 1,
    name: "Fetch",
    min: 4,
    max: 11,
    flexible_from: 12,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartition {
    pub partition: i32,
    pub current_leader_epoch: i32,
    pub fetch_offset: i64,
    pub log_start_offset: i64,
    pub partition_max_bytes: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchTopic {
    pub name: String,
    pub partitions: Vec<FetchPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub replica_id: i32,
    pub max_wait_ms: i32,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub isolation_level: i8,
    pub session_id: i32,
    pub session_epoch: i32,
    pub topics: Vec<FetchTopic>,
    pub rack_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartitionResponse {
    pub partition: i32,
    pub error_code: ErrorCode,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    /// `read_committed` fetches (lab 14): the aborted transactions overlapping the records,
    /// as (producer id, first offset). `None` (sent as null) for `read_uncommitted`.
    pub aborted_transactions: Option<Vec<(i64, i64)>>,
    /// Whole record batches, as stored; empty for a partition with an error or nothing new.
    ///
    /// The field is nullable on the wire (`"nullableVersions": "0+"` in Kafka's
    /// FetchResponse.json), but Kafka's broker never sends null: a partition that failed gets
    /// `MemoryRecords.EMPTY`, a record set of length 0. librdkafka relies on it — a length of
    /// −1 is a "Protocol parse failure … invalid MessageSetSize -1" that hides the partition's
    /// error, so the consumer never learns to reset its offset. Hence a plain `Vec`, which
    /// cannot be null.
    pub records: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchTopicResponse {
    pub topic: String,
    pub partitions: Vec<FetchPartitionResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    pub throttle_time_ms: i32,
    pub error_code: ErrorCode,
    pub session_id: i32,
    pub responses: Vec<FetchTopicResponse>,
}

impl ApiRequest for FetchRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = FetchResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<FetchRequest> {
        // BEGIN SOLUTION step 7: the fixed fields, the session fields from v7, topics of partitions, forgotten topics from v7, rack id from v11
        // ko: 고정 필드, v7부터 세션 필드, 토픽별 파티션, v7부터 forgotten topics, v11부터 rack id를 읽기
        let replica_id = d.i32()?;
        let max_wait_ms = d.i32()?;
        let min_bytes = d.i32()?;
        let max_bytes = d.i32()?;
        let isolation_level = d.i8()?;
        let (session_id, session_epoch) = if version >= 7 {
            (d.i32()?, d.i32()?)
        } else {
            (0, -1)
        };
        let topics = read_array(d, |d| {
            let name = d.string(false)?;
            let partitions = read_array(d, |d| {
                let partition = d.i32()?;
                let current_leader_epoch = if version >= 9 { d.i32()? } else { -1 };
                let fetch_offset = d.i64()?;
                let log_start_offset = if version >= 5 { d.i64()? } else { -1 };
                let partition_max_bytes = d.i32()?;
                Ok(FetchPartition {
                    partition,
                    current_leader_epoch,
                    fetch_offset,
                    log_start_offset,
                    partition_max_bytes,
                })
            })?;
            Ok(FetchTopic { name, partitions })
        })?;
        if version >= 7 {
            // Incremental fetch sessions (KIP-227) are not kept by this broker: it answers with
            // session id 0, which tells the client to send full requests.
            read_array(d, |d| {
                d.string(false)?;
                read_array(d, |d| d.i32())
            })?;
        }
        let rack_id = if version >= 11 {
            d.string(false)?
        } else {
            String::new()
        };
        Ok(FetchRequest {
            replica_id,
            max_wait_ms,
            min_bytes,
            max_bytes,
            isolation_level,
            session_id,
            session_epoch,
            topics,
            rack_id,
        })
        // END SOLUTION
    }
}

impl ApiResponse for FetchResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 7: throttle time, error and session from v7, then topics of partitions; a partition with an error gets empty records, not null
        // ko: throttle time, v7부터 오류와 세션, 그다음 토픽별 파티션. 오류가 난 파티션의 레코드는 null이 아니라 빈 값
        e.i32(self.throttle_time_ms);
        if version >= 7 {
            e.i16(self.error_code.code());
            e.i32(self.session_id);
        }
        e.array_len(Some(self.responses.len()), false);
        for topic in &self.responses {
            e.string(&topic.topic, false);
            e.array_len(Some(topic.partitions.len()), false);
            for p in &topic.partitions {
                e.i32(p.partition);
                e.i16(p.error_code.code());
                e.i64(p.high_watermark);
                e.i64(p.last_stable_offset);
                if version >= 5 {
                    e.i64(p.log_start_offset);
                }
                match &p.aborted_transactions {
                    None => e.array_len(None, false),
                    Some(aborted) => {
                        e.array_len(Some(aborted.len()), false);
                        for (producer_id, first_offset) in aborted {
                            e.i64(*producer_id);
                            e.i64(*first_offset);
                        }
                    }
                }
                if version >= 11 {
                    e.i32(-1); // no preferred read replica
                }
                e.i32(p.records.len() as i32);
                e.buf.extend_from_slice(&p.records);
            }
        }
        // END SOLUTION
    }
}
