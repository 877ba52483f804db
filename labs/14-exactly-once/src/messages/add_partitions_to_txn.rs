//! AddPartitionsToTxn (key 24), v0–v1 (v1 only says the client handles a throttle). Before it
//! writes to a partition inside a transaction, a producer tells its coordinator, which records
//! the partition in `__transaction_state` — so that, whatever happens, the coordinator knows
//! every partition that must get a marker.
//!
//! ```text
//! request:  transactional_id string | producer_id int64 | producer_epoch int16
//!           | topics [name string | partitions [int32]]
//! response: throttle_time_ms int32 | results [name string | results [partition_index int32 | error_code int16]]
//! ```

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{read_array, write_array};
use crate::errors::Errors;

pub const SPEC: ApiSpec = ApiSpec {
    key: 24,
    name: "AddPartitionsToTxn",
    min: 0,
    max: 1,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddPartitionsToTxnRequest {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub topics: Vec<(String, Vec<i32>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddPartitionsToTxnResponse {
    pub throttle_time_ms: i32,
    /// Per topic, per partition, its error.
    pub results: Vec<(String, Vec<(i32, Errors)>)>,
}

impl ApiRequest for AddPartitionsToTxnRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = AddPartitionsToTxnResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<AddPartitionsToTxnRequest> {
        // BEGIN SOLUTION step 2: id, producer id and epoch, then topics with their partition arrays
        // ko: ID, 프로듀서 ID와 에포크, 그다음 토픽과 파티션 배열
        Ok(AddPartitionsToTxnRequest {
            transactional_id: d.string(false)?,
            producer_id: d.i64()?,
            producer_epoch: d.i16()?,
            topics: read_array(d, false, |d| {
                Ok((d.string(false)?, read_array(d, false, |d| d.i32())?))
            })?,
        })
        // END SOLUTION
    }
}

impl ApiResponse for AddPartitionsToTxnResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        // BEGIN SOLUTION step 2: throttle time, then per topic its name and per partition index and error
        // ko: throttle time, 그다음 토픽마다 이름과 파티션마다 번호와 오류
        e.i32(self.throttle_time_ms);
        write_array(e, &self.results, false, |e, (name, parts)| {
            e.string(name, false);
            write_array(e, parts, false, |e, (p, err)| {
                e.i32(*p);
                e.i16(err.code());
            });
        });
        // END SOLUTION
    }
}
