//! TxnOffsetCommit (key 28), v0–v3, sent to the *group* coordinator after AddOffsetsToTxn. The
//! offsets are written to `__consumer_offsets` as transactional records, and become the group's
//! committed offsets only when the commit marker reaches that partition. v2 adds each
//! partition's leader epoch; v3 (KIP-447, flexible) adds the generation and member, so a
//! zombie *consumer* is fenced too.
//!
//! ```text
//! request:  transactional_id string | group_id string | producer_id int64 | producer_epoch int16
//!           | v3+: generation_id int32 | member_id string | group_instance_id nullable string
//!           | topics [name string | partitions [partition_index int32 | committed_offset int64
//!                     | v2+: committed_leader_epoch int32 | committed_metadata nullable string]]
//! response: throttle_time_ms int32 | topics [name string | partitions [partition_index int32 | error_code int16]]
//! ```
//! v3 uses compact strings and arrays and ends every structure with tagged fields.

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{read_array, write_array};
use crate::errors::Errors;

pub const SPEC: ApiSpec = ApiSpec {
    key: 28,
    name: "TxnOffsetCommit",
    min: 0,
    max: 3,
    flexible_from: 3,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsetCommitPartition {
    pub partition_index: i32,
    pub committed_offset: i64,
    /// −1 before v2.
    pub committed_leader_epoch: i32,
    pub committed_metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsetCommitRequest {
    pub transactional_id: String,
    pub group_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// v3+; before v3: −1, "" and `None`.
    pub generation_id: i32,
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<(String, Vec<TxnOffsetCommitPartition>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnOffsetCommitResponse {
    pub throttle_time_ms: i32,
    pub topics: Vec<(String, Vec<(i32, Errors)>)>,
}

impl ApiRequest for TxnOffsetCommitRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = TxnOffsetCommitResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<TxnOffsetCommitRequest> {
        // BEGIN SOLUTION step 2: the fixed fields, v3's member fields, the topics (v2 leader epoch), tagged fields when flexible
        // ko: 고정 필드, v3의 멤버 필드, 토픽들(v2의 리더 에포크), flexible이면 태그 필드
        let f = SPEC.is_flexible(version);
        let transactional_id = d.string(f)?;
        let group_id = d.string(f)?;
        let producer_id = d.i64()?;
        let producer_epoch = d.i16()?;
        let (generation_id, member_id, group_instance_id) = if version >= 3 {
            (d.i32()?, d.string(f)?, d.nullable_string(f)?)
        } else {
            (-1, String::new(), None)
        };
        let topics = read_array(d, f, |d| {
            let name = d.string(f)?;
            let parts = read_array(d, f, |d| {
                let partition_index = d.i32()?;
                let committed_offset = d.i64()?;
                let committed_leader_epoch = if version >= 2 { d.i32()? } else { -1 };
                let committed_metadata = d.nullable_string(f)?;
                if f {
                    d.skip_tagged_fields()?;
                }
                Ok(TxnOffsetCommitPartition {
                    partition_index,
                    committed_offset,
                    committed_leader_epoch,
                    committed_metadata,
                })
            })?;
            if f {
                d.skip_tagged_fields()?;
            }
            Ok((name, parts))
        })?;
        if f {
            d.skip_tagged_fields()?;
        }
        Ok(TxnOffsetCommitRequest {
            transactional_id,
            group_id,
            producer_id,
            producer_epoch,
            generation_id,
            member_id,
            group_instance_id,
            topics,
        })
        // END SOLUTION
    }
}

impl ApiResponse for TxnOffsetCommitResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 2: throttle time, per topic per partition the error; compact with tagged fields in v3
        // ko: throttle time, 토픽마다 파티션마다 오류. v3은 압축형과 태그 필드
        let f = SPEC.is_flexible(version);
        e.i32(self.throttle_time_ms);
        write_array(e, &self.topics, f, |e, (name, parts)| {
            e.string(name, f);
            write_array(e, parts, f, |e, (p, err)| {
                e.i32(*p);
                e.i16(err.code());
                e.no_tagged_fields(f);
            });
            e.no_tagged_fields(f);
        });
        e.no_tagged_fields(f);
        // END SOLUTION
    }
}
