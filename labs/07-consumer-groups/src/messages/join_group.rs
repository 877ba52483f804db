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

use std::sync::Arc;
use std::time::Duration;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::coordinator::{JoinRequest, Reply};
use crate::service::GroupService;

use super::{array, bytes};

/// v0–5: the last versions before JoinGroup became flexible (v6).
pub const SPEC: ApiSpec = ApiSpec {
    key: 11,
    name: "JoinGroup",
    min: 0,
    max: 5,
    flexible_from: 6,
};

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

impl ApiRequest for JoinGroupRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = JoinGroupResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
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

impl ApiResponse for JoinGroupResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
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

/// Hands the join to the coordinator and waits for its reply: at once for a member that needs
/// an id, or when the rebalance completes (up to the rebalance timeout and 5 s more).
pub async fn handle(
    service: Arc<GroupService>,
    ctx: RequestContext,
    r: JoinGroupRequest,
) -> Handled<JoinGroupResponse> {
    let (ticket, rx) = service.ticket();
    let limit = Duration::from_millis(r.rebalance_timeout_ms.max(0) as u64 + 5_000);
    let peer = ctx.peer.as_str();
    let request = JoinRequest {
        group_id: r.group_id.clone(),
        member_id: r.member_id.clone(),
        group_instance_id: r.group_instance_id.clone(),
        client_id: ctx.header.client_id.clone().unwrap_or_default(),
        client_host: format!("/{}", peer.rsplit_once(':').map_or(peer, |(h, _)| h)),
        session_timeout_ms: r.session_timeout_ms,
        rebalance_timeout_ms: r.rebalance_timeout_ms,
        protocol_type: r.protocol_type.clone(),
        protocols: r.protocols.clone(),
        // Static members are not asked to join twice: their instance id already names them
        // (Kafka asks only dynamic members for MEMBER_ID_REQUIRED).
        require_known_member_id: ctx.header.api_version >= 4 && r.group_instance_id.is_none(),
    };
    let replies = service.state().coordinator.join(ticket, request, now_ms());
    service.deliver(replies);
    let response = match service.wait(ticket, rx, limit).await {
        Some(Reply::Join(_, j)) => JoinGroupResponse {
            error_code: j.error_code,
            generation_id: j.generation_id,
            protocol_name: j.protocol_name,
            leader: j.leader_id,
            member_id: j.member_id,
            members: j.members,
        },
        _ => JoinGroupResponse {
            error_code: ErrorCode::RebalanceInProgress,
            generation_id: -1,
            protocol_name: String::new(),
            leader: String::new(),
            member_id: r.member_id,
            members: vec![],
        },
    };
    Ok(Some(response))
}
