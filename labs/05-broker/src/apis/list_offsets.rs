//! ListOffsets: where a partition begins (−2), where its committed records end (−1, the high
//! watermark — a consumer's "latest"), or the first offset at a time.

use std::sync::Arc;

use lab04_protocol_codec::{
    ErrorCode, ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse,
    ListOffsetsTopicResponse, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
};

use crate::broker::Broker;
use crate::router::{Handled, RequestContext};
use crate::shared::Shared;

impl Broker {
    /// ListOffsets: −2 is the log start offset, −1 the high watermark (on one broker, the log
    /// end offset), anything else the first offset with a timestamp at or after it (offset −1
    /// if there is none).
    pub fn list_offsets(&self, request: &ListOffsetsRequest) -> ListOffsetsResponse {
        // BEGIN SOLUTION step 5: answer earliest, latest or by time for each partition; UNKNOWN_TOPIC_OR_PARTITION for a missing one
        // ko: 파티션마다 처음, 끝, 또는 시각으로 답하기. 없는 파티션은 UNKNOWN_TOPIC_OR_PARTITION
        let topics = request
            .topics
            .iter()
            .map(|t| ListOffsetsTopicResponse {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| {
                        let mut r = ListOffsetsPartitionResponse {
                            partition: p.partition,
                            error_code: ErrorCode::None,
                            timestamp: -1,
                            offset: -1,
                            leader_epoch: 0,
                        };
                        match self.partition(&t.name, p.partition) {
                            None => r.error_code = ErrorCode::UnknownTopicOrPartition,
                            Some(partition) => match p.timestamp {
                                EARLIEST_TIMESTAMP => r.offset = partition.log_start_offset(),
                                LATEST_TIMESTAMP => r.offset = partition.high_watermark(),
                                ts => match partition.log().offset_for_timestamp(ts) {
                                    Ok(Some(offset)) => (r.offset, r.timestamp) = (offset, ts),
                                    Ok(None) => {}
                                    Err(e) => {
                                        tracing::error!(topic = %t.name, "offset for timestamp: {e}");
                                        r.error_code = ErrorCode::UnknownServerError;
                                    }
                                },
                            },
                        }
                        r
                    })
                    .collect(),
            })
            .collect();
        ListOffsetsResponse {
            throttle_time_ms: 0,
            topics,
        }
        // END SOLUTION
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    _ctx: RequestContext,
    request: ListOffsetsRequest,
) -> Handled<ListOffsetsResponse> {
    Ok(Some(shared.broker().list_offsets(&request)))
}
