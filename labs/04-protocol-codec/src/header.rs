//! Request and response headers.
//!
//! ```text
//! request header v1:  api_key int16 | api_version int16 | correlation_id int32 | client_id nullable string
//! request header v2:  v1, then tagged fields                  (for flexible request versions)
//! response header v0: correlation_id int32
//! response header v1: correlation_id int32 | tagged fields   (for flexible response versions)
//! ```
//!
//! Two pitfalls, both kept for compatibility: `client_id` stays a *classic* int16-length
//! string even in header v2; and an ApiVersions response always uses header v0, because a
//! client must be able to read it before it knows which versions the broker speaks.

use crate::api::ApiRegistry;
use crate::error::Result;
use crate::types::{Decoder, Encoder};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    pub api_key: i16,
    pub api_version: i16,
    /// Echoed in the response so the client can match it to its request.
    pub correlation_id: i32,
    pub client_id: Option<String>,
}

impl RequestHeader {
    /// Reads a request header: v2 if `apis` says this key and version are flexible, else v1.
    pub fn decode(d: &mut Decoder<'_>, apis: &ApiRegistry) -> Result<RequestHeader> {
        // BEGIN SOLUTION step 3: read key, version and correlation id, the classic client id, then tagged fields if flexible
        // ko: 키, 버전, 상관 ID, 고전형 client id를 읽고 flexible이면 태그 필드를 읽기
        let api_key = d.i16()?;
        let api_version = d.i16()?;
        let correlation_id = d.i32()?;
        let client_id = d.nullable_string(false)?;
        if apis.is_flexible(api_key, api_version) {
            d.skip_tagged_fields()?;
        }
        Ok(RequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id,
        })
        // END SOLUTION
    }

    /// Writes this header, for a client sending the request.
    pub fn encode(&self, e: &mut Encoder, apis: &ApiRegistry) {
        e.i16(self.api_key);
        e.i16(self.api_version);
        e.i32(self.correlation_id);
        e.nullable_string(self.client_id.as_deref(), false);
        e.no_tagged_fields(apis.is_flexible(self.api_key, self.api_version));
    }

    /// The response header for this request: v1 for flexible versions, v0 otherwise, and
    /// always v0 for ApiVersions.
    pub fn encode_response_header(&self, e: &mut Encoder, apis: &ApiRegistry) {
        // BEGIN SOLUTION step 3: write the correlation id, then empty tagged fields unless v0 applies
        // ko: 상관 ID를 쓰고, v0 규칙이 적용되지 않으면 빈 태그 필드를 쓰기
        e.i32(self.correlation_id);
        let api_versions = self.api_key == crate::api_versions::SPEC.key;
        if !api_versions && apis.is_flexible(self.api_key, self.api_version) {
            e.uvarint(0);
        }
        // END SOLUTION
    }
}
