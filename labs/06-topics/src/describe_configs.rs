//! DescribeConfigs (key 32), versions 1 to 4: what `kafka-configs --describe` and
//! `kafka-topics --describe` send to show a topic's settings.
//!
//! ```text
//! request:  resources [resource_type int8 | resource_name string
//!                      | configuration_keys nullable [string]]
//!           | include_synonyms bool | include_documentation bool (v3+)
//! response: throttle_time_ms int32
//!           | results [error_code int16 | error_message nullable string
//!                      | resource_type int8 | resource_name string
//!                      | configs [name string | value nullable string | read_only bool
//!                               | config_source int8 | is_sensitive bool
//!                               | synonyms [name string | value nullable string | source int8]
//!                               | config_type int8 (v3+) | documentation nullable string (v3+)]]
//! v4 is flexible.
//! ```
//!
//! `configuration_keys` null means "every key". The synonyms list where a value comes from,
//! most specific first: a topic's own setting, then the broker's `server.properties` key, then
//! Kafka's default.

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::service::TopicsService;
use crate::wire::{read_array, read_array_of, write_array};

/// `resource_type` values (Kafka's `ConfigResource.Type`).
pub const RESOURCE_TOPIC: i8 = 2;
pub const RESOURCE_BROKER: i8 = 4;

/// `config_source` values (Kafka's `DescribeConfigsResponse.ConfigSource`).
pub mod source {
    pub const TOPIC_CONFIG: i8 = 1;
    pub const STATIC_BROKER_CONFIG: i8 = 4;
    pub const DEFAULT_CONFIG: i8 = 5;
}

/// `config_type` values (v3+).
pub mod config_type {
    pub const BOOLEAN: i8 = 1;
    pub const STRING: i8 = 2;
    pub const INT: i8 = 3;
    pub const LONG: i8 = 5;
    pub const DOUBLE: i8 = 6;
    pub const LIST: i8 = 7;
}

/// From v1, where Kafka 4.0 starts (KIP-896), to v4, the first flexible version.
pub const SPEC: ApiSpec = ApiSpec {
    key: 32,
    name: "DescribeConfigs",
    min: 1,
    max: 4,
    flexible_from: 4,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeConfigsResource {
    pub resource_type: i8,
    pub resource_name: String,
    /// `None`: every key.
    pub configuration_keys: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeConfigsRequest {
    pub resources: Vec<DescribeConfigsResource>,
    pub include_synonyms: bool,
    pub include_documentation: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: i8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribedConfig {
    pub name: String,
    pub value: Option<String>,
    pub read_only: bool,
    pub config_source: i8,
    pub is_sensitive: bool,
    pub synonyms: Vec<ConfigSynonym>,
    pub config_type: i8,
    pub documentation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeConfigsResult {
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
    pub resource_type: i8,
    pub resource_name: String,
    pub configs: Vec<DescribedConfig>,
}

impl DescribeConfigsResult {
    /// The answer to `resource` before it is looked at: no error, no settings yet.
    pub fn empty(resource: &DescribeConfigsResource) -> DescribeConfigsResult {
        DescribeConfigsResult {
            error_code: ErrorCode::None,
            error_message: None,
            resource_type: resource.resource_type,
            resource_name: resource.resource_name.clone(),
            configs: vec![],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeConfigsResponse {
    pub throttle_time_ms: i32,
    pub results: Vec<DescribeConfigsResult>,
}

impl ApiRequest for DescribeConfigsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = DescribeConfigsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<DescribeConfigsRequest> {
        let flexible = version >= 4;
        let resources = read_array(d, flexible, |d| {
            Ok(DescribeConfigsResource {
                resource_type: d.i8()?,
                resource_name: d.string(flexible)?,
                configuration_keys: read_array_of(d, flexible, |d| d.string(flexible))?,
            })
        })?;
        let include_synonyms = d.bool()?;
        let include_documentation = if version >= 3 { d.bool()? } else { false };
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(DescribeConfigsRequest {
            resources,
            include_synonyms,
            include_documentation,
        })
    }
}

impl ApiResponse for DescribeConfigsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 4;
        e.i32(self.throttle_time_ms);
        write_array(e, &self.results, flexible, |e, r| {
            e.i16(r.error_code.code());
            e.nullable_string(r.error_message.as_deref(), flexible);
            e.i8(r.resource_type);
            e.string(&r.resource_name, flexible);
            write_array(e, &r.configs, flexible, |e, c| {
                e.string(&c.name, flexible);
                e.nullable_string(c.value.as_deref(), flexible);
                e.bool(c.read_only);
                e.i8(c.config_source);
                e.bool(c.is_sensitive);
                write_array(e, &c.synonyms, flexible, |e, s| {
                    e.string(&s.name, flexible);
                    e.nullable_string(s.value.as_deref(), flexible);
                    e.i8(s.source);
                });
                if version >= 3 {
                    e.i8(c.config_type);
                    e.nullable_string(c.documentation.as_deref(), flexible);
                }
            });
        });
        e.no_tagged_fields(flexible);
    }
}

pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: DescribeConfigsRequest,
) -> Handled<DescribeConfigsResponse> {
    let broker = service.shared().broker();
    let response = service.admin().describe_configs(&broker, &request);
    Ok(Some(response))
}
