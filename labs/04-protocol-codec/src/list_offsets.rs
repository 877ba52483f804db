//! ListOffsets (key 2), versions 1 to 5: "which offset is at this time?" — or, with the
//! special timestamps, the first (−2, earliest) or the next (−1, latest) offset. A consumer
//! without a committed offset asks it to start at `auto.offset.reset`.
//!
//! ```text
//! request:  replica_id int32 | isolation_level int8 (v2+)
//!           | topics [name string, partitions [partition int32, current_leader_epoch int32 (v4+),
//!                                              timestamp int64]]
//! response: throttle_time_ms int32 (v2+)
//!           | topics [name string, partitions [partition int32, error_code int16,
//!                                              timestamp int64, offset int64, leader_epoch int32 (v4+)]]
//! ```

use crate::api::{ApiRequest, ApiResponse, ApiSpec};
use crate::error::Result;
use crate::error_code::ErrorCode;
use crate::types::{read_array, Decoder, Encoder};

/// `timestamp = -1`: the latest offset (the log end offset, where the next record will go).
pub const LATEST_TIMESTAMP: i64 = -1;
/// `timestamp = -2`: the earliest offset (the log start offset).
pub const EARLIEST_TIMESTAMP: i64 = -2;

/// ListOffsets stops at v5, the last version before it became flexible; Kafka 4.0 clients need
/// v1 or later (KIP-896).
pub const SPEC: ApiSpec = ApiSpec {
    key: 2,
    name: "ListOffsets",
    min: 1,
    max: 5,
    flexible_from: 6,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsPartition {
    pub partition: i32,
    pub current_leader_epoch: i32,
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsTopic {
    pub name: String,
    pub partitions: Vec<ListOffsetsPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsRequest {
    pub replica_id: i32,
    pub isolation_level: i8,
    pub topics: Vec<ListOffsetsTopic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsPartitionResponse {
    pub partition: i32,
    pub error_code: ErrorCode,
    pub timestamp: i64,
    pub offset: i64,
    pub leader_epoch: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsTopicResponse {
    pub name: String,
    pub partitions: Vec<ListOffsetsPartitionResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsResponse {
    pub throttle_time_ms: i32,
    pub topics: Vec<ListOffsetsTopicResponse>,
}

impl ApiRequest for ListOffsetsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = ListOffsetsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<ListOffsetsRequest> {
        // BEGIN SOLUTION step 8: replica id, isolation level from v2, topics of partitions with the epoch from v4 and the timestamp
        // ko: replica id, v2부터 isolation level, 토픽별 파티션(v4부터 에포크)과 타임스탬프를 읽기
        let replica_id = d.i32()?;
        let isolation_level = if version >= 2 { d.i8()? } else { 0 };
        let topics = read_array(d, |d| {
            let name = d.string(false)?;
            let partitions = read_array(d, |d| {
                let partition = d.i32()?;
                let current_leader_epoch = if version >= 4 { d.i32()? } else { -1 };
                let timestamp = d.i64()?;
                Ok(ListOffsetsPartition {
                    partition,
                    current_leader_epoch,
                    timestamp,
                })
            })?;
            Ok(ListOffsetsTopic { name, partitions })
        })?;
        Ok(ListOffsetsRequest {
            replica_id,
            isolation_level,
            topics,
        })
        // END SOLUTION
    }
}

impl ApiResponse for ListOffsetsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 8: throttle time from v2, then topics of partitions with timestamp, offset and the epoch from v4
        // ko: v2부터 throttle time, 그다음 토픽별 파티션의 타임스탬프, 오프셋, v4부터 에포크를 쓰기
        if version >= 2 {
            e.i32(self.throttle_time_ms);
        }
        e.array_len(Some(self.topics.len()), false);
        for topic in &self.topics {
            e.string(&topic.name, false);
            e.array_len(Some(topic.partitions.len()), false);
            for p in &topic.partitions {
                e.i32(p.partition);
                e.i16(p.error_code.code());
                e.i64(p.timestamp);
                e.i64(p.offset);
                if version >= 4 {
                    e.i32(p.leader_epoch);
                }
            }
        }
        // END SOLUTION
    }
}
