//! Fetch: whole batches from each partition's fetch offset, within the byte limits — from
//! consumers (`replica_id` −1), who read up to the high watermark, and in lab 12 from
//! follower brokers (`replica_id` = their broker id), whose fetch offset tells the leader how
//! far they got. The handler makes it a long poll.

use std::sync::Arc;
use std::time::Duration;

use lab04_protocol_codec::{
    ErrorCode, FetchPartitionResponse, FetchRequest, FetchResponse, FetchTopicResponse,
};
use tokio::time::Instant;

use crate::broker::Broker;
use crate::partition::Reader;
use crate::router::{Handled, RequestContext};
use crate::shared::{now_ms, Shared};

impl Broker {
    /// Fetch, without waiting: for each partition the whole batches from the fetch offset,
    /// up to its `partition_max_bytes`, and the response's `max_bytes` over all (but always the
    /// first batch found, KIP-74). Returns the response and how many record bytes it holds.
    ///
    /// A partition with an error answers an *empty* record set, as Kafka's broker does
    /// (`MemoryRecords.EMPTY`), never a null one: see lab 04's `FetchPartitionResponse`.
    pub fn fetch(&self, request: &FetchRequest) -> (FetchResponse, usize) {
        let reader = Reader::from_replica_id(request.replica_id);
        // BEGIN SOLUTION step 4: read each partition from its fetch offset within the byte limits: OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION
        // ko: 파티션마다 fetch 오프셋부터 바이트 한도 안에서 읽기: OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION
        let mut total = 0usize;
        let mut budget = request.max_bytes.max(0) as usize;
        let responses = request
            .topics
            .iter()
            .map(|t| FetchTopicResponse {
                topic: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut response = FetchPartitionResponse {
                            partition: p.partition,
                            error_code: ErrorCode::None,
                            high_watermark: -1,
                            last_stable_offset: -1,
                            log_start_offset: -1,
                            aborted_transactions: None,
                            records: Vec::new(),
                        };
                        let Some(partition) = self.partition(&t.name, p.partition) else {
                            response.error_code = ErrorCode::UnknownTopicOrPartition;
                            return response;
                        };
                        response.high_watermark = partition.high_watermark();
                        response.last_stable_offset = partition.high_watermark();
                        response.log_start_offset = partition.log_start_offset();
                        let limit = (p.partition_max_bytes.max(0) as usize).min(budget);
                        match partition.read(p.fetch_offset, limit.max(1), reader) {
                            Ok(Some(bytes)) if total == 0 || bytes.len() <= budget => {
                                total += bytes.len();
                                budget = budget.saturating_sub(bytes.len());
                                response.records = bytes;
                            }
                            Ok(_) => {}
                            Err(lab03_partition_log::Error::OffsetOutOfRange { .. }) => {
                                response.error_code = ErrorCode::OffsetOutOfRange;
                            }
                            Err(e) => {
                                tracing::error!(topic = %t.name, partition = p.partition, "read failed: {e}");
                                response.error_code = ErrorCode::UnknownServerError;
                            }
                        }
                        response
                    })
                    .collect(),
            })
            .collect();
        (
            FetchResponse {
                throttle_time_ms: 0,
                error_code: ErrorCode::None,
                session_id: 0,
                responses,
            },
            total,
        )
        // END SOLUTION
    }

    /// A follower's fetch tells the leader how far the follower got (lab 12): hands each
    /// partition's fetch offset to its replica rules. Returns the partitions they refused,
    /// with their error codes. Nothing to do for a consumer.
    pub fn record_follower_fetch(
        &mut self,
        request: &FetchRequest,
        now_ms: i64,
    ) -> Vec<(String, i32, ErrorCode)> {
        let Reader::Follower(replica_id) = Reader::from_replica_id(request.replica_id) else {
            return vec![];
        };
        let mut refused = Vec::new();
        for t in &request.topics {
            for p in &t.partitions {
                let code = match self.partition_mut(&t.name, p.partition) {
                    Some(partition) => {
                        partition.record_follower_fetch(replica_id, p.fetch_offset, now_ms)
                    }
                    None => ErrorCode::UnknownTopicOrPartition,
                };
                if code != ErrorCode::None {
                    refused.push((t.name.clone(), p.partition, code));
                }
            }
        }
        refused
    }
}

/// Sets the error of every refused partition and empties its records.
fn refuse(response: &mut FetchResponse, refused: &[(String, i32, ErrorCode)]) {
    for t in &mut response.responses {
        for p in &mut t.partitions {
            let code = refused
                .iter()
                .find(|(topic, index, _)| *topic == t.topic && *index == p.partition);
            if let Some((_, _, code)) = code {
                p.error_code = *code;
                p.records.clear();
            }
        }
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    _ctx: RequestContext,
    f: FetchRequest,
) -> Handled<FetchResponse> {
    let refused = shared.broker().record_follower_fetch(&f, now_ms());
    if Reader::from_replica_id(f.replica_id) != Reader::Consumer {
        // A follower's fetch may have moved a high watermark: wake whoever waits for one.
        shared.appended.notify_waiters();
    }
    // BEGIN SOLUTION step 6: fetch now; while fewer than min_bytes came back and max_wait has not passed, wait for an append and fetch again
    // ko: 바로 fetch하고, min_bytes보다 적게 왔고 max_wait가 지나지 않았으면 추가를 기다렸다 다시 fetch하기
    let deadline = Instant::now() + Duration::from_millis(f.max_wait_ms.max(0) as u64);
    loop {
        // Ask to be woken *before* looking, so an append between the look and the
        // wait is not missed.
        let appended = shared.appended.notified();
        tokio::pin!(appended);
        appended.as_mut().enable();
        let (mut response, bytes) = shared.broker().fetch(&f);
        if bytes >= f.min_bytes.max(0) as usize || Instant::now() >= deadline {
            refuse(&mut response, &refused);
            break Ok(Some(response));
        }
        tokio::select! {
            _ = appended => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
    // END SOLUTION
}
