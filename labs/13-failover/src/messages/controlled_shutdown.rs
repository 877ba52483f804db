//! ControlledShutdown (key 7), versions 0 to 3, as Kafka 2.6's `ControlledShutdownRequest.json`
//! and `ControlledShutdownResponse.json`: a broker about to stop asks the controller to move
//! its leaderships away (see `controlled_shutdown.rs` for the controller's decision).
//!
//! ```text
//! request:  broker_id int32 | broker_epoch int64 (v2+) | tags (v3+)
//! response: error_code int16
//!           | remaining_partitions [topic_name string, partition_index int32 | tags (v3+)]
//!           | tags (v3+)
//! ```
//! From v3 strings and arrays are compact. (v0 also has a request header without a client id;
//! that is the header's business, not the body's.)

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{read_structs, write_structs};

/// Kafka 2.6: versions 0 to 3, flexible from 3.
pub const SPEC: ApiSpec = ApiSpec {
    key: 7,
    name: "ControlledShutdown",
    min: 0,
    max: 3,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlledShutdownRequest {
    pub broker_id: i32,
    /// The broker's registration epoch (KIP-380), −1 when the version lacks it.
    pub broker_epoch: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemainingPartition {
    pub topic_name: String,
    pub partition_index: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlledShutdownResponse {
    pub error_code: i16,
    pub remaining_partitions: Vec<RemainingPartition>,
}

impl ApiRequest for ControlledShutdownRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = ControlledShutdownResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<ControlledShutdownRequest> {
        // BEGIN SOLUTION step 4: the broker id, the broker epoch from v2 (else -1), the tag section from v3
        // ko: 브로커 id, v2부터 브로커 에포크(아니면 -1), v3부터 태그 구역
        let broker_id = d.i32()?;
        let broker_epoch = if version >= 2 { d.i64()? } else { -1 };
        if version >= 3 {
            d.skip_tagged_fields()?;
        }
        Ok(ControlledShutdownRequest {
            broker_id,
            broker_epoch,
        })
        // END SOLUTION
    }
}

impl ControlledShutdownRequest {
    /// The broker's side: the body at `version`.
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        e.i32(self.broker_id);
        if version >= 2 {
            e.i64(self.broker_epoch);
        }
        e.no_tagged_fields(version >= 3);
    }
}

impl ApiResponse for ControlledShutdownResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 4: the error code and the remaining partitions, compact with tags from v3
        // ko: 오류 코드와 남은 파티션들, v3부터는 압축형과 태그
        let flexible = version >= 3;
        e.i16(self.error_code);
        write_structs(e, Some(&self.remaining_partitions), flexible, |e, p| {
            e.string(&p.topic_name, flexible);
            e.i32(p.partition_index);
        });
        e.no_tagged_fields(flexible);
        // END SOLUTION
    }
}

impl ControlledShutdownResponse {
    /// The broker's side: the controller's answer at `version`.
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<ControlledShutdownResponse> {
        let flexible = version >= 3;
        let error_code = d.i16()?;
        let remaining_partitions = read_structs(d, flexible, |d| {
            Ok(RemainingPartition {
                topic_name: d.string(flexible)?,
                partition_index: d.i32()?,
            })
        })?
        .unwrap_or_default();
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(ControlledShutdownResponse {
            error_code,
            remaining_partitions,
        })
    }
}
