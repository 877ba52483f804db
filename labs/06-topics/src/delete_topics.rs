//! DeleteTopics (key 20), versions 1 to 5: what `kafka-topics --delete` sends.
//!
//! ```text
//! request:  topic_names [string] | timeout_ms int32
//! response: throttle_time_ms int32
//!           | responses [name string | error_code int16 | error_message nullable string (v5+)]
//! v4+ is flexible. (v6 names topics by id as well, which this course does not have.)
//! ```

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::service::TopicsService;
use crate::wire::{read_array_of, write_array};

/// From v1, where Kafka 4.0 starts (KIP-896), to v5, before topic ids (v6).
pub const SPEC: ApiSpec = ApiSpec {
    key: 20,
    name: "DeleteTopics",
    min: 1,
    max: 5,
    flexible_from: 4,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTopicsRequest {
    pub topic_names: Vec<String>,
    pub timeout_ms: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletableTopicResult {
    pub name: String,
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteTopicsResponse {
    pub throttle_time_ms: i32,
    pub responses: Vec<DeletableTopicResult>,
}

impl ApiRequest for DeleteTopicsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = DeleteTopicsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<DeleteTopicsRequest> {
        let flexible = version >= 4;
        let topic_names = read_array_of(d, flexible, |d| d.string(flexible))?.unwrap_or_default();
        let timeout_ms = d.i32()?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(DeleteTopicsRequest {
            topic_names,
            timeout_ms,
        })
    }
}

impl ApiResponse for DeleteTopicsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 4;
        e.i32(self.throttle_time_ms);
        write_array(e, &self.responses, flexible, |e, r| {
            e.string(&r.name, flexible);
            e.i16(r.error_code.code());
            if version >= 5 {
                e.nullable_string(r.error_message.as_deref(), flexible);
            }
        });
        e.no_tagged_fields(flexible);
    }
}

pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: DeleteTopicsRequest,
) -> Handled<DeleteTopicsResponse> {
    let mut broker = service.shared().broker();
    let response = service.admin().delete_topics(&mut broker, &request);
    Ok(Some(response))
}
