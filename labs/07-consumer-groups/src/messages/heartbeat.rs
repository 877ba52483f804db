//! Heartbeat (key 12), v0–3.
//!
//! ```text
//! request:  group_id string | generation_id int32 | member_id string
//!           | group_instance_id nullable string (v3+)
//! response: throttle_time_ms int32 (v1+) | error_code int16
//! ```

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::service::GroupService;

/// v0–3: the last versions before Heartbeat became flexible (v4).
pub const SPEC: ApiSpec = ApiSpec {
    key: 12,
    name: "Heartbeat",
    min: 0,
    max: 3,
    flexible_from: 4,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatResponse {
    pub error_code: ErrorCode,
}

impl ApiRequest for HeartbeatRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = HeartbeatResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        Ok(HeartbeatRequest {
            group_id: d.string(false)?,
            generation_id: d.i32()?,
            member_id: d.string(false)?,
            group_instance_id: if version >= 3 {
                d.nullable_string(false)?
            } else {
                None
            },
        })
    }
}

impl ApiResponse for HeartbeatResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
    }
}

pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: HeartbeatRequest,
) -> Handled<HeartbeatResponse> {
    let code = service.state().coordinator.heartbeat(
        &r.group_id,
        r.generation_id,
        &r.member_id,
        r.group_instance_id.as_deref(),
        now_ms(),
    );
    Ok(Some(HeartbeatResponse { error_code: code }))
}
