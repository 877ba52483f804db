//! Reading a whole request frame: the header says which API and version, and that picks the
//! body decoder. One `match`, like a broker's request dispatcher.

use crate::api_key::ApiKey;
use crate::api_versions::{ApiVersionsRequest, ApiVersionsResponse};
use crate::error::Result;
use crate::fetch::FetchRequest;
use crate::frame::frame;
use crate::header::RequestHeader;
use crate::init_producer_id::InitProducerIdRequest;
use crate::list_offsets::ListOffsetsRequest;
use crate::metadata::MetadataRequest;
use crate::produce::ProduceRequest;
use crate::types::{Decoder, Encoder};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestBody {
    ApiVersions(ApiVersionsRequest),
    Metadata(MetadataRequest),
    /// A key this broker does not know, or a version outside its range. The broker answers an
    /// ApiVersions with [`ApiVersionsResponse::unsupported_version`]; for any other API it
    /// cannot even parse the body, so it closes the connection, as Kafka does.
    Unsupported,
    Produce(ProduceRequest),
    Fetch(FetchRequest),
    ListOffsets(ListOffsetsRequest),
    InitProducerId(InitProducerIdRequest),
    /// An API of a later lab (see [`ApiKey::CORE`]): the header is read, the body bytes are
    /// left for the lab that answers it.
    Later(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub header: RequestHeader,
    pub body: RequestBody,
}

/// Decodes one request from a frame's bytes (without the 4-byte size).
pub fn decode_request(bytes: &[u8]) -> Result<Request> {
    let mut d = Decoder::new(bytes);
    let header = RequestHeader::decode(&mut d)?;
    let version = header.api_version;
    let body = match ApiKey::from_code(header.api_key) {
        Some(key) if key.supports(version) => match key {
            ApiKey::ApiVersions => {
                RequestBody::ApiVersions(ApiVersionsRequest::decode(&mut d, version)?)
            }
            ApiKey::Metadata => RequestBody::Metadata(MetadataRequest::decode(&mut d, version)?),
            ApiKey::Produce => RequestBody::Produce(ProduceRequest::decode(&mut d, version)?),
            ApiKey::Fetch => RequestBody::Fetch(FetchRequest::decode(&mut d, version)?),
            ApiKey::InitProducerId => {
                RequestBody::InitProducerId(InitProducerIdRequest::decode(&mut d, version)?)
            }
            ApiKey::ListOffsets => {
                RequestBody::ListOffsets(ListOffsetsRequest::decode(&mut d, version)?)
            }
            ApiKey::CreateTopics
            | ApiKey::DeleteTopics
            | ApiKey::DescribeConfigs
            | ApiKey::OffsetCommit
            | ApiKey::OffsetFetch
            | ApiKey::FindCoordinator
            | ApiKey::JoinGroup
            | ApiKey::Heartbeat
            | ApiKey::LeaveGroup
            | ApiKey::SyncGroup
            | ApiKey::DescribeGroups
            | ApiKey::ListGroups
            | ApiKey::DeleteGroups => {
                let body = d.take(d.remaining(), "the request body")?.to_vec();
                RequestBody::Later(body)
            }
        },
        _ => {
            return Ok(Request {
                header,
                body: RequestBody::Unsupported,
            })
        }
    };
    // Like Kafka, ignore bytes after the last field instead of refusing the request. Kafka's
    // generated readers never check for leftovers, and real clients rely on it: librdkafka
    // 2.x sends its Metadata v9+ "all topics" request with a 4-byte count where a 1-byte
    // compact count belongs, which Kafka reads as null topics plus an empty tag and one
    // ignored byte. The message decoders themselves stay exact (see `Decoder::finish`).
    Ok(Request { header, body })
}

/// A whole response frame: size, the response header for `request`, then the body that
/// `write_body` writes.
pub fn encode_response(request: &RequestHeader, write_body: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    let mut e = Encoder::new();
    request.encode_response_header(&mut e);
    write_body(&mut e);
    frame(&e.into_bytes())
}

/// What to send back for a request with [`RequestBody::Unsupported`]: for ApiVersions a v0
/// response with UNSUPPORTED_VERSION and the ranges of `apis`, the APIs this broker answers;
/// `None` (close the connection) otherwise.
pub fn unsupported_response(request: &RequestHeader, apis: &[ApiKey]) -> Option<Vec<u8>> {
    if request.api_key != ApiKey::ApiVersions.code() {
        return None;
    }
    // Header v0 and body v0, whatever version was asked: the one form every client can read.
    let mut e = Encoder::new();
    e.i32(request.correlation_id);
    let answer = ApiVersionsResponse {
        error_code: crate::ErrorCode::UnsupportedVersion,
        ..ApiVersionsResponse::for_apis(apis)
    };
    answer.encode(&mut e, 0);
    Some(frame(&e.into_bytes()))
}
