//! DeleteRecords (key 21), versions 0 to 2: what `kafka-delete-records` and
//! `AdminClient.deleteRecords` send to drop a partition's records below an offset.
//!
//! ```text
//! request:  topics [name string | partitions [partition_index int32 | offset int64]]
//!           | timeout_ms int32
//! response: throttle_time_ms int32
//!           | topics [name string | partitions [partition_index int32 | low_watermark int64
//!                                               | error_code int16]]
//! v1 is v0 (throttling moved); v2 is flexible.
//! ```
//!
//! `offset` −1 means "up to the high watermark": everything committed so far. The answer's
//! `low_watermark` is the partition's new log start offset, the first offset a consumer can
//! still read.

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::service::TopicsService;
use crate::wire::{read_array, write_array};

/// Every version Kafka 2.6 has.
pub const SPEC: ApiSpec = ApiSpec {
    key: 21,
    name: "DeleteRecords",
    min: 0,
    max: 2,
    flexible_from: 2,
};

/// The `offset` that means the partition's high watermark.
pub const HIGH_WATERMARK: i64 = -1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRecordsTopic {
    pub name: String,
    /// (partition index, delete records below this offset)
    pub partitions: Vec<(i32, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRecordsRequest {
    pub topics: Vec<DeleteRecordsTopic>,
    pub timeout_ms: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRecordsPartitionResult {
    pub partition_index: i32,
    /// The new log start offset; −1 with an error.
    pub low_watermark: i64,
    pub error_code: ErrorCode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRecordsTopicResult {
    pub name: String,
    pub partitions: Vec<DeleteRecordsPartitionResult>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRecordsResponse {
    pub throttle_time_ms: i32,
    pub topics: Vec<DeleteRecordsTopicResult>,
}

impl ApiRequest for DeleteRecordsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = DeleteRecordsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<DeleteRecordsRequest> {
        let flexible = version >= 2;
        let topics = read_array(d, flexible, |d| {
            Ok(DeleteRecordsTopic {
                name: d.string(flexible)?,
                partitions: read_array(d, flexible, |d| Ok((d.i32()?, d.i64()?)))?,
            })
        })?;
        let timeout_ms = d.i32()?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(DeleteRecordsRequest { topics, timeout_ms })
    }
}

impl ApiResponse for DeleteRecordsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 2;
        e.i32(self.throttle_time_ms);
        write_array(e, &self.topics, flexible, |e, t| {
            e.string(&t.name, flexible);
            write_array(e, &t.partitions, flexible, |e, p| {
                e.i32(p.partition_index);
                e.i64(p.low_watermark);
                e.i16(p.error_code.code());
            });
        });
        e.no_tagged_fields(flexible);
    }
}

pub async fn handle(
    service: Arc<TopicsService>,
    _ctx: RequestContext,
    request: DeleteRecordsRequest,
) -> Handled<DeleteRecordsResponse> {
    let mut broker = service.shared().broker();
    let response = service.admin().delete_records(&mut broker, &request);
    Ok(Some(response))
}
