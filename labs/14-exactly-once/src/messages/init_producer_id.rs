//! InitProducerId (key 22), v0–v3 as Kafka 2.6 speaks it. v2 is flexible (KIP-482); v3
//! (KIP-360) lets a producer send the id and epoch it already has, so the coordinator can bump
//! the epoch instead of handing out a new id after an UNKNOWN_PRODUCER_ID.
//!
//! ```text
//! request:  transactional_id nullable string | transaction_timeout_ms int32
//!           | v3+: producer_id int64 | producer_epoch int16 | v2+: tagged fields
//! response: throttle_time_ms int32 | error_code int16 | producer_id int64 | producer_epoch int16
//!           | v2+: tagged fields
//! ```

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use crate::errors::Errors;

pub const SPEC: ApiSpec = ApiSpec {
    key: 22,
    name: "InitProducerId",
    min: 0,
    max: 3,
    flexible_from: 2,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProducerIdRequest {
    /// `None` for an idempotent producer without transactions.
    pub transactional_id: Option<String>,
    pub transaction_timeout_ms: i32,
    /// v3+: the id and epoch the producer has, −1 and −1 when it has none (and before v3).
    pub producer_id: i64,
    pub producer_epoch: i16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitProducerIdResponse {
    pub throttle_time_ms: i32,
    pub error_code: Errors,
    pub producer_id: i64,
    pub producer_epoch: i16,
}

impl ApiRequest for InitProducerIdRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = InitProducerIdResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<InitProducerIdRequest> {
        // BEGIN SOLUTION step 2: the id and timeout, v3 adds producer id and epoch, v2 adds tagged fields
        // ko: ID와 타임아웃, v3은 프로듀서 ID와 에포크를, v2는 태그 필드를 더하기
        let flexible = SPEC.is_flexible(version);
        let transactional_id = d.nullable_string(flexible)?;
        let transaction_timeout_ms = d.i32()?;
        let (producer_id, producer_epoch) = if version >= 3 {
            (d.i64()?, d.i16()?)
        } else {
            (-1, -1)
        };
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(InitProducerIdRequest {
            transactional_id,
            transaction_timeout_ms,
            producer_id,
            producer_epoch,
        })
        // END SOLUTION
    }
}

impl ApiResponse for InitProducerIdResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 2: throttle time, error code, producer id and epoch, tagged fields when flexible
        // ko: throttle time, 오류 코드, 프로듀서 ID와 에포크, flexible이면 태그 필드
        e.i32(self.throttle_time_ms);
        e.i16(self.error_code.code());
        e.i64(self.producer_id);
        e.i16(self.producer_epoch);
        e.no_tagged_fields(SPEC.is_flexible(version));
        // END SOLUTION
    }
}
