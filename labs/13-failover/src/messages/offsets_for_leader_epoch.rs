//! OffsetsForLeaderEpoch (key 23), versions 0 to 3, as Kafka 2.6's
//! `OffsetForLeaderEpochRequest.json` and `OffsetForLeaderEpochResponse.json`: a follower (or a
//! consumer) asks, per partition, where the leader's log ends for a leader epoch.
//!
//! ```text
//! request:  replica_id int32 (v3+)
//!           | topics [name string, partitions [partition_index int32
//!                     | current_leader_epoch int32 (v2+) | leader_epoch int32]]
//! response: throttle_time_ms int32 (v2+)
//!           | topics [name string, partitions [error_code int16 | partition_index int32
//!                     | leader_epoch int32 (v1+) | end_offset int64]]
//! ```
//! No version of Kafka 2.6 is flexible (v4, Kafka 2.7, is). Fields a version lacks take
//! Kafka's defaults: `replica_id` −2 (not given), `current_leader_epoch` −1 (no fencing),
//! `leader_epoch` −1 (KIP-101's v0: the follower then knows only the offset).

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

/// Kafka 2.6: versions 0 to 3, none flexible.
pub const SPEC: ApiSpec = ApiSpec {
    key: 23,
    name: "OffsetForLeaderEpoch",
    min: 0,
    max: 3,
    flexible_from: i16::MAX,
};

/// `replica_id` of a version that lacks it (Kafka's default −2).
pub const REPLICA_ID_NOT_GIVEN: i32 = -2;
/// `replica_id` of a consumer.
pub const CONSUMER_REPLICA_ID: i32 = -1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetForLeaderPartition {
    pub partition_index: i32,
    /// The leader epoch the asker believes in (KIP-320), −1 for none.
    pub current_leader_epoch: i32,
    /// The epoch to find the end of.
    pub leader_epoch: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetForLeaderTopic {
    pub name: String,
    pub partitions: Vec<OffsetForLeaderPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetForLeaderEpochRequest {
    /// The follower's broker id, −1 for a consumer, −2 when the version does not say.
    pub replica_id: i32,
    pub topics: Vec<OffsetForLeaderTopic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochEndOffset {
    pub error_code: i16,
    pub partition_index: i32,
    /// The largest epoch ≤ the one asked that the leader knows, −1 if none (or v0).
    pub leader_epoch: i32,
    /// Where that epoch ends in the leader's log, −1 if unknown.
    pub end_offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetForLeaderTopicResult {
    pub name: String,
    pub partitions: Vec<EpochEndOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetForLeaderEpochResponse {
    pub throttle_time_ms: i32,
    pub topics: Vec<OffsetForLeaderTopicResult>,
}

/// A non-flexible array (`int32` count, −1 for null, read as empty).
fn read_list<T>(
    d: &mut Decoder<'_>,
    mut read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = d.array_len(false)?.unwrap_or(0);
    let mut items = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        items.push(read(d)?);
    }
    Ok(items)
}

fn write_list<T>(e: &mut Encoder, items: &[T], mut write: impl FnMut(&mut Encoder, &T)) {
    e.array_len(Some(items.len()), false);
    for item in items {
        write(e, item);
    }
}

impl ApiRequest for OffsetForLeaderEpochRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = OffsetForLeaderEpochResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<OffsetForLeaderEpochRequest> {
        // BEGIN SOLUTION step 2: read replica_id from v3, then the topics with their partitions, current_leader_epoch from v2, defaults for what the version lacks
        // ko: v3부터 replica_id를 읽고, 토픽과 파티션을 읽되 current_leader_epoch는 v2부터, 버전에 없는 필드는 기본값으로
        let replica_id = if version >= 3 {
            d.i32()?
        } else {
            REPLICA_ID_NOT_GIVEN
        };
        let topics = read_list(d, |d| {
            let name = d.string(false)?;
            let partitions = read_list(d, |d| {
                let partition_index = d.i32()?;
                let current_leader_epoch = if version >= 2 { d.i32()? } else { -1 };
                let leader_epoch = d.i32()?;
                Ok(OffsetForLeaderPartition {
                    partition_index,
                    current_leader_epoch,
                    leader_epoch,
                })
            })?;
            Ok(OffsetForLeaderTopic { name, partitions })
        })?;
        Ok(OffsetForLeaderEpochRequest { replica_id, topics })
        // END SOLUTION
    }
}

impl OffsetForLeaderEpochRequest {
    /// The follower's side: the body at `version`.
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 3 {
            e.i32(self.replica_id);
        }
        write_list(e, &self.topics, |e, t| {
            e.string(&t.name, false);
            write_list(e, &t.partitions, |e, p| {
                e.i32(p.partition_index);
                if version >= 2 {
                    e.i32(p.current_leader_epoch);
                }
                e.i32(p.leader_epoch);
            });
        });
    }
}

impl ApiResponse for OffsetForLeaderEpochResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 2: throttle time from v2, then per topic and partition the error, index, leader epoch from v1 and end offset
        // ko: v2부터 throttle time, 그다음 토픽과 파티션마다 오류, 번호, v1부터 리더 에포크, 끝 오프셋
        if version >= 2 {
            e.i32(self.throttle_time_ms);
        }
        write_list(e, &self.topics, |e, t| {
            e.string(&t.name, false);
            write_list(e, &t.partitions, |e, p| {
                e.i16(p.error_code);
                e.i32(p.partition_index);
                if version >= 1 {
                    e.i32(p.leader_epoch);
                }
                e.i64(p.end_offset);
            });
        });
        // END SOLUTION
    }
}

impl OffsetForLeaderEpochResponse {
    /// The follower's side: the leader's answer at `version`.
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<OffsetForLeaderEpochResponse> {
        let throttle_time_ms = if version >= 2 { d.i32()? } else { 0 };
        let topics = read_list(d, |d| {
            let name = d.string(false)?;
            let partitions = read_list(d, |d| {
                let error_code = d.i16()?;
                let partition_index = d.i32()?;
                let leader_epoch = if version >= 1 { d.i32()? } else { -1 };
                let end_offset = d.i64()?;
                Ok(EpochEndOffset {
                    error_code,
                    partition_index,
                    leader_epoch,
                    end_offset,
                })
            })?;
            Ok(OffsetForLeaderTopicResult { name, partitions })
        })?;
        Ok(OffsetForLeaderEpochResponse {
            throttle_time_ms,
            topics,
        })
    }
}
