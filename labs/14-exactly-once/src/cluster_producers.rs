//! Given: the idempotent producer in a cluster (`kafka-server-start` with `zookeeper.connect`).
//!
//! ```text
//! every partition        producer state (partition_producers), on leaders and followers alike
//!   leader  Produce  ──▶ analyze: Append / Duplicate(original offset) / refused
//!   follower fetch   ──▶ on_append of each replicated batch: the same state as the leader's
//!   follower truncate──▶ reload up to the new end (lab 13)
//! InitProducerId     ──▶ any broker: broker.id << 40 | n (producer_id_manager)
//! ```
//!
//! Why followers keep the state too: after a failover the client retries the batch it had no
//! answer for at the *new* leader. If that batch had reached the new leader by replication,
//! only the producer state the new leader built from it can tell it is a retry, and answer its
//! original offset instead of storing it twice (Kafka: `Log.appendAsFollower` →
//! `ProducerStateManager.update`).
//!
//! An InitProducerId with no `transactional.id` needs no coordinator: the id only has to be
//! unique in the cluster, and the broker id in its high bits makes it so.

use std::sync::{Arc, Mutex};

use lab05_broker::{RequestContext, Router, Service, Shared};

use crate::errors::Errors;
use crate::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::partition_producers::Idempotence;
use crate::producer_id_manager::ProducerIdManager;

/// The ids of one claimed block: `next` up to `end` (excluded).
#[derive(Debug)]
struct IdBlock {
    manager: ProducerIdManager,
    next: i64,
    end: i64,
}

impl IdBlock {
    fn next_id(&mut self) -> std::io::Result<i64> {
        if self.next >= self.end {
            let (start, end) = self.manager.claim_block()?;
            (self.next, self.end) = (start, end);
        }
        self.next += 1;
        Ok(self.next - 1)
    }
}

/// Lab 14's idempotence on a broker of a cluster: producer state in every partition, and
/// producer ids for idempotent producers.
pub struct ClusterProducers {
    /// A `std::sync::Mutex`: nothing async happens while it is held.
    ids: Mutex<IdBlock>,
}

impl ClusterProducers {
    /// Gives every partition, hosted now or later, its producer state (loaded from its
    /// snapshots and log).
    pub fn open(shared: &Arc<Shared>) -> Arc<ClusterProducers> {
        let mut broker = shared.broker();
        broker.set_producer_states(Idempotence::new());
        let manager = ProducerIdManager::open(broker.log_dir(), broker.config().broker_id);
        Arc::new(ClusterProducers {
            ids: Mutex::new(IdBlock {
                manager,
                next: 0,
                end: 0,
            }),
        })
    }

    /// A new producer id, epoch 0, for an idempotent producer. With a `transactional.id` the
    /// transaction coordinator answers (`cluster_transactions`), not this.
    pub fn init_producer_id(&self, r: &InitProducerIdRequest) -> InitProducerIdResponse {
        let answer = |error_code, producer_id, producer_epoch| InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code,
            producer_id,
            producer_epoch,
        };
        if r.transactional_id.is_some() {
            return answer(Errors::CoordinatorNotAvailable, -1, -1);
        }
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        match ids.next_id() {
            Ok(id) => answer(Errors::None, id, 0),
            Err(e) => {
                tracing::error!("no producer id block: {e}");
                answer(Errors::UnknownServerError, -1, -1)
            }
        }
    }
}

impl Service for ClusterProducers {
    fn routes(self: Arc<Self>, router: &mut Router) {
        router.route(move |_: RequestContext, r: InitProducerIdRequest| {
            let answer = self.init_producer_id(&r);
            async move { Ok(Some(answer)) }
        });
    }
}
