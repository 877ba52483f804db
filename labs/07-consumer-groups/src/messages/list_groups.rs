//! ListGroups (key 16), v0–2: every group this broker coordinates.
//!
//! ```text
//! request:  (empty)
//! response: throttle_time_ms int32 (v1+) | error_code int16 | groups [group_id string | protocol_type string]
//! ```

use lab04_protocol_codec::{Encoder, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListGroupsResponse {
    pub error_code: ErrorCode,
    /// (group_id, protocol_type).
    pub groups: Vec<(String, String)>,
}

impl ListGroupsResponse {
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        e.array_len(Some(self.groups.len()), false);
        for (id, protocol_type) in &self.groups {
            e.string(id, false);
            e.string(protocol_type, false);
        }
    }
}
