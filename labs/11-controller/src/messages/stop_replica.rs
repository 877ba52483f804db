//! StopReplica (key 5), versions 0 to 3, as Kafka 2.6's `StopReplicaRequest.json` and
//! `StopReplicaResponse.json`: the controller tells a broker to stop being a replica of some
//! partitions, and (when a topic is deleted) to delete them.
//!
//! ```text
//! request:  controller_id int32 | controller_epoch int32 | broker_epoch int64 (v1+)
//!           | delete_partitions bool (v0–2)
//!           | ungrouped_partitions [topic_name string, partition_index int32] (v0)
//!           | topics [name string, partition_indexes [int32]] (v1–2)
//!           | topic_states [topic_name string,
//!                           partition_states [partition_index int32, leader_epoch int32,
//!                                             delete_partition bool]] (v3+)
//!           | tags (v2+)
//! response: error_code int16
//!           | partition_errors [topic_name string, partition_index int32, error_code int16]
//!           | tags (v2+)
//! ```
//! From v2 on every string and array is compact and every structure ends with tagged fields.
//! Before v3 one `delete_partitions` flag covers the whole request and no leader epoch is sent
//! (KIP-570 added both per partition): read, each partition gets the flag and epoch −1.

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{group_by_topic, read_int32s, read_structs, ungroup, write_int32s, write_structs};
use crate::requests::{
    StopReplicaPartitionError, StopReplicaPartitionState, StopReplicaRequest, StopReplicaResponse,
    StopReplicaTopicState,
};

/// Kafka 2.6: versions 0 to 3, flexible from 2.
pub const SPEC: ApiSpec = ApiSpec {
    key: 5,
    name: "StopReplica",
    min: 0,
    max: 3,
    flexible_from: 2,
};

/// The leader epoch of a partition named by a version without one (the JSON's default).
pub const NO_LEADER_EPOCH: i32 = -1;

impl ApiRequest for StopReplicaRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = StopReplicaResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<StopReplicaRequest> {
        // BEGIN SOLUTION step 6: read the fields the version has; before v3 give every partition the request's delete flag and leader epoch -1; compact with tags from v2
        // ko: 버전에 있는 필드를 읽기. v3 전에는 모든 파티션에 요청의 삭제 플래그와 리더 에포크 -1을 주기. v2부터는 압축형과 태그
        let flexible = version >= 2;
        let controller_id = d.i32()?;
        let controller_epoch = d.i32()?;
        let broker_epoch = if version >= 1 { d.i64()? } else { -1 };
        let delete_partitions = version <= 2 && d.bool()?;
        let state = |partition_index| StopReplicaPartitionState {
            partition_index,
            leader_epoch: NO_LEADER_EPOCH,
            delete_partition: delete_partitions,
        };
        let topic_states = match version {
            0 => {
                let ungrouped = read_structs(d, flexible, |d| {
                    let topic = d.string(flexible)?;
                    Ok((topic, state(d.i32()?)))
                })?;
                group_by_topic(ungrouped)
                    .into_iter()
                    .map(|(topic_name, partition_states)| StopReplicaTopicState {
                        topic_name,
                        partition_states,
                    })
                    .collect()
            }
            1 | 2 => read_structs(d, flexible, |d| {
                let topic_name = d.string(flexible)?;
                let indexes = read_int32s(d, flexible)?;
                Ok(StopReplicaTopicState {
                    topic_name,
                    partition_states: indexes.into_iter().map(state).collect(),
                })
            })?,
            _ => read_structs(d, flexible, |d| {
                let topic_name = d.string(flexible)?;
                let partition_states = read_structs(d, flexible, |d| {
                    Ok(StopReplicaPartitionState {
                        partition_index: d.i32()?,
                        leader_epoch: d.i32()?,
                        delete_partition: d.bool()?,
                    })
                })?;
                Ok(StopReplicaTopicState {
                    topic_name,
                    partition_states,
                })
            })?,
        };
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(StopReplicaRequest {
            controller_id,
            controller_epoch,
            broker_epoch,
            topic_states,
        })
        // END SOLUTION
    }
}

impl StopReplicaRequest {
    /// The controller's side: the body at `version`. Before v3 one flag covers the whole
    /// request, so it says "delete" only when every partition is to be deleted — keeping a
    /// log that should go is recoverable, deleting one that should stay is not. (Kafka's
    /// controller sends deleting and non-deleting partitions in separate requests.)
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 2;
        e.i32(self.controller_id);
        e.i32(self.controller_epoch);
        if version >= 1 {
            e.i64(self.broker_epoch);
        }
        if version <= 2 {
            let delete = self
                .topic_states
                .iter()
                .flat_map(|t| &t.partition_states)
                .all(|p| p.delete_partition);
            e.bool(delete);
        }
        match version {
            0 => {
                let ungrouped = ungroup(
                    &self.topic_states,
                    |t| t.topic_name.as_str(),
                    |t| t.partition_states.as_slice(),
                );
                write_structs(e, &ungrouped, flexible, |e, (topic, p)| {
                    e.string(topic, flexible);
                    e.i32(p.partition_index);
                });
            }
            1 | 2 => write_structs(e, &self.topic_states, flexible, |e, t| {
                e.string(&t.topic_name, flexible);
                let indexes: Vec<i32> = t
                    .partition_states
                    .iter()
                    .map(|p| p.partition_index)
                    .collect();
                write_int32s(e, &indexes, flexible);
            }),
            _ => write_structs(e, &self.topic_states, flexible, |e, t| {
                e.string(&t.topic_name, flexible);
                write_structs(e, &t.partition_states, flexible, |e, p| {
                    e.i32(p.partition_index);
                    e.i32(p.leader_epoch);
                    e.bool(p.delete_partition);
                });
            }),
        }
        e.no_tagged_fields(flexible);
    }
}

impl ApiResponse for StopReplicaResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 6: write the error code and each partition's error, compact with tags from v2
        // ko: 오류 코드와 파티션마다의 오류를 쓰기. v2부터는 압축형과 태그
        let flexible = version >= 2;
        e.i16(self.error_code);
        write_structs(e, &self.partition_errors, flexible, |e, p| {
            e.string(&p.topic_name, flexible);
            e.i32(p.partition_index);
            e.i16(p.error_code);
        });
        e.no_tagged_fields(flexible);
        // END SOLUTION
    }
}

impl StopReplicaResponse {
    /// The controller's side: reads a broker's answer at `version`.
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<StopReplicaResponse> {
        let flexible = version >= 2;
        let error_code = d.i16()?;
        let partition_errors = read_structs(d, flexible, |d| {
            Ok(StopReplicaPartitionError {
                topic_name: d.string(flexible)?,
                partition_index: d.i32()?,
                error_code: d.i16()?,
            })
        })?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(StopReplicaResponse {
            error_code,
            partition_errors,
        })
    }
}
