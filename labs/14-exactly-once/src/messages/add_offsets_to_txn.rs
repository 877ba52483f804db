//! AddOffsetsToTxn (key 25), v0–v1. A consume-transform-produce loop commits its input offsets
//! inside the transaction: first this request adds the group's `__consumer_offsets` partition
//! to the transaction, then TxnOffsetCommit sends the offsets to the group coordinator.
//!
//! ```text
//! request:  transactional_id string | producer_id int64 | producer_epoch int16 | group_id string
//! response: throttle_time_ms int32 | error_code int16
//! ```

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use crate::errors::Errors;

pub const SPEC: ApiSpec = ApiSpec {
    key: 25,
    name: "AddOffsetsToTxn",
    min: 0,
    max: 1,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOffsetsToTxnRequest {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub group_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOffsetsToTxnResponse {
    pub throttle_time_ms: i32,
    pub error_code: Errors,
}

impl ApiRequest for AddOffsetsToTxnRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = AddOffsetsToTxnResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<AddOffsetsToTxnRequest> {
        // BEGIN SOLUTION step 2: id, producer id, epoch and the group id
        // ko: ID, 프로듀서 ID, 에포크와 그룹 ID
        Ok(AddOffsetsToTxnRequest {
            transactional_id: d.string(false)?,
            producer_id: d.i64()?,
            producer_epoch: d.i16()?,
            group_id: d.string(false)?,
        })
        // END SOLUTION
    }
}

impl ApiResponse for AddOffsetsToTxnResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        // BEGIN SOLUTION step 2: throttle time and error code
        // ko: throttle time과 오류 코드
        e.i32(self.throttle_time_ms);
        e.i16(self.error_code.code());
        // END SOLUTION
    }
}
