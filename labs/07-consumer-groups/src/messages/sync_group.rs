//! SyncGroup (key 14), v0–3.
//!
//! ```text
//! request:  group_id string | generation_id int32 | member_id string
//!           | group_instance_id nullable string (v3+) | assignments [member_id string | assignment bytes]
//! response: throttle_time_ms int32 (v1+) | error_code int16 | assignment bytes
//! ```

use std::sync::Arc;
use std::time::Duration;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::coordinator::Reply;
use crate::service::GroupService;

use super::{array, bytes};

/// v0–3: the last versions before SyncGroup became flexible (v4).
pub const SPEC: ApiSpec = ApiSpec {
    key: 14,
    name: "SyncGroup",
    min: 0,
    max: 3,
    flexible_from: 4,
};

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

impl ApiRequest for SyncGroupRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = SyncGroupResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
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

impl ApiResponse for SyncGroupResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        e.bytes(&self.assignment, false);
    }
}

/// Hands the sync to the coordinator and waits: a follower until the leader's assignment
/// arrives (up to the group's rebalance timeout and 5 s more).
pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: SyncGroupRequest,
) -> Handled<SyncGroupResponse> {
    let (ticket, rx) = service.ticket();
    let (replies, limit) = {
        let mut state = service.state();
        let timeout = state
            .coordinator
            .group(&r.group_id)
            .map_or(0, |g| g.rebalance_timeout_ms());
        let replies = state.coordinator.sync(
            ticket,
            &r.group_id,
            r.generation_id,
            &r.member_id,
            r.group_instance_id.as_deref(),
            r.assignments,
            now_ms(),
        );
        (
            replies,
            Duration::from_millis(timeout.max(0) as u64 + 5_000),
        )
    };
    service.deliver(replies);
    let response = match service.wait(ticket, rx, limit).await {
        Some(Reply::Sync(_, code, assignment)) => SyncGroupResponse {
            error_code: code,
            assignment,
        },
        _ => SyncGroupResponse {
            error_code: ErrorCode::RebalanceInProgress,
            assignment: vec![],
        },
    };
    Ok(Some(response))
}
