//! Which requests a broker understands, at which versions, and which versions are "flexible"
//! (compact types and tagged fields, KIP-482) — from each message's JSON spec in Kafka's
//! `clients/src/main/resources/common/message/`.
//!
//! Every request names its API and version. Old and new clients coexist because a client first
//! asks `ApiVersions` and then uses, per API, the highest version both sides support.
//!
//! An API is described by a small [`ApiSpec`] value that the lab answering it owns: lab 04's
//! six sit next to their codecs (`produce::SPEC`, `fetch::SPEC` …), lab 06 and lab 07 declare
//! theirs in their own files. A broker collects the specs of every API it answers in an
//! [`ApiRegistry`]; the header decoder asks it which header version a request uses, and
//! ApiVersions advertises exactly what was registered. A new lab never edits this file.
//!
//! Each API's request type implements [`ApiRequest`] (its spec, its response type, and how to
//! decode it) and its response type [`ApiResponse`] (how to encode it): what a broker needs to
//! route a request to a typed handler without knowing the API in advance.

use crate::error::Result;
use crate::types::{Decoder, Encoder};

/// One API as ApiVersions describes it, plus the first flexible version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSpec {
    /// The numeric key on the wire (Produce = 0, Fetch = 1 …).
    pub key: i16,
    /// Kafka's name for it, for log lines.
    pub name: &'static str,
    /// The lowest and highest version this broker speaks.
    pub min: i16,
    pub max: i16,
    /// From this version on, the request and response use compact types and tagged fields.
    pub flexible_from: i16,
}

impl ApiSpec {
    pub fn supports(&self, version: i16) -> bool {
        (self.min..=self.max).contains(&version)
    }

    /// Whether `version` of this API uses compact types and tagged fields.
    pub fn is_flexible(&self, version: i16) -> bool {
        version >= self.flexible_from
    }

    pub fn range(&self) -> VersionRange {
        VersionRange {
            api_key: self.key,
            min: self.min,
            max: self.max,
        }
    }
}

/// A version range the broker supports for one API, as ApiVersions reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRange {
    pub api_key: i16,
    pub min: i16,
    pub max: i16,
}

/// The APIs one broker answers, in the order they were registered (which is the order
/// ApiVersions lists them in).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiRegistry {
    specs: Vec<ApiSpec>,
}

impl ApiRegistry {
    /// No API at all.
    pub fn new() -> ApiRegistry {
        ApiRegistry::default()
    }

    /// Lab 04's APIs: what lab 05's broker answers on its own.
    pub fn core() -> ApiRegistry {
        let mut apis = ApiRegistry::new();
        for spec in crate::CORE_APIS {
            apis.register(spec);
        }
        apis
    }

    /// Adds `spec`; a spec with the same key replaces the earlier one in its place.
    pub fn register(&mut self, spec: ApiSpec) {
        match self.specs.iter_mut().find(|s| s.key == spec.key) {
            Some(existing) => *existing = spec,
            None => self.specs.push(spec),
        }
    }

    pub fn get(&self, key: i16) -> Option<&ApiSpec> {
        self.specs.iter().find(|s| s.key == key)
    }

    /// The spec of `key` if this broker speaks `version` of it.
    pub fn supported(&self, key: i16, version: i16) -> Option<&ApiSpec> {
        self.get(key).filter(|s| s.supports(version))
    }

    /// Whether a request (or its response) of this key and version is flexible. Unknown keys
    /// are read with the classic header: that is enough to answer with an error.
    pub fn is_flexible(&self, key: i16, version: i16) -> bool {
        self.get(key).is_some_and(|s| s.is_flexible(version))
    }

    pub fn specs(&self) -> &[ApiSpec] {
        &self.specs
    }

    /// What ApiVersions reports.
    pub fn ranges(&self) -> Vec<VersionRange> {
        self.specs.iter().map(ApiSpec::range).collect()
    }
}

/// A request body of one API: its spec, its response type, and how to read it.
pub trait ApiRequest: Sized + Send + 'static {
    const SPEC: ApiSpec;
    type Response: ApiResponse;

    /// Reads the body (after the header) at `version`.
    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self>;
}

/// A response body: how to write it at a version.
pub trait ApiResponse: Send + 'static {
    fn encode(&self, e: &mut Encoder, version: i16);
}
