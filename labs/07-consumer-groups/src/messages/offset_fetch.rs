//! OffsetFetch (key 9), v1–5: "where did group G get to?"
//!
//! ```text
//! request:  group_id string | topics [name string | partition_indexes [int32]]  (null = all, v2+)
//! response: throttle_time_ms int32 (v3+) | topics [name string | partitions [partition_index int32
//!           | committed_offset int64 | committed_leader_epoch int32 (v5+) | metadata nullable string
//!           | error_code int16]] | error_code int16 (v2+)
//! ```
//! A partition without a committed offset answers offset −1, not an error.

use lab04_protocol_codec::{Decoder, Encoder, ErrorCode, Result};

use super::array;

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

impl OffsetFetchRequest {
    pub fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<Self> {
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

impl OffsetFetchResponse {
    pub fn encode(&self, e: &mut Encoder, version: i16) {
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
