//! Produce (key 0), versions 3 to 8: "append these record batches to these partitions".
//!
//! ```text
//! request:  transactional_id nullable string | acks int16 | timeout_ms int32
//!           | topics [name string, partitions [index int32, records nullable bytes]]
//! response: responses [name string, partitions [index int32, error_code int16, base_offset int64,
//!                      log_append_time_ms int64, log_start_offset int64 (v5+),
//!                      record_errors [batch_index int32, message nullable string] (v8+),
//!                      error_message nullable string (v8+)]]
//!           | throttle_time_ms int32
//! ```
//!
//! `records` holds the producer's record batches (lab 01's format) exactly as it built them —
//! compressed or not. The broker stores them unchanged, which is much of why Kafka is fast.
//! `acks`: 0 = no response at all, 1 = after the leader's append, −1 = after all in-sync replicas.

use crate::api::{ApiRequest, ApiResponse, ApiSpec};
use crate::error::Result;
use crate::error_code::ErrorCode;
use crate::types::{read_array, Decoder, Encoder};

/// Produce stops at v8, the last version before it became flexible: every client here accepts
/// it, and the data path stays in the classic encoding. Kafka 4.0 clients need v3 or later
/// (KIP-896); kafka-python sends record batch v2 once it sees Produce ≥ 3.
pub const SPEC: ApiSpec = ApiSpec {
    key: 0,
    name: "Produce",
    min: 3,
    max: 8,
    flexible_from: 9,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducePartition {
    pub index: i32,
    /// The raw record batches; `None` if the producer sent null.
    pub records: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceTopic {
    pub name: String,
    pub partitions: Vec<ProducePartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceRequest {
    pub transactional_id: Option<String>,
    pub acks: i16,
    pub timeout_ms: i32,
    pub topics: Vec<ProduceTopic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducePartitionResponse {
    pub index: i32,
    pub error_code: ErrorCode,
    pub base_offset: i64,
    /// −1 unless the topic uses LogAppendTime.
    pub log_append_time_ms: i64,
    pub log_start_offset: i64,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceTopicResponse {
    pub name: String,
    pub partitions: Vec<ProducePartitionResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResponse {
    pub responses: Vec<ProduceTopicResponse>,
    pub throttle_time_ms: i32,
}

impl ApiRequest for ProduceRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = ProduceResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<ProduceRequest> {
        // BEGIN SOLUTION step 6: transactional id, acks, timeout, then topics of partitions of raw records
        // ko: transactional id, acks, timeout, 그다음 토픽별 파티션과 그 레코드 바이트를 읽기
        let transactional_id = d.nullable_string(false)?;
        let acks = d.i16()?;
        let timeout_ms = d.i32()?;
        let topics = read_array(d, |d| {
            let name = d.string(false)?;
            let partitions = read_array(d, |d| {
                let index = d.i32()?;
                let records = d.nullable_bytes(false)?.map(<[u8]>::to_vec);
                Ok(ProducePartition { index, records })
            })?;
            Ok(ProduceTopic { name, partitions })
        })?;
        Ok(ProduceRequest {
            transactional_id,
            acks,
            timeout_ms,
            topics,
        })
        // END SOLUTION
    }
}

impl ApiResponse for ProduceResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 6: topics of partitions with their offsets and the version-gated fields, then the throttle time
        // ko: 토픽별 파티션의 오프셋과 버전별 필드, 그다음 throttle time을 쓰기
        e.array_len(Some(self.responses.len()), false);
        for topic in &self.responses {
            e.string(&topic.name, false);
            e.array_len(Some(topic.partitions.len()), false);
            for p in &topic.partitions {
                e.i32(p.index);
                e.i16(p.error_code.code());
                e.i64(p.base_offset);
                e.i64(p.log_append_time_ms);
                if version >= 5 {
                    e.i64(p.log_start_offset);
                }
                if version >= 8 {
                    e.array_len(Some(0), false);
                    e.nullable_string(p.error_message.as_deref(), false);
                }
            }
        }
        e.i32(self.throttle_time_ms);
        // END SOLUTION
    }
}
