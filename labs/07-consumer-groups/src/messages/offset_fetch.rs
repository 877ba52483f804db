//! OffsetFetch (key 9), v1–5: "where did group G get to?"
//!
//! ```text
//! request:  group_id string | topics [name string | partition_indexes [int32]]  (null = all, v2+)
//! response: throttle_time_ms int32 (v3+) | topics [name string | partitions [partition_index int32
//!           | committed_offset int64 | committed_leader_epoch int32 (v5+) | metadata nullable string
//!           | error_code int16]] | error_code int16 (v2+)
//! ```
//! A partition without a committed offset answers offset −1, not an error.

use std::collections::BTreeMap;
use std::sync::Arc;

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, ErrorCode, Result};
use lab05_broker::{Handled, RequestContext};

use crate::offsets::OffsetStore;
use crate::service::GroupService;

use super::array;

/// v1–5: the last versions before OffsetFetch became flexible (v6).
pub const SPEC: ApiSpec = ApiSpec {
    key: 9,
    name: "OffsetFetch",
    min: 1,
    max: 5,
    flexible_from: 6,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetFetchRequest {
    pub group_id: String,
    /// `None`: every partition the group has committed.
    pub topics: Option<Vec<(String, Vec<i32>)>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetFetchPartition {
    pub partition_index: i32,
    pub committed_offset: i64,
    pub committed_leader_epoch: i32,
    pub metadata: Option<String>,
    pub error_code: ErrorCode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetFetchResponse {
    pub topics: Vec<(String, Vec<OffsetFetchPartition>)>,
    pub error_code: ErrorCode,
}

impl ApiRequest for OffsetFetchRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = OffsetFetchResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<Self> {
        let group_id = d.string(false)?;
        let topics = match d.array_len(false)? {
            None => None,
            Some(n) => Some(
                (0..n)
                    .map(|_| Ok((d.string(false)?, array(d, |d| d.i32())?)))
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(OffsetFetchRequest { group_id, topics })
    }
}

impl ApiResponse for OffsetFetchResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 3 {
            e.i32(0);
        }
        e.array_len(Some(self.topics.len()), false);
        for (name, partitions) in &self.topics {
            e.string(name, false);
            e.array_len(Some(partitions.len()), false);
            for p in partitions {
                e.i32(p.partition_index);
                e.i64(p.committed_offset);
                if version >= 5 {
                    e.i32(p.committed_leader_epoch);
                }
                e.nullable_string(p.metadata.as_deref(), false);
                e.i16(p.error_code.code());
            }
        }
        if version >= 2 {
            e.i16(self.error_code.code());
        }
    }
}

/// One partition's committed offset, or −1 if the group has none there.
fn fetched(offsets: &OffsetStore, group: &str, topic: &str, p: i32) -> OffsetFetchPartition {
    let committed = offsets.get(group, topic, p);
    OffsetFetchPartition {
        partition_index: p,
        committed_offset: committed.map_or(-1, |c| c.offset),
        committed_leader_epoch: committed.map_or(-1, |c| c.leader_epoch),
        metadata: Some(committed.map(|c| c.metadata.clone()).unwrap_or_default()),
        error_code: ErrorCode::None,
    }
}

/// The asked partitions, or (topics null) every partition the group committed.
pub async fn handle(
    service: Arc<GroupService>,
    _ctx: RequestContext,
    r: OffsetFetchRequest,
) -> Handled<OffsetFetchResponse> {
    let state = service.state();
    let offsets = state.groups.offsets();
    let group = r.group_id.as_str();
    let topics: Vec<(String, Vec<OffsetFetchPartition>)> = match &r.topics {
        Some(topics) => topics
            .iter()
            .map(|(t, ps)| {
                let partitions = ps.iter().map(|p| fetched(offsets, group, t, *p)).collect();
                (t.clone(), partitions)
            })
            .collect(),
        None => {
            let mut by_topic: BTreeMap<String, Vec<OffsetFetchPartition>> = BTreeMap::new();
            for (k, _) in offsets.group(group) {
                by_topic.entry(k.topic.clone()).or_default().push(fetched(
                    offsets,
                    group,
                    &k.topic,
                    k.partition,
                ));
            }
            by_topic.into_iter().collect()
        }
    };
    Ok(Some(OffsetFetchResponse {
        topics,
        error_code: ErrorCode::None,
    }))
}
