//! Given: OffsetsForLeaderEpoch (API 23) on a broker of the running cluster — step 2's
//! [`last_offset_for_leader_epoch`](crate::last_offset_for_leader_epoch) per partition, over
//! the partition's cache ([`LeaderEpochCaches`]) and its state on this broker (leader or not,
//! the leader epoch LeaderAndIsr gave it). A partition this broker does not host is
//! UNKNOWN_TOPIC_OR_PARTITION. Registering the route lists the API in ApiVersions.
//!
//! Register it after lab 11's services (`Router::with`).

use std::sync::Arc;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Handled, RequestContext, Router, Service, Shared};

use crate::leader_epoch_caches::LeaderEpochCaches;
use crate::leader_epoch_file_cache::{UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET};
use crate::messages::offsets_for_leader_epoch::{
    EpochEndOffset, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
    OffsetForLeaderTopicResult,
};

pub struct LeaderEpochService {
    shared: Arc<Shared>,
    caches: Arc<LeaderEpochCaches>,
}

impl LeaderEpochService {
    pub fn new(shared: Arc<Shared>, caches: Arc<LeaderEpochCaches>) -> Arc<LeaderEpochService> {
        Arc::new(LeaderEpochService { shared, caches })
    }

    /// The answer to `request`, partition by partition.
    pub fn answer(&self, request: &OffsetForLeaderEpochRequest) -> OffsetForLeaderEpochResponse {
        let broker = self.shared.broker();
        let broker_id = broker.config().broker_id;
        let topics = request
            .topics
            .iter()
            .map(|t| OffsetForLeaderTopicResult {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let (error, leader_epoch, end_offset) =
                            match broker.partition(&t.name, p.partition_index) {
                                Some(partition) => self.caches.last_offset_for_leader_epoch(
                                    partition,
                                    broker_id,
                                    p.current_leader_epoch,
                                    p.leader_epoch,
                                ),
                                None => (
                                    ErrorCode::UnknownTopicOrPartition,
                                    UNDEFINED_EPOCH,
                                    UNDEFINED_EPOCH_OFFSET,
                                ),
                            };
                        EpochEndOffset {
                            error_code: error.code(),
                            partition_index: p.partition_index,
                            leader_epoch,
                            end_offset,
                        }
                    })
                    .collect(),
            })
            .collect();
        OffsetForLeaderEpochResponse {
            throttle_time_ms: 0,
            topics,
        }
    }
}

async fn handle(
    s: Arc<LeaderEpochService>,
    request: OffsetForLeaderEpochRequest,
) -> Handled<OffsetForLeaderEpochResponse> {
    Ok(Some(s.answer(&request)))
}

impl Service for LeaderEpochService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        router.route(move |_: RequestContext, r: OffsetForLeaderEpochRequest| {
            handle(self.clone(), r)
        });
    }
}
