//! AlterConfigs (key 33), versions 0 and 1: replace *all* the overrides of a resource. A key
//! the request leaves out loses its override — which is why `kafka-configs` 2.6 uses
//! IncrementalAlterConfigs for topics and keeps this one for brokers.
//!
//! ```text
//! request:  resources [resource_type int8 | resource_name string
//!                      | configs [name string | value nullable string]]
//!           | validate_only bool
//! response: throttle_time_ms int32
//!           | responses [error_code int16 | error_message nullable string
//!                        | resource_type int8 | resource_name string]
//! v1 is v0 (throttling moved). Never flexible in Kafka 2.6.
//! ```

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::service::TopicsService;
use crate::wire::{read_array, write_array};

/// Every version Kafka 2.6 has.
pub const SPEC: ApiSpec = ApiSpec {
    key: 33,
    name: "AlterConfigs",
    min: 0,
    max: 1,
    flexible_from: i16::MAX,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResource {
    pub resource_type: i8,
    pub resource_name: String,
    /// The complete new set of overrides, in request order.
    pub configs: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsRequest {
    pub resources: Vec<AlterConfigsResource>,
    pub validate_only: bool,
}

/// One resource's answer; IncrementalAlterConfigs answers the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResourceResponse {
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
    pub resource_type: i8,
    pub resource_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterConfigsResponse {
    pub throttle_time_ms: i32,
    pub responses: Vec<AlterConfigsResourceResponse>,
}

impl ApiRequest for AlterConfigsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = AlterConfigsResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<AlterConfigsRequest> {
        let resources = read_array(d, false, |d| {
            Ok(AlterConfigsResource {
                resource_type: d.i8()?,
                resource_name: d.string(false)?,
                configs: read_array(d, false, |d| {
                    Ok((d.string(false)?, d.nullable_string(false)?))
                })?,
            })
        })?;
        let validate_only = d.bool()?;
        Ok(AlterConfigsRequest {
            resources,
            validate_only,
        })
    }
}

/// The response body both AlterConfigs and IncrementalAlterConfigs send.
pub fn encode_responses(
    e: &mut Encoder,
    throttle_time_ms: i32,
    responses: &[AlterConfigsResourceResponse],
    flexible: bool,
) {
    e.i32(throttle_time_ms);
    write_array(e, responses, flexible, |e, r| {
        e.i16(r.error_code.code());
        e.nullable_string(r.error_message.as_deref(), flexible);
        e.i8(r.resource_type);
        e.string(&r.resource_name, flexible);
    });
    e.no_tagged_fields(flexible);
}

impl ApiResponse for AlterConfigsResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        encode_responses(e, self.throttle_time_ms, &self.responses, false);
    }
}

pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: AlterConfigsRequest,
) -> Handled<AlterConfigsResponse> {
    let mut broker = service.shared().broker();
    let response = service.admin().alter_configs(&mut broker, &request);
    Ok(Some(response))
}
