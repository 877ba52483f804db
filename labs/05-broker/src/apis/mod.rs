//! Lab 05's APIs, one file per API, each of the same shape: the synchronous `Broker` method
//! that decides the answer (`impl Broker { fn produce … }`), and `handle`, the async step
//! around it (lock the broker, wait if the API waits, return the typed response). Lab 04
//! decodes the request and encodes the response; the [`Router`] calls `handle` in between.
//!
//! - `api_versions` — which APIs and versions this broker answers.
//! - `metadata` — step 2: this broker and its topics.
//! - `produce` — step 3: append whole batches; acks 0, 1 and −1.
//! - `fetch` — step 4: read stored batches back; step 6: the long poll.
//! - `list_offsets` — step 5: earliest, latest, by time.
//! - `init_producer_id` — a producer id for an idempotent producer.

pub mod api_versions;
pub mod fetch;
pub mod init_producer_id;
pub mod list_offsets;
pub mod metadata;
pub mod produce;

use std::sync::Arc;

use lab04_protocol_codec::{
    FetchRequest, InitProducerIdRequest, ListOffsetsRequest, MetadataRequest, ProduceRequest,
};

use crate::router::{Router, Service};
use crate::shared::Shared;

/// Lab 05's [`Service`]: Produce, Fetch, ListOffsets, Metadata, ApiVersions, InitProducerId.
pub struct CoreService {
    shared: Arc<Shared>,
}

impl CoreService {
    pub fn new(shared: Arc<Shared>) -> Arc<CoreService> {
        Arc::new(CoreService { shared })
    }
}

impl Service for CoreService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        // The order is the order ApiVersions lists them in.
        let s = self.shared.clone();
        router.route(move |ctx, r: ProduceRequest| produce::handle(s.clone(), ctx, r));
        let s = self.shared.clone();
        router.route(move |ctx, r: FetchRequest| fetch::handle(s.clone(), ctx, r));
        let s = self.shared.clone();
        router.route(move |ctx, r: ListOffsetsRequest| list_offsets::handle(s.clone(), ctx, r));
        let s = self.shared.clone();
        router.route(move |ctx, r: MetadataRequest| metadata::handle(s.clone(), ctx, r));
        router.route(api_versions::handle);
        let s = self.shared.clone();
        router.route(move |ctx, r: InitProducerIdRequest| {
            init_producer_id::handle(s.clone(), ctx, r)
        });
    }
}
