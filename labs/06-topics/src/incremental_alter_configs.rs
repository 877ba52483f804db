//! IncrementalAlterConfigs (key 44), versions 0 and 1: change single keys of a resource and
//! leave the others as they are (KIP-339). What `kafka-configs --alter --add-config` and
//! `--delete-config` send for a topic since Kafka 2.3.
//!
//! ```text
//! request:  resources [resource_type int8 | resource_name string
//!                      | configs [name string | config_operation int8
//!                                 | value nullable string]]
//!           | validate_only bool
//! response: the same as AlterConfigs'
//! v1 is flexible.
//! ```
//!
//! `config_operation`: 0 SET, 1 DELETE (back to the broker's value), 2 APPEND and 3 SUBTRACT
//! (add or remove items of a list setting such as `cleanup.policy`).

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};
use lab05_broker::{Handled, RequestContext};

use crate::alter_configs::{encode_responses, AlterConfigsResourceResponse};
use crate::service::TopicsService;
use crate::wire::read_array;

/// Every version Kafka 2.6 has.
pub const SPEC: ApiSpec = ApiSpec {
    key: 44,
    name: "IncrementalAlterConfigs",
    min: 0,
    max: 1,
    flexible_from: 1,
};

/// `config_operation` values (Kafka's `AlterConfigOp.OpType`).
pub mod op {
    pub const SET: i8 = 0;
    pub const DELETE: i8 = 1;
    pub const APPEND: i8 = 2;
    pub const SUBTRACT: i8 = 3;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterableConfig {
    pub name: String,
    pub operation: i8,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalAlterResource {
    pub resource_type: i8,
    pub resource_name: String,
    pub configs: Vec<AlterableConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalAlterConfigsRequest {
    pub resources: Vec<IncrementalAlterResource>,
    pub validate_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncrementalAlterConfigsResponse {
    pub throttle_time_ms: i32,
    pub responses: Vec<AlterConfigsResourceResponse>,
}

impl ApiRequest for IncrementalAlterConfigsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = IncrementalAlterConfigsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<IncrementalAlterConfigsRequest> {
        let flexible = version >= 1;
        let resources = read_array(d, flexible, |d| {
            Ok(IncrementalAlterResource {
                resource_type: d.i8()?,
                resource_name: d.string(flexible)?,
                configs: read_array(d, flexible, |d| {
                    Ok(AlterableConfig {
                        name: d.string(flexible)?,
                        operation: d.i8()?,
                        value: d.nullable_string(flexible)?,
                    })
                })?,
            })
        })?;
        let validate_only = d.bool()?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(IncrementalAlterConfigsRequest {
            resources,
            validate_only,
        })
    }
}

impl ApiResponse for IncrementalAlterConfigsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        encode_responses(e, self.throttle_time_ms, &self.responses, version >= 1);
    }
}

pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: IncrementalAlterConfigsRequest,
) -> Handled<IncrementalAlterConfigsResponse> {
    let mut broker = service.shared().broker();
    let response = service
        .admin()
        .incremental_alter_configs(&mut broker, &request);
    Ok(Some(response))
}
