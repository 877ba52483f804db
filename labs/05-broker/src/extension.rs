//! How a later lab adds APIs to this broker without copying it.
//!
//! Lab 05 answers the [`ApiKey::CORE`] APIs. Lab 06 adds CreateTopics, DeleteTopics and
//! DescribeConfigs, lab 07 the consumer-group APIs. Each later lab implements [`Extension`]
//! and hands it to [`crate::server::run`]; the connection loop asks it about every request
//! whose API is not lab 05's, and ApiVersions advertises its APIs too. Kafka's own broker does
//! the same with one `KafkaApis.handle` match over every key; here each lab owns its arm.

use std::future::Future;

use lab04_protocol_codec::{ApiKey, RequestHeader};

use crate::shared::Shared;

pub trait Extension: Send + Sync + 'static {
    /// The APIs this extension answers.
    fn apis(&self) -> &[ApiKey];

    /// Answers one request of one of [`Extension::apis`]: `body` is the request body after the
    /// header, `peer` the client's address. `None` closes the connection (the body could not
    /// be read).
    fn handle(
        &self,
        shared: &Shared,
        header: &RequestHeader,
        body: &[u8],
        peer: &str,
    ) -> impl Future<Output = Option<Vec<u8>>> + Send;
}

/// Lab 05 on its own: no extra APIs.
impl Extension for () {
    fn apis(&self) -> &[ApiKey] {
        &[]
    }

    async fn handle(&self, _: &Shared, _: &RequestHeader, _: &[u8], _: &str) -> Option<Vec<u8>> {
        None
    }
}

/// Every API a broker with extension `ext` answers, for ApiVersions.
pub fn all_apis(ext: &impl Extension) -> Vec<ApiKey> {
    let mut apis = ApiKey::CORE.to_vec();
    apis.extend(ext.apis().iter().filter(|a| !ApiKey::CORE.contains(a)));
    apis
}
