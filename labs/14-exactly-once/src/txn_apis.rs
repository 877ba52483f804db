//! Given: the transaction coordinator's four APIs (InitProducerId, AddPartitionsToTxn,
//! AddOffsetsToTxn, EndTxn) as requests to step 4's core and back, and their routes — one
//! mapping and one set of routes for a broker alone (`service`) and a broker of a cluster
//! (`cluster_transactions`), which differ only in how they [`Coordinate`].

use std::future::Future;
use std::sync::Arc;

use lab04_protocol_codec::ApiRequest;
use lab05_broker::{RequestContext, Router};

use crate::errors::Errors;
use crate::messages::add_offsets_to_txn::{AddOffsetsToTxnRequest, AddOffsetsToTxnResponse};
use crate::messages::add_partitions_to_txn::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse,
};
use crate::messages::end_txn::{EndTxnRequest, EndTxnResponse};
use crate::messages::init_producer_id::{InitProducerIdRequest, InitProducerIdResponse};
use crate::transaction_coordinator::{TxnRequest, TxnResponse};

/// A broker's way to put one request to its transaction coordinator: `None` when no answer
/// came (the client hears COORDINATOR_NOT_AVAILABLE and asks again).
pub trait Coordinate: Send + Sync + 'static {
    fn coordinate(
        self: Arc<Self>,
        request: TxnRequest,
    ) -> impl Future<Output = Option<TxnResponse>> + Send;
}

/// Routes the four coordinator APIs to `coordinator`.
pub fn route_coordinator_apis<C: Coordinate>(router: &mut Router, coordinator: &Arc<C>) {
    route::<InitProducerIdRequest, C>(router, coordinator);
    route::<AddPartitionsToTxnRequest, C>(router, coordinator);
    route::<AddOffsetsToTxnRequest, C>(router, coordinator);
    route::<EndTxnRequest, C>(router, coordinator);
}

fn route<R, C>(router: &mut Router, coordinator: &Arc<C>)
where
    R: ApiRequest + TxnApi<Response = <R as ApiRequest>::Response>,
    C: Coordinate,
{
    let c = coordinator.clone();
    router.route(move |_: RequestContext, r: R| {
        let c = c.clone();
        async move {
            let answer = c.coordinate(r.txn_request()).await;
            Ok(Some(r.txn_response(answer)))
        }
    });
}

/// A transactional API as a coordinator request and back, for a broker alone
/// (`ExactlyOnceService`) and in a cluster (`cluster_transactions`).
pub trait TxnApi: Sized {
    type Response;
    fn txn_request(&self) -> TxnRequest;
    /// The API's response from the coordinator's answer (`None`: it gave none).
    fn txn_response(self, answer: Option<TxnResponse>) -> Self::Response;
}

impl TxnApi for InitProducerIdRequest {
    type Response = InitProducerIdResponse;

    fn txn_request(&self) -> TxnRequest {
        TxnRequest::InitProducerId {
            transactional_id: self.transactional_id.clone(),
            transaction_timeout_ms: self.transaction_timeout_ms,
        }
    }

    fn txn_response(self, answer: Option<TxnResponse>) -> InitProducerIdResponse {
        let (error_code, producer_id, producer_epoch) = match answer {
            Some(TxnResponse::InitProducerId {
                error,
                producer_id,
                producer_epoch,
            }) => (error, producer_id, producer_epoch),
            Some(_) => (Errors::UnknownServerError, -1, -1),
            None => (Errors::CoordinatorNotAvailable, -1, -1),
        };
        InitProducerIdResponse {
            throttle_time_ms: 0,
            error_code,
            producer_id,
            producer_epoch,
        }
    }
}

impl TxnApi for AddPartitionsToTxnRequest {
    type Response = AddPartitionsToTxnResponse;

    fn txn_request(&self) -> TxnRequest {
        let partitions = self
            .topics
            .iter()
            .flat_map(|(t, ps)| ps.iter().map(|p| (t.clone(), *p)))
            .collect();
        TxnRequest::AddPartitions {
            transactional_id: self.transactional_id.clone(),
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            partitions,
        }
    }

    fn txn_response(self, answer: Option<TxnResponse>) -> AddPartitionsToTxnResponse {
        let error = match answer {
            Some(TxnResponse::AddPartitions { error }) => error,
            Some(_) => Errors::UnknownServerError,
            None => Errors::CoordinatorNotAvailable,
        };
        AddPartitionsToTxnResponse {
            throttle_time_ms: 0,
            results: self
                .topics
                .into_iter()
                .map(|(t, ps)| (t, ps.into_iter().map(|p| (p, error)).collect()))
                .collect(),
        }
    }
}

impl TxnApi for AddOffsetsToTxnRequest {
    type Response = AddOffsetsToTxnResponse;

    fn txn_request(&self) -> TxnRequest {
        TxnRequest::AddOffsets {
            transactional_id: self.transactional_id.clone(),
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            group_id: self.group_id.clone(),
        }
    }

    fn txn_response(self, answer: Option<TxnResponse>) -> AddOffsetsToTxnResponse {
        let error_code = match answer {
            Some(TxnResponse::AddOffsets { error }) => error,
            Some(_) => Errors::UnknownServerError,
            None => Errors::CoordinatorNotAvailable,
        };
        AddOffsetsToTxnResponse {
            throttle_time_ms: 0,
            error_code,
        }
    }
}

impl TxnApi for EndTxnRequest {
    type Response = EndTxnResponse;

    fn txn_request(&self) -> TxnRequest {
        TxnRequest::EndTxn {
            transactional_id: self.transactional_id.clone(),
            producer_id: self.producer_id,
            producer_epoch: self.producer_epoch,
            commit: self.committed,
        }
    }

    fn txn_response(self, answer: Option<TxnResponse>) -> EndTxnResponse {
        let error_code = match answer {
            Some(TxnResponse::EndTxn { error }) => error,
            Some(_) => Errors::UnknownServerError,
            None => Errors::CoordinatorNotAvailable,
        };
        EndTxnResponse {
            throttle_time_ms: 0,
            error_code,
        }
    }
}
