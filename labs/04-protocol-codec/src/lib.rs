//! # Lab 04 — the Kafka protocol codec
//!
//! Producers, consumers and brokers talk one binary protocol over TCP: size-prefixed frames,
//! each a header (which API, which version, a correlation id) and a body. This lab reads and
//! writes those bytes exactly as Kafka's clients do — no I/O, just bytes in and bytes out, so
//! everything is testable against bytes captured from real clients.
//!
//! # Layout
//! - `frame` — step 1: the 4-byte size prefix; is a whole request there yet? Start here.
//! - `types` — step 2: int16/32/64, strings, arrays, their compact forms, tagged fields.
//! - `header` — step 3: request headers v1/v2, response headers v0/v1.
//! - `api_key` — given: the APIs and versions the broker supports, and which are flexible.
//! - `api_versions` — step 4: ApiVersions, and the UNSUPPORTED_VERSION answer.
//! - `metadata` — step 5: Metadata, versions 0 to 9.
//! - `produce` — step 6: Produce, versions 3 to 8; `init_producer_id` — the id an idempotent
//!   producer asks for first.
//! - `fetch` — step 7: Fetch, versions 4 to 11.
//! - `list_offsets` — step 8: ListOffsets, versions 1 to 5.
//! - `request` — given: decoding a whole request and framing a response.
//! - `error_code`, `error` — Kafka's error codes; this crate's error type.

pub mod api_key;
pub mod api_versions;
pub mod error;
pub mod error_code;
pub mod fetch;
pub mod frame;
pub mod header;
pub mod init_producer_id;
pub mod list_offsets;
pub mod metadata;
pub mod produce;
pub mod request;
pub mod types;

pub use api_key::{supported_versions, version_ranges, ApiKey, VersionRange};
pub use api_versions::{ApiVersionsRequest, ApiVersionsResponse};
pub use error::{Error, Result};
pub use error_code::ErrorCode;
pub use fetch::{
    FetchPartition, FetchPartitionResponse, FetchRequest, FetchResponse, FetchTopic,
    FetchTopicResponse,
};
pub use header::RequestHeader;
pub use init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
pub use list_offsets::{
    ListOffsetsPartition, ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse,
    ListOffsetsTopic, ListOffsetsTopicResponse, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
};
pub use metadata::{
    MetadataBroker, MetadataPartition, MetadataRequest, MetadataResponse, MetadataTopic,
};
pub use produce::{
    ProducePartition, ProducePartitionResponse, ProduceRequest, ProduceResponse, ProduceTopic,
    ProduceTopicResponse,
};
pub use request::{decode_request, encode_response, unsupported_response, Request, RequestBody};
pub use types::{Decoder, Encoder};
