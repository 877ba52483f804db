//! DescribeGroups (key 15), v0–4: a group's state, protocol and members.
//!
//! ```text
//! request:  groups [string] | include_authorized_operations bool (v3+)
//! response: throttle_time_ms int32 (v1+) | groups [error_code int16 | group_id string
//!           | group_state string | protocol_type string | protocol_data string
//!           | members [member_id string | group_instance_id nullable string (v4+) | client_id string
//!                      | client_host string | member_metadata bytes | member_assignment bytes]
//!           | authorized_operations int32 (v3+)]
//! ```

use lab04_protocol_codec::{Decoder, Encoder, ErrorCode, Result};

use super::array;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeGroupsRequest {
    pub groups: Vec<String>,
    pub include_authorized_operations: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub member_metadata: Vec<u8>,
    pub member_assignment: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedGroup {
    pub error_code: ErrorCode,
    pub group_id: String,
    pub group_state: String,
    pub protocol_type: String,
    /// The chosen assignor.
    pub protocol_data: String,
    pub members: Vec<DescribedMember>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeGroupsResponse {
    pub groups: Vec<DescribedGroup>,
}

impl DescribeGroupsRequest {
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let groups = array(d, |d| d.string(false))?;
        let include_authorized_operations = if version >= 3 { d.bool()? } else { false };
        Ok(DescribeGroupsRequest {
            groups,
            include_authorized_operations,
        })
    }
}

impl DescribeGroupsResponse {
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.array_len(Some(self.groups.len()), false);
        for g in &self.groups {
            e.i16(g.error_code.code());
            e.string(&g.group_id, false);
            e.string(&g.group_state, false);
            e.string(&g.protocol_type, false);
            e.string(&g.protocol_data, false);
            e.array_len(Some(g.members.len()), false);
            for m in &g.members {
                e.string(&m.member_id, false);
                if version >= 4 {
                    e.nullable_string(m.group_instance_id.as_deref(), false);
                }
                e.string(&m.client_id, false);
                e.string(&m.client_host, false);
                e.bytes(&m.member_metadata, false);
                e.bytes(&m.member_assignment, false);
            }
            if version >= 3 {
                // Authorized operations not computed (no ACLs): Integer.MIN_VALUE, as Kafka sends.
                e.i32(i32::MIN);
            }
        }
    }
}
