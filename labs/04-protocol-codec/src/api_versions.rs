//! ApiVersions (key 18): the first request of every modern client — "which versions of which
//! APIs do you speak?"
//!
//! ```text
//! request v0–v2:  (empty)
//! request v3+:    client_software_name compact string | client_software_version compact string | tags
//! response:       error_code int16 | api_keys [api_key int16, min int16, max int16 (, tags v3+)]
//!                 | throttle_time_ms int32 (v1+) | tags (v3+)
//! ```
//!
//! A client may ask with a version the broker does not know (kafka-python 3 starts at v4).
//! The broker then answers in **v0** with UNSUPPORTED_VERSION *and* its ranges (KIP-511), so
//! the client can retry at the highest version both know instead of hanging.

use crate::api::{ApiRegistry, ApiRequest, ApiResponse, ApiSpec, VersionRange};
use crate::error::Result;
use crate::error_code::ErrorCode;
use crate::types::{Decoder, Encoder};

/// v3 is the first flexible version, and the last this broker speaks.
pub const SPEC: ApiSpec = ApiSpec {
    key: 18,
    name: "ApiVersions",
    min: 0,
    max: 3,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiVersionsRequest {
    /// v3+: e.g. "librdkafka", "confluent-kafka-python", "kafka-python".
    pub client_software_name: Option<String>,
    pub client_software_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersionsResponse {
    pub error_code: ErrorCode,
    pub api_keys: Vec<VersionRange>,
    /// v1+.
    pub throttle_time_ms: i32,
}

impl ApiRequest for ApiVersionsRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = ApiVersionsResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<ApiVersionsRequest> {
        // BEGIN SOLUTION step 4: from v3 on, read the two compact strings and the tagged fields
        // ko: v3부터 압축형 문자열 두 개와 태그 필드를 읽기
        let mut request = ApiVersionsRequest::default();
        if version >= 3 {
            request.client_software_name = Some(d.string(true)?);
            request.client_software_version = Some(d.string(true)?);
            d.skip_tagged_fields()?;
        }
        Ok(request)
        // END SOLUTION
    }
}

impl ApiVersionsResponse {
    /// The answer of a broker that answers `apis`: no error, every registered range.
    pub fn for_apis(apis: &ApiRegistry) -> ApiVersionsResponse {
        ApiVersionsResponse {
            error_code: ErrorCode::None,
            api_keys: apis.ranges(),
            throttle_time_ms: 0,
        }
    }

    /// The answer of a broker with lab 04's APIs only ([`ApiRegistry::core`]).
    pub fn supported() -> ApiVersionsResponse {
        ApiVersionsResponse::for_apis(&ApiRegistry::core())
    }

    /// The answer to an ApiVersions version the broker does not know: send it as v0.
    pub fn unsupported_version() -> ApiVersionsResponse {
        ApiVersionsResponse {
            error_code: ErrorCode::UnsupportedVersion,
            ..ApiVersionsResponse::supported()
        }
    }
}

impl ApiResponse for ApiVersionsResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 4: error code, the ranges (compact with tags from v3), throttle time from v1, tags from v3; UNSUPPORTED_VERSION goes out as v0
        // ko: 오류 코드, 버전 범위(v3부터 압축형과 태그), v1부터 throttle time, v3부터 태그. UNSUPPORTED_VERSION 응답은 v0으로 나감
        let flexible = version >= 3;
        e.i16(self.error_code.code());
        e.array_len(Some(self.api_keys.len()), flexible);
        for range in &self.api_keys {
            e.i16(range.api_key);
            e.i16(range.min);
            e.i16(range.max);
            e.no_tagged_fields(flexible);
        }
        if version >= 1 {
            e.i32(self.throttle_time_ms);
        }
        e.no_tagged_fields(flexible);
        // END SOLUTION
    }
}
