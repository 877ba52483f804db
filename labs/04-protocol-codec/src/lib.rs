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
//! - `api` — given: [`ApiSpec`] (an API's key, name, versions, first flexible version), the
//!   [`ApiRegistry`] of what a broker answers, and the [`ApiRequest`]/[`ApiResponse`] traits
//!   every message implements. Later labs register their own APIs; they never edit lab 04.
//! - `api_versions` — step 4: ApiVersions, and the UNSUPPORTED_VERSION answer.
//! - `metadata` — step 5: Metadata, versions 0 to 9.
//! - `produce` — step 6: Produce, versions 3 to 8; `init_producer_id` — the id an idempotent
//!   producer asks for first.
//! - `fetch` — step 7: Fetch, versions 4 to 11.
//! - `list_offsets` — step 8: ListOffsets, versions 1 to 5.
//! - `request` — given: the header first, then the typed body; framing a response.
//! - `error_code`, `error` — Kafka's error codes; this crate's error type.
//!
//! Every message file has the same shape: the API's `SPEC`, the request and response types, the
//! request's `decode` and the response's `encode`.

pub mod api;
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

pub use api::{ApiRegistry, ApiRequest, ApiResponse, ApiSpec, VersionRange};
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
pub use request::{decode_request, encode_response, respond, unsupported_response, Request};
pub use types::{Decoder, Encoder};

/// Lab 04's APIs, in the order ApiVersions lists them. The version ranges are chosen for the
/// clients the labs serve: librdkafka (kcat 2.0.2, confluent-kafka 2.16) and the Java clients
/// take the highest common version; kafka-python guesses the broker's release from the ranges
/// it sees.
pub const CORE_APIS: [ApiSpec; 6] = [
    produce::SPEC,
    fetch::SPEC,
    list_offsets::SPEC,
    metadata::SPEC,
    api_versions::SPEC,
    init_producer_id::SPEC,
];

/// What lab 05's broker reports in ApiVersions on its own: the ranges of [`CORE_APIS`].
pub fn supported_versions() -> Vec<VersionRange> {
    ApiRegistry::core().ranges()
}
