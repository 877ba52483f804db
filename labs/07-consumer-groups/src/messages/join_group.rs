//! JoinGroup (key 11), v0–5.
//!
//! ```text
//! request:  group_id string | session_timeout_ms int32 | rebalance_timeout_ms int32 (v1+)
//!           | member_id string | group_instance_id nullable string (v5+) | protocol_type string
//!           | protocols [name string | metadata bytes]
//! response: throttle_time_ms int32 (v2+) | error_code int16 | generation_id int32
//!           | protocol_name string | leader string | member_id string
//!           | members [member_id string | group_instance_id nullable string (v5+) | metadata bytes]
//! ```
//! v0 has no rebalance timeout: the session timeout serves as both.

use lab04_protocol_codec::{Decoder, Encoder, ErrorCode, Result};

use super::{array, bytes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupRequest {
    pub group_id: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub protocol_type: String,
    pub protocols: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupResponse {
    pub error_code: ErrorCode,
    pub generation_id: i32,
    pub protocol_name: String,
    pub leader: String,
    pub member_id: String,
    /// (member_id, group_instance_id, metadata): only in the leader's answer.
    pub members: Vec<(String, Option<String>, Vec<u8>)>,
}

impl JoinGroupRequest {
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let group_id = d.string(false)?;
        let session_timeout_ms = d.i32()?;
        let rebalance_timeout_ms = if version >= 1 {
            d.i32()?
        } else {
            session_timeout_ms
        };
        let member_id = d.string(false)?;
        let group_instance_id = if version >= 5 {
            d.nullable_string(false)?
        } else {
            None
        };
        let protocol_type = d.string(false)?;
        let protocols = array(d, |d| Ok((d.string(false)?, bytes(d)?)))?;
        Ok(JoinGroupRequest {
            group_id,
            session_timeout_ms,
            rebalance_timeout_ms,
            member_id,
            group_instance_id,
            protocol_type,
            protocols,
        })
    }
}

impl JoinGroupResponse {
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 2 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        e.i32(self.generation_id);
        e.string(&self.protocol_name, false);
        e.string(&self.leader, false);
        e.string(&self.member_id, false);
        e.array_len(Some(self.members.len()), false);
        for (member_id, instance, metadata) in &self.members {
            e.string(member_id, false);
            if version >= 5 {
                e.nullable_string(instance.as_deref(), false);
            }
            e.bytes(metadata, false);
        }
    }
}
