//! SyncGroup (key 14), v0–3.
//!
//! ```text
//! request:  group_id string | generation_id int32 | member_id string
//!           | group_instance_id nullable string (v3+) | assignments [member_id string | assignment bytes]
//! response: throttle_time_ms int32 (v1+) | error_code int16 | assignment bytes
//! ```

use lab04_protocol_codec::{Decoder, Encoder, ErrorCode, Result};

use super::{array, bytes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    /// Only the leader sends assignments.
    pub assignments: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupResponse {
    pub error_code: ErrorCode,
    pub assignment: Vec<u8>,
}

impl SyncGroupRequest {
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let group_id = d.string(false)?;
        let generation_id = d.i32()?;
        let member_id = d.string(false)?;
        let group_instance_id = if version >= 3 {
            d.nullable_string(false)?
        } else {
            None
        };
        let assignments = array(d, |d| Ok((d.string(false)?, bytes(d)?)))?;
        Ok(SyncGroupRequest {
            group_id,
            generation_id,
            member_id,
            group_instance_id,
            assignments,
        })
    }
}

impl SyncGroupResponse {
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        e.bytes(&self.assignment, false);
    }
}
