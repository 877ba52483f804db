//! InitProducerId: a new producer id for an idempotent producer.

use std::sync::Arc;

use lab04_protocol_codec::{ErrorCode, InitProducerIdRequest, InitProducerIdResponse};

use crate::broker::Broker;
use crate::router::{Handled, RequestContext};
use crate::shared::{now_ms, Shared};

impl Broker {
    /// A labelled shortcut: the ids start again at `now_ms` after a restart rather than being
    /// stored, and this broker does not yet check the producer's sequence numbers, so a retried
    /// batch is stored twice. Kafka keeps per-producer state (`ProducerStateManager`) to drop
    /// such duplicates.
    pub fn init_producer_id(&mut self, now_ms: i64) -> InitProducerIdResponse {
        if self.next_producer_id == 0 {
            // Start from the clock so ids do not repeat across restarts of a broker.
            self.next_producer_id = now_ms;
        }
        let producer_id = self.next_producer_id;
        self.next_producer_id += 1;
        InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None,
            producer_id,
            producer_epoch: 0,
        }
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    _ctx: RequestContext,
    _request: InitProducerIdRequest,
) -> Handled<InitProducerIdResponse> {
    Ok(Some(shared.broker().init_producer_id(now_ms())))
}
