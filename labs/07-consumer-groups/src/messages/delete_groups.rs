//! DeleteGroups (key 42), v0–1: remove empty groups and their committed offsets.
//!
//! ```text
//! request:  groups_names [string]
//! response: throttle_time_ms int32 | results [group_id string | error_code int16]
//! ```

use lab04_protocol_codec::{Decoder, Encoder, ErrorCode, Result};

use super::array;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteGroupsRequest {
    pub groups_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteGroupsResponse {
    pub results: Vec<(String, ErrorCode)>,
}

impl DeleteGroupsRequest {
    pub fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<Self> {
        Ok(DeleteGroupsRequest {
            groups_names: array(d, |d| d.string(false))?,
        })
    }
}

impl DeleteGroupsResponse {
    pub fn encode(&self, e: &mut Encoder, _version: i16) {
        e.i32(0);
        e.array_len(Some(self.results.len()), false);
        for (id, code) in &self.results {
            e.string(id, false);
            e.i16(code.code());
        }
    }
}
