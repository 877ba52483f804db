//! Produce: check the record batches, append them to each partition's log as its leader, and
//! answer with the first offset — at once for acks 1, never for acks 0, and for acks −1 once
//! every in-sync replica has the batches ([`Partition::is_committed`]: on one broker, at once).

use std::sync::Arc;
use std::time::Duration;

use lab01_record_batch::{BatchHeader, LOG_OVERHEAD};
use lab04_protocol_codec::{
    ErrorCode, ProducePartitionResponse, ProduceRequest, ProduceResponse, ProduceTopicResponse,
};
use tokio::time::Instant;

use crate::broker::Broker;
use crate::partition::Partition;
use crate::producer_state::ProducerCheck;
use crate::router::{Handled, RequestContext};
use crate::shared::{now_ms, Shared};

impl Broker {
    /// Appends the record batches of one partition; returns its response. The batches are
    /// checked and given their offsets where they lie in the request: the log writes these very
    /// bytes, as Kafka's broker writes the buffer it read (only a recompressed batch is new).
    fn produce_partition(
        &mut self,
        topic: &str,
        index: i32,
        records: Option<&mut [u8]>,
        now_ms: i64,
    ) -> ProducePartitionResponse {
        let mut response = ProducePartitionResponse {
            index,
            error_code: ErrorCode::None,
            base_offset: -1,
            log_append_time_ms: -1,
            log_start_offset: -1,
            error_message: None,
        };
        // BEGIN SOLUTION step 3: find the partition, then check each whole batch with Partition::validate and append it: UNKNOWN_TOPIC_OR_PARTITION, MESSAGE_TOO_LARGE, INVALID_RECORD, CORRUPT_MESSAGE
        // ko: 파티션을 찾은 뒤 배치를 통째로 하나씩 Partition::validate로 확인하고 추가하기: UNKNOWN_TOPIC_OR_PARTITION, MESSAGE_TOO_LARGE, INVALID_RECORD, CORRUPT_MESSAGE
        let Some(partition) = self.partition_mut(topic, index) else {
            response.error_code = ErrorCode::UnknownTopicOrPartition;
            return response;
        };
        let Some(records) = records else {
            response.error_code = ErrorCode::InvalidRequest;
            return response;
        };
        // message.max.bytes, or the topic's own max.message.bytes.
        let max = partition.log().config().max_message_bytes;
        // Check every batch before appending any, so a request is appended whole or not at all.
        // Only a batch the topic recompresses gets new bytes: kept here by its position.
        let mut recompressed: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut at = 0;
        while at < records.len() {
            let rest = &mut records[at..];
            let size = match BatchHeader::parse(rest) {
                Ok(h) if h.total_size() <= rest.len() => h.total_size(),
                _ => {
                    response.error_code = ErrorCode::CorruptMessage;
                    return response;
                }
            };
            if size - LOG_OVERHEAD > max {
                response.error_code = ErrorCode::MessageTooLarge;
                response.error_message = Some(format!(
                    "a batch of {size} bytes is over message.max.bytes ({max})"
                ));
                return response;
            }
            let batch = &mut rest[..size];
            if lab01_record_batch::verify_crc(batch).is_err() {
                response.error_code = ErrorCode::CorruptMessage;
                return response;
            }
            // The topic's settings: keys, recompression, LogAppendTime (lab 03's validator).
            match partition.validate(batch, now_ms) {
                Ok(Some(bytes)) => recompressed.push((at, bytes)),
                Ok(None) => {}
                Err(e) => {
                    response.error_code = match e {
                        lab03_partition_log::Error::RecordTooLarge { .. } => {
                            ErrorCode::MessageTooLarge
                        }
                        lab03_partition_log::Error::InvalidRecord { .. } => {
                            ErrorCode::InvalidRecord
                        }
                        _ => ErrorCode::CorruptMessage,
                    };
                    response.error_message = Some(e.to_string());
                    return response;
                }
            }
            at += size;
        }
        let mut recompressed = recompressed.into_iter().peekable();
        let mut at = 0;
        while at < records.len() {
            // Parsed and checked above.
            let size =
                BatchHeader::parse(&records[at..]).map_or(records.len() - at, |h| h.total_size());
            let appended = match recompressed.next_if(|(start, _)| *start == at) {
                Some((_, mut bytes)) => partition.append_as_leader(&mut bytes, now_ms),
                None => partition.append_as_leader(&mut records[at..at + size], now_ms),
            };
            match appended {
                Ok(info) if response.base_offset < 0 => response.base_offset = info.first_offset,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%topic, index, "append failed: {e}");
                    response.error_code = ErrorCode::UnknownServerError;
                    response.error_message = Some(e.to_string());
                    return response;
                }
            }
            at += size;
        }
        response.log_start_offset = partition.log_start_offset();
        if partition.log().config().message_timestamp_type
            == lab01_record_batch::TimestampType::LogAppendTime
        {
            response.log_append_time_ms = now_ms;
        }
        response
        // END SOLUTION
    }

    /// Lab 14's producer rules ([`crate::producer_state`]) for an idempotent producer's batch:
    /// `Some` answer for a duplicate (its original offset, nothing appended) or a refused batch;
    /// `None` to append as usual. Kafka takes exactly one batch per partition from an
    /// idempotent producer (Produce v3+), so more than one is INVALID_RECORD.
    fn check_producer(
        &self,
        topic: &str,
        index: i32,
        records: Option<&[u8]>,
    ) -> Option<ProducePartitionResponse> {
        let partition = self.partition(topic, index)?;
        let records = records?;
        let header = BatchHeader::parse(records).ok()?;
        if header.producer_id < 0 {
            return None;
        }
        let answer = |error_code, base_offset| ProducePartitionResponse {
            index,
            error_code,
            base_offset,
            log_append_time_ms: -1,
            log_start_offset: partition.log_start_offset(),
            error_message: None,
        };
        if header.total_size() < records.len() {
            return Some(answer(ErrorCode::InvalidRecord, -1));
        }
        match partition.check_producer(&header) {
            ProducerCheck::Append => None,
            ProducerCheck::Duplicate { first_offset } => {
                Some(answer(ErrorCode::None, first_offset))
            }
            ProducerCheck::Refuse(code) => Some(answer(code, -1)),
        }
    }

    /// Produce: append each partition's batches. With acks 0 the caller sends no response; with
    /// acks 1 it sends this at once, with acks −1 once [`Broker::all_committed`] holds. The
    /// request is `&mut` because its batches are stamped and given offsets in place (see
    /// `produce_partition`).
    pub fn produce(&mut self, request: &mut ProduceRequest, now_ms: i64) -> ProduceResponse {
        ProduceResponse {
            responses: request
                .topics
                .iter_mut()
                .map(|t| ProduceTopicResponse {
                    name: t.name.clone(),
                    partitions: t
                        .partitions
                        .iter_mut()
                        .map(|p| {
                            let records = p.records.as_deref_mut();
                            match self.check_producer(&t.name, p.index, records.as_deref()) {
                                Some(answer) => answer,
                                None => self.produce_partition(&t.name, p.index, records, now_ms),
                            }
                        })
                        .collect(),
                })
                .collect(),
            throttle_time_ms: 0,
        }
    }

    /// Where each successful append of `response` ended: (topic, partition, log end offset).
    fn appended(&self, response: &ProduceResponse) -> Vec<(String, i32, i64)> {
        let mut ends = Vec::new();
        for t in &response.responses {
            for p in t
                .partitions
                .iter()
                .filter(|p| p.error_code == ErrorCode::None)
            {
                if let Some(partition) = self.partition(&t.name, p.index) {
                    ends.push((t.name.clone(), p.index, partition.log_end_offset()));
                }
            }
        }
        ends
    }

    /// Whether every in-sync replica has the records up to each of `appended`'s end offsets:
    /// what acks −1 waits for. A partition deleted in the meantime waits for nothing.
    pub fn all_committed(&self, appended: &[(String, i32, i64)]) -> bool {
        appended.iter().all(|(topic, index, end)| {
            self.partition(topic, *index)
                .is_none_or(|p: &Partition| p.is_committed(end - 1))
        })
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    _ctx: RequestContext,
    mut request: ProduceRequest,
) -> Handled<ProduceResponse> {
    let (mut response, appended) = {
        let mut broker = shared.broker();
        let response = broker.produce(&mut request, now_ms());
        let appended = broker.appended(&response);
        (response, appended)
    };
    shared.appended.notify_waiters();
    match request.acks {
        0 => return Ok(None),
        1 => return Ok(Some(response)),
        _ => {}
    }
    // acks −1: wait until the in-sync replicas have every appended batch, or the request's
    // timeout passes. Ask to be woken *before* looking, so a change between the look and the
    // wait is not missed.
    let deadline = Instant::now() + Duration::from_millis(request.timeout_ms.max(0) as u64);
    loop {
        let changed = shared.appended.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if shared.broker().all_committed(&appended) {
            return Ok(Some(response));
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::select! {
            _ = changed => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }
    for p in response
        .responses
        .iter_mut()
        .flat_map(|t| t.partitions.iter_mut())
    {
        if p.error_code == ErrorCode::None {
            p.error_code = ErrorCode::RequestTimedOut;
        }
    }
    Ok(Some(response))
}
