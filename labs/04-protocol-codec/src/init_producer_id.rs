//! InitProducerId (key 22), versions 0 and 1: an idempotent producer (the default in Kafka
//! 3.0+ clients and kafka-python 3) asks for a producer id before its first Produce, and then
//! numbers its batches so the broker can drop duplicates from retries.
//!
//! ```text
//! request:  transactional_id nullable string | transaction_timeout_ms int32
//! response: throttle_time_ms int32 | error_code int16 | producer_id int64 | producer_epoch int16
//! ```

use crate::api::{ApiRequest, ApiResponse, ApiSpec};
use crate::error::Result;
use crate::error_code::ErrorCode;
use crate::types::{Decoder, Encoder};

/// v0 and v1, before InitProducerId became flexible (v2).
pub const SPEC: ApiSpec = ApiSpec {
    key: 22,
    name: "InitProducerId",
    min: 0,
    max: 1,
    flexible_from: 2,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProducerIdRequest {
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProducerIdResponse {
    pub throttle_time_ms: i32,
    pub error_code: ErrorCode,
    pub producer_id: i64,
    pub producer_epoch: i16,
}

impl ApiRequest for InitProducerIdRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = InitProducerIdResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<InitProducerIdRequest> {
        // BEGIN SOLUTION step 6: the transactional id and the transaction timeout
        // ko: transactional id와 트랜잭션 타임아웃을 읽기
        Ok(InitProducerIdRequest {
            transactional_id: d.nullable_string(false)?,
            transaction_timeout_ms: d.i32()?,
        })
        // END SOLUTION
    }
}

impl ApiResponse for InitProducerIdResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        // BEGIN SOLUTION step 6: throttle time, error code, producer id and epoch
        // ko: throttle time, 오류 코드, 프로듀서 ID와 에포크를 쓰기
        e.i32(self.throttle_time_ms);
        e.i16(self.error_code.code());
        e.i64(self.producer_id);
        e.i16(self.producer_epoch);
        // END SOLUTION
    }
}
