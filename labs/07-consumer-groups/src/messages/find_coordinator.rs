//! FindCoordinator (key 10), v0–2: "which broker coordinates group G?" — asked before any
//! other group request, since only that broker answers them.
//!
//! ```text
//! request:  key string | key_type int8 (v1+: 0 group, 1 transaction)
//! response: throttle_time_ms int32 (v1+) | error_code int16 | error_message nullable string (v1+)
//!           | node_id int32 | host string | port int32
//! ```

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::group_metadata_manager::ensure_offsets_topic;
use crate::service::GroupService;

/// v0–2: the last versions before FindCoordinator became flexible (v3).
pub const SPEC: ApiSpec = ApiSpec {
    key: 10,
    name: "FindCoordinator",
    min: 0,
    max: 2,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindCoordinatorRequest {
    pub key: String,
    pub key_type: i8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindCoordinatorResponse {
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
    pub node_id: i32,
    pub host: String,
    pub port: i32,
}

impl ApiRequest for FindCoordinatorRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = FindCoordinatorResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let key = d.string(false)?;
        let key_type = if version >= 1 { d.i8()? } else { 0 };
        Ok(FindCoordinatorRequest { key, key_type })
    }
}

impl ApiResponse for FindCoordinatorResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        if version >= 1 {
            e.nullable_string(self.error_message.as_deref(), false);
        }
        e.i32(self.node_id);
        e.string(&self.host, false);
        e.i32(self.port);
    }
}

/// One broker coordinates every group (lab 11 picks the leader of the group's
/// `__consumer_offsets` partition). The offsets topic is created on the first ask.
pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: FindCoordinatorRequest,
) -> Handled<FindCoordinatorResponse> {
    let mut broker = service.shared().broker();
    let refused = |reason: String| FindCoordinatorResponse {
        error_code: ErrorCode::CoordinatorNotAvailable,
        error_message: Some(reason),
        node_id: -1,
        host: String::new(),
        port: -1,
    };
    if r.key_type != 0 {
        return Ok(Some(refused(
            "this broker has no transaction coordinator".into(),
        )));
    }
    if let Err(e) = ensure_offsets_topic(&mut broker) {
        return Ok(Some(refused(e)));
    }
    let config = broker.config();
    let (host, port) = config.advertised_here();
    Ok(Some(FindCoordinatorResponse {
        error_code: ErrorCode::None,
        error_message: None,
        node_id: config.broker_id,
        host,
        port: i32::from(port),
    }))
}
