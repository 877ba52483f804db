//! LeaveGroup (key 13), v0–3.
//!
//! ```text
//! request v0–2: group_id string | member_id string
//! request v3:   group_id string | members [member_id string | group_instance_id nullable string]
//! response:     throttle_time_ms int32 (v1+) | error_code int16
//!               | members (v3+) [member_id string | group_instance_id nullable string | error_code int16]
//! ```
//! v3 (KIP-345) lets one request remove several members.

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::service::GroupService;

use super::array;

/// v0–3: the last versions before LeaveGroup became flexible (v4).
pub const SPEC: ApiSpec = ApiSpec {
    key: 13,
    name: "LeaveGroup",
    min: 0,
    max: 3,
    flexible_from: 4,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveGroupRequest {
    pub group_id: String,
    /// (member_id, group_instance_id); one member before v3.
    pub members: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveGroupResponse {
    pub error_code: ErrorCode,
    /// v3+: each member's outcome.
    pub members: Vec<(String, Option<String>, ErrorCode)>,
}

impl ApiRequest for LeaveGroupRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = LeaveGroupResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let group_id = d.string(false)?;
        let members = if version >= 3 {
            array(d, |d| Ok((d.string(false)?, d.nullable_string(false)?)))?
        } else {
            vec![(d.string(false)?, None)]
        };
        Ok(LeaveGroupRequest { group_id, members })
    }
}

impl ApiResponse for LeaveGroupResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        if version >= 3 {
            e.array_len(Some(self.members.len()), false);
            for (member_id, instance, code) in &self.members {
                e.string(member_id, false);
                e.nullable_string(instance.as_deref(), false);
                e.i16(code.code());
            }
        }
    }
}

pub async fn handle(
    service: Arc<GroupService>,
    ctx: RequestContext,
    r: LeaveGroupRequest,
) -> Handled<LeaveGroupResponse> {
    let mut members = Vec::new();
    for (member_id, instance) in &r.members {
        let (code, replies) = service.state().coordinator.leave(
            &r.group_id,
            member_id,
            instance.as_deref(),
            now_ms(),
        );
        service.deliver(replies);
        members.push((member_id.clone(), instance.clone(), code));
    }
    // Before v3 the one member's error is the response's error.
    let error_code = if ctx.header.api_version < 3 {
        members.first().map_or(ErrorCode::None, |m| m.2)
    } else {
        ErrorCode::None
    };
    Ok(Some(LeaveGroupResponse {
        error_code,
        members,
    }))
}
