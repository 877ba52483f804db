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

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::group::{Group, GroupState};
use crate::service::GroupService;

use super::array;

/// v0–4: the last versions before DescribeGroups became flexible (v5).
pub const SPEC: ApiSpec = ApiSpec {
    key: 15,
    name: "DescribeGroups",
    min: 0,
    max: 4,
    flexible_from: 5,
};

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

impl ApiRequest for DescribeGroupsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = DescribeGroupsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let groups = array(d, |d| d.string(false))?;
        let include_authorized_operations = if version >= 3 { d.bool()? } else { false };
        Ok(DescribeGroupsRequest {
            groups,
            include_authorized_operations,
        })
    }
}

impl ApiResponse for DescribeGroupsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
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

/// One group as `kafka-consumer-groups --describe` shows it.
fn describe(id: &str, group: Option<&Group>) -> DescribedGroup {
    let Some(g) = group else {
        // Kafka describes an unknown group as Dead, without an error.
        return DescribedGroup {
            error_code: ErrorCode::None,
            group_id: id.to_string(),
            group_state: "Dead".into(),
            protocol_type: String::new(),
            protocol_data: String::new(),
            members: vec![],
        };
    };
    let protocol = g.protocol_name.clone().unwrap_or_default();
    let settled = matches!(
        g.state,
        GroupState::Stable | GroupState::CompletingRebalance
    );
    DescribedGroup {
        error_code: ErrorCode::None,
        group_id: id.to_string(),
        group_state: g.state.name().into(),
        protocol_type: g.protocol_type.clone().unwrap_or_default(),
        protocol_data: if settled {
            protocol.clone()
        } else {
            String::new()
        },
        members: g
            .members
            .values()
            .map(|m| DescribedMember {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                member_metadata: m.metadata(&protocol),
                member_assignment: m.assignment.clone(),
            })
            .collect(),
    }
}

pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: DescribeGroupsRequest,
) -> Handled<DescribeGroupsResponse> {
    let state = service.state();
    let groups = r
        .groups
        .iter()
        .map(|id| describe(id, state.coordinator.group(id)))
        .collect();
    Ok(Some(DescribeGroupsResponse { groups }))
}
