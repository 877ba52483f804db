//! DeleteGroups (key 42), v0–1: remove empty groups and their committed offsets.
//!
//! ```text
//! request:  groups_names [string]
//! response: throttle_time_ms int32 | results [group_id string | error_code int16]
//! ```

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::service::GroupService;

use super::array;

/// v0–1: the last versions before DeleteGroups became flexible (v2).
pub const SPEC: ApiSpec = ApiSpec {
    key: 42,
    name: "DeleteGroups",
    min: 0,
    max: 1,
    flexible_from: 2,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteGroupsRequest {
    pub groups_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteGroupsResponse {
    pub results: Vec<(String, ErrorCode)>,
}

impl ApiRequest for DeleteGroupsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = DeleteGroupsResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<Self> {
        Ok(DeleteGroupsRequest {
            groups_names: array(d, |d| d.string(false))?,
        })
    }
}

impl ApiResponse for DeleteGroupsResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        e.i32(0);
        e.array_len(Some(self.results.len()), false);
        for (id, code) in &self.results {
            e.string(id, false);
            e.i16(code.code());
        }
    }
}

/// Removes each group (only an empty one: NON_EMPTY_GROUP otherwise) and its committed
/// offsets.
pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: DeleteGroupsRequest,
) -> Handled<DeleteGroupsResponse> {
    let mut results = Vec::new();
    for group in &r.groups_names {
        let mut broker = service.shared().broker();
        let mut state = service.state();
        let mut code = state.coordinator.delete(group);
        if code == ErrorCode::None {
            code = state.groups.delete_group(&mut broker, group);
        }
        results.push((group.clone(), code));
    }
    Ok(Some(DeleteGroupsResponse { results }))
}
