//! EndTxn (key 26), v0–v1: the producer asks its coordinator to commit (`committed` true) or
//! abort the transaction. The answer comes once PrepareCommit/PrepareAbort is in
//! `__transaction_state`: from then on the outcome is decided, whatever crashes.
//!
//! ```text
//! request:  transactional_id string | producer_id int64 | producer_epoch int16 | committed bool
//! response: throttle_time_ms int32 | error_code int16
//! ```

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use crate::errors::Errors;

pub const SPEC: ApiSpec = ApiSpec {
    key: 26,
    name: "EndTxn",
    min: 0,
    max: 1,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndTxnRequest {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub committed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndTxnResponse {
    pub throttle_time_ms: i32,
    pub error_code: Errors,
}

impl ApiRequest for EndTxnRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = EndTxnResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<EndTxnRequest> {
        // BEGIN SOLUTION step 2: id, producer id, epoch and whether to commit
        // ko: ID, 프로듀서 ID, 에포크와 커밋 여부
        Ok(EndTxnRequest {
            transactional_id: d.string(false)?,
            producer_id: d.i64()?,
            producer_epoch: d.i16()?,
            committed: d.bool()?,
        })
        // END SOLUTION
    }
}

impl ApiResponse for EndTxnResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        // BEGIN SOLUTION step 2: throttle time and error code
        // ko: throttle time과 오류 코드
        e.i32(self.throttle_time_ms);
        e.i16(self.error_code.code());
        // END SOLUTION
    }
}
