//! CreatePartitions (key 37), versions 0 to 2: what `kafka-topics --alter --partitions N` sends.
//!
//! ```text
//! request:  topics [name string | count int32
//!                   | assignments nullable [broker_ids [int32]]]
//!           | timeout_ms int32 | validate_only bool
//! response: throttle_time_ms int32
//!           | results [name string | error_code int16 | error_message nullable string]
//! v1 is v0 (throttling moved); v2 is flexible: compact strings and arrays, tag sections.
//! ```
//!
//! `count` is the new total, not how many to add. `assignments`, when given, places each *new*
//! partition (one list of broker ids per added partition, in order).

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::service::TopicsService;
use crate::wire::{read_array, read_array_of, write_array};

/// Every version Kafka 2.6 has.
pub const SPEC: ApiSpec = ApiSpec {
    key: 37,
    name: "CreatePartitions",
    min: 0,
    max: 2,
    flexible_from: 2,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsTopic {
    pub name: String,
    /// The partition count the topic should have afterwards.
    pub count: i32,
    /// Broker ids for each new partition; `None` lets the broker place them.
    pub assignments: Option<Vec<Vec<i32>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsRequest {
    pub topics: Vec<CreatePartitionsTopic>,
    pub timeout_ms: i32,
    pub validate_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsTopicResult {
    pub name: String,
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePartitionsResponse {
    pub throttle_time_ms: i32,
    pub results: Vec<CreatePartitionsTopicResult>,
}

impl ApiRequest for CreatePartitionsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = CreatePartitionsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<CreatePartitionsRequest> {
        let flexible = version >= 2;
        let topics = read_array(d, flexible, |d| {
            let name = d.string(flexible)?;
            let count = d.i32()?;
            let assignments = match d.array_len(flexible)? {
                None => None,
                Some(n) => Some(
                    (0..n)
                        .map(|_| {
                            let ids = read_array_of(d, flexible, |d| d.i32())?.unwrap_or_default();
                            if flexible {
                                d.skip_tagged_fields()?;
                            }
                            Ok(ids)
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
            };
            Ok(CreatePartitionsTopic {
                name,
                count,
                assignments,
            })
        })?;
        let timeout_ms = d.i32()?;
        let validate_only = d.bool()?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(CreatePartitionsRequest {
            topics,
            timeout_ms,
            validate_only,
        })
    }
}

impl ApiResponse for CreatePartitionsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 2;
        e.i32(self.throttle_time_ms);
        write_array(e, &self.results, flexible, |e, r| {
            e.string(&r.name, flexible);
            e.i16(r.error_code.code());
            e.nullable_string(r.error_message.as_deref(), flexible);
        });
        e.no_tagged_fields(flexible);
    }
}

/// Grows the topics with the broker locked, then the topic settings (always in that order).
pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: CreatePartitionsRequest,
) -> Handled<CreatePartitionsResponse> {
    let mut broker = service.shared().broker();
    let response = service
        .admin()
        .create_partitions(&mut broker, &request, now_ms());
    Ok(Some(response))
}
