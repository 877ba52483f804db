//! ListGroups (key 16), v0–2: every group this broker coordinates.
//!
//! ```text
//! request:  (empty)
//! response: throttle_time_ms int32 (v1+) | error_code int16 | groups [group_id string | protocol_type string]
//! ```

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::service::GroupService;

/// v0–2 have no fields (v4 adds a filter by state).
/// v0–2: the last versions before ListGroups became flexible (v3).
pub const SPEC: ApiSpec = ApiSpec {
    key: 16,
    name: "ListGroups",
    min: 0,
    max: 2,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListGroupsRequest {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListGroupsResponse {
    pub error_code: ErrorCode,
    /// (group_id, protocol_type).
    pub groups: Vec<(String, String)>,
}

impl ApiRequest for ListGroupsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = ListGroupsResponse;

    fn decode(_d: &mut Decoder<'_>, _version: i16) -> Result<Self> {
        Ok(ListGroupsRequest {})
    }
}

impl ApiResponse for ListGroupsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
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

pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    _r: ListGroupsRequest,
) -> Handled<ListGroupsResponse> {
    let state = service.state();
    let groups = state
        .coordinator
        .groups()
        .map(|g| {
            let protocol_type = g.protocol_type.clone().unwrap_or_else(|| "consumer".into());
            (g.group_id.clone(), protocol_type)
        })
        .collect();
    Ok(Some(ListGroupsResponse {
        error_code: ErrorCode::None,
        groups,
    }))
}
