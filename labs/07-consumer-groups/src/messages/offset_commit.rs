//! OffsetCommit (key 8), v2–7: "group G has processed partition P up to offset O".
//!
//! ```text
//! request:  group_id string | generation_id int32 | member_id string
//!           | group_instance_id nullable string (v7+) | retention_time_ms int64 (v2–4)
//!           | topics [name string | partitions [partition_index int32 | committed_offset int64
//!                    | committed_leader_epoch int32 (v6+) | committed_metadata nullable string]]
//! response: throttle_time_ms int32 (v3+) | topics [name string | partitions [partition_index int32 | error_code int16]]
//! ```
//! The committed offset is the *next* record to read, not the last one read.

use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::shared::now_ms;
use lab05_broker::{Handled, RequestContext};

use crate::service::GroupService;

use super::array;

/// v2–7: the last versions before OffsetCommit became flexible (v8).
pub const SPEC: ApiSpec = ApiSpec {
    key: 8,
    name: "OffsetCommit",
    min: 2,
    max: 7,
    flexible_from: 8,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitPartition {
    pub partition_index: i32,
    pub committed_offset: i64,
    pub committed_leader_epoch: i32,
    pub committed_metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitRequest {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<(String, Vec<OffsetCommitPartition>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitResponse {
    /// (topic, [(partition, error)]).
    pub topics: Vec<(String, Vec<(i32, ErrorCode)>)>,
}

impl ApiRequest for OffsetCommitRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = OffsetCommitResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let group_id = d.string(false)?;
        let generation_id = d.i32()?;
        let member_id = d.string(false)?;
        let group_instance_id = if version >= 7 {
            d.nullable_string(false)?
        } else {
            None
        };
        if (2..=4).contains(&version) {
            let _retention_time_ms = d.i64()?;
        }
        let topics = array(d, |d| {
            let name = d.string(false)?;
            let partitions = array(d, |d| {
                Ok(OffsetCommitPartition {
                    partition_index: d.i32()?,
                    committed_offset: d.i64()?,
                    committed_leader_epoch: if version >= 6 { d.i32()? } else { -1 },
                    committed_metadata: d.nullable_string(false)?,
                })
            })?;
            Ok((name, partitions))
        })?;
        Ok(OffsetCommitRequest {
            group_id,
            generation_id,
            member_id,
            group_instance_id,
            topics,
        })
    }
}

impl ApiResponse for OffsetCommitResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 3 {
            e.i32(0);
        }
        e.array_len(Some(self.topics.len()), false);
        for (name, partitions) in &self.topics {
            e.string(name, false);
            e.array_len(Some(partitions.len()), false);
            for (p, code) in partitions {
                e.i32(*p);
                e.i16(code.code());
            }
        }
    }
}

/// Kafka's membership checks (the coordinator), then the group metadata manager stores the
/// offsets in `__consumer_offsets` before the commit is acknowledged.
pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: OffsetCommitRequest,
) -> Handled<OffsetCommitResponse> {
    let mut broker = service.shared().broker();
    let mut state = service.state();
    let check = state.coordinator.check_commit(
        &r.group_id,
        r.generation_id,
        &r.member_id,
        r.group_instance_id.as_deref(),
        now_ms(),
    );
    Ok(Some(state.groups.commit(&mut broker, check, &r)))
}
