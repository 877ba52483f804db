//! Reading a whole request frame in two stages, as a broker's request channel does: first the
//! header (which API, which version, who asks), then — once the broker has picked the handler
//! for that API — the typed body, with that API's own decoder ([`Request::body`]).
//!
//! Lab 04 knows nothing of the APIs a later lab adds: the header decoder asks an
//! [`ApiRegistry`] whether the request is flexible, and the body decoder comes with the
//! request type ([`ApiRequest::decode`]).

use crate::api::{ApiRegistry, ApiRequest, ApiResponse, ApiSpec};
use crate::api_versions::ApiVersionsResponse;
use crate::error::{Error, Result};
use crate::frame::frame;
use crate::header::RequestHeader;
use crate::types::{Decoder, Encoder};

/// A request whose header is read and whose body waits for its typed decoder.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub header: RequestHeader,
    /// The API's spec if this broker speaks this key at this version. `None`: the broker
    /// answers an ApiVersions with [`unsupported_response`]; for any other API it cannot even
    /// parse the body, so it closes the connection, as Kafka does.
    pub spec: Option<ApiSpec>,
    body: Decoder<'a>,
}

/// Reads the header of one request from a frame's bytes (without the 4-byte size).
pub fn decode_request<'a>(bytes: &'a [u8], apis: &ApiRegistry) -> Result<Request<'a>> {
    let mut body = Decoder::new(bytes);
    let header = RequestHeader::decode(&mut body, apis)?;
    let spec = apis.supported(header.api_key, header.api_version).copied();
    Ok(Request { header, spec, body })
}

impl Request<'_> {
    /// The body, read as `R`. An error if this request is of another API, or its bytes are not
    /// an `R` at the header's version.
    pub fn body<R: ApiRequest>(&self) -> Result<R> {
        if self.header.api_key != R::SPEC.key {
            return Err(Error::OtherApi {
                expected: R::SPEC.name,
                key: self.header.api_key,
            });
        }
        // Like Kafka, ignore bytes after the last field instead of refusing the request. Kafka's
        // generated readers never check for leftovers, and real clients rely on it: librdkafka
        // 2.x sends its Metadata v9+ "all topics" request with a 4-byte count where a 1-byte
        // compact count belongs, which Kafka reads as null topics plus an empty tag and one
        // ignored byte. The message decoders themselves stay exact (see `Decoder::finish`).
        let mut d = self.body.clone();
        R::decode(&mut d, self.header.api_version)
    }
}

/// A whole response frame: size, the response header for `request` (its form from `apis`),
/// then the body that `write_body` writes.
pub fn encode_response(
    request: &RequestHeader,
    apis: &ApiRegistry,
    write_body: impl FnOnce(&mut Encoder),
) -> Vec<u8> {
    let mut e = Encoder::new();
    request.encode_response_header(&mut e, apis);
    write_body(&mut e);
    frame(&e.into_bytes())
}

/// [`encode_response`] for a typed response, at the request's version.
pub fn respond<R: ApiResponse>(
    request: &RequestHeader,
    apis: &ApiRegistry,
    response: &R,
) -> Vec<u8> {
    encode_response(request, apis, |e| response.encode(e, request.api_version))
}

/// What to send back for a request without a spec (see [`Request::spec`]): for ApiVersions a
/// v0 response with UNSUPPORTED_VERSION and the ranges of `apis`, the APIs this broker answers;
/// `None` (close the connection) otherwise.
pub fn unsupported_response(request: &RequestHeader, apis: &ApiRegistry) -> Option<Vec<u8>> {
    if request.api_key != crate::api_versions::SPEC.key {
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
