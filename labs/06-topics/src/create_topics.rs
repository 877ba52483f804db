//! CreateTopics (key 19), versions 2 to 5: what `kafka-topics --create` sends.
//!
//! ```text
//! request:  topics [name string | num_partitions int32 | replication_factor int16
//!                   | assignments [partition_index int32 | broker_ids [int32]]
//!                   | configs [name string | value nullable string]]
//!           | timeout_ms int32 | validate_only bool
//! response: throttle_time_ms int32
//!           | topics [name string | error_code int16 | error_message nullable string
//!                     | num_partitions int32 (v5+) | replication_factor int16 (v5+)
//!                     | configs nullable [name | value nullable | read_only bool
//!                                        | config_source int8 | is_sensitive bool] (v5+)]
//! v5 is flexible: compact strings and arrays, a tag section after every struct.
//! ```
//!
//! `num_partitions` and `replication_factor` may be −1 (v4+): "use the broker's default", so
//! an operator can leave them out. `validate_only` asks "would this work?" without creating.

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::service::TopicsService;
use crate::wire::{read_array, read_array_of, write_array};

/// From v2, where Kafka 4.0 starts (KIP-896), to v5, before topic ids (v7).
pub const SPEC: ApiSpec = ApiSpec {
    key: 19,
    name: "CreateTopics",
    min: 2,
    max: 5,
    flexible_from: 5,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatableTopic {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i16,
    /// Manual placement (`--replica-assignment`): partition → broker ids.
    pub assignments: Vec<(i32, Vec<i32>)>,
    /// Topic-level settings (`--config retention.ms=…`), in request order.
    pub configs: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicsRequest {
    pub topics: Vec<CreatableTopic>,
    pub timeout_ms: i32,
    pub validate_only: bool,
}

/// One effective setting of a created topic (v5+), as DescribeConfigs would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedConfig {
    pub name: String,
    pub value: Option<String>,
    pub read_only: bool,
    pub config_source: i8,
    pub is_sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatableTopicResult {
    pub name: String,
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
    pub num_partitions: i32,
    pub replication_factor: i16,
    pub configs: Vec<CreatedConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTopicsResponse {
    pub throttle_time_ms: i32,
    pub topics: Vec<CreatableTopicResult>,
}

impl ApiRequest for CreateTopicsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = CreateTopicsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<CreateTopicsRequest> {
        let flexible = version >= 5;
        let topics = read_array(d, flexible, |d| {
            let name = d.string(flexible)?;
            let num_partitions = d.i32()?;
            let replication_factor = d.i16()?;
            let assignments = read_array(d, flexible, |d| {
                let partition = d.i32()?;
                let brokers = read_array_of(d, flexible, |d| d.i32())?.unwrap_or_default();
                Ok((partition, brokers))
            })?;
            let configs = read_array(d, flexible, |d| {
                Ok((d.string(flexible)?, d.nullable_string(flexible)?))
            })?;
            Ok(CreatableTopic {
                name,
                num_partitions,
                replication_factor,
                assignments,
                configs,
            })
        })?;
        let timeout_ms = d.i32()?;
        let validate_only = d.bool()?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(CreateTopicsRequest {
            topics,
            timeout_ms,
            validate_only,
        })
    }
}

impl ApiResponse for CreateTopicsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 5;
        e.i32(self.throttle_time_ms);
        write_array(e, &self.topics, flexible, |e, t| {
            e.string(&t.name, flexible);
            e.i16(t.error_code.code());
            e.nullable_string(t.error_message.as_deref(), flexible);
            if version >= 5 {
                e.i32(t.num_partitions);
                e.i16(t.replication_factor);
                write_array(e, &t.configs, flexible, |e, c| {
                    e.string(&c.name, flexible);
                    e.nullable_string(c.value.as_deref(), flexible);
                    e.bool(c.read_only);
                    e.i8(c.config_source);
                    e.bool(c.is_sensitive);
                });
            }
        });
        e.no_tagged_fields(flexible);
    }
}

/// Creates the topics with the broker locked, then the topic settings (always in that order).
pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: CreateTopicsRequest,
) -> Handled<CreateTopicsResponse> {
    let mut broker = service.shared().broker();
    let response = service
        .admin()
        .create_topics(&mut broker, &request, now_ms());
    Ok(Some(response))
}
