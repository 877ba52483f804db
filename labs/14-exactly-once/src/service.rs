//! Given: lab 14's [`Service`] on lab 05's router — the running broker's idempotent producer.
//!
//! [`ExactlyOnceService::open`] gives every partition of the broker a producer state
//! ([`crate::partition_producers`]: duplicates answered with their original offset, gaps and
//! zombies refused, snapshots on roll and shutdown) and answers InitProducerId v0–v3 with ids
//! from [`ProducerIdManager`]. Register it after lab 05's `CoreService`: a later route
//! replaces an earlier one, so lab 14's InitProducerId (v0–v3) replaces lab 04's (v0–v1).

use std::sync::{Arc, Mutex};

use lab05_broker::{RequestContext, Router, Service, Shared};

use crate::errors::Errors;
use crate::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::partition_producers::Idempotence;
use crate::producer_id_manager::ProducerIdManager;

pub struct ExactlyOnceService {
    ids: Mutex<ProducerIdManager>,
}

impl ExactlyOnceService {
    /// Loads every partition's producer state (snapshots, then the log) and the producer id
    /// block of `log.dirs`.
    pub fn open(shared: &Shared) -> Arc<ExactlyOnceService> {
        let mut broker = shared.broker();
        broker.set_producer_states(Idempotence::new());
        let ids = ProducerIdManager::open(broker.log_dir(), broker.config().broker_id);
        Arc::new(ExactlyOnceService {
            ids: Mutex::new(ids),
        })
    }

    /// InitProducerId without a `transactional.id`: a fresh id at epoch 0. (With one, the
    /// transaction coordinator answers; this broker has none yet.)
    pub fn init_producer_id(&self, request: &InitProducerIdRequest) -> InitProducerIdResponse {
        let mut answer = InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code: Errors::None,
            producer_id: -1,
            producer_epoch: -1,
        };
        if request.transactional_id.is_some() {
            answer.error_code = Errors::CoordinatorNotAvailable;
            return answer;
        }
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        match ids.next_id() {
            Ok(id) => {
                answer.producer_id = id;
                answer.producer_epoch = 0;
            }
            Err(e) => {
                tracing::error!("no producer id: the id block was not persisted: {e}");
                answer.error_code = Errors::UnknownServerError;
            }
        }
        answer
    }
}

impl Service for ExactlyOnceService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        router.route(move |_ctx: RequestContext, r: InitProducerIdRequest| {
            let answer = self.init_producer_id(&r);
            async move { Ok(Some(answer)) }
        });
    }
}
