//! LeaderAndIsr (key 4), versions 0 to 4, as Kafka 2.6's `LeaderAndIsrRequest.json` and
//! `LeaderAndIsrResponse.json`: the controller tells a partition's replicas who leads it.
//!
//! ```text
//! request:  controller_id int32 | controller_epoch int32 | broker_epoch int64 (v2+)
//!           | ungrouped_partition_states [PartitionState] (v0–1)
//!           | topic_states [topic_name string, partition_states [PartitionState]] (v2+)
//!           | live_leaders [broker_id int32, host_name string, port int32] | tags (v4+)
//! PartitionState: topic_name string (v0–1) | partition_index int32 | controller_epoch int32
//!           | leader int32 | leader_epoch int32 | isr [int32] | zk_version int32
//!           | replicas [int32] | adding_replicas [int32] (v3+) | removing_replicas [int32] (v3+)
//!           | is_new bool (v1+) | tags (v4+)
//! response: error_code int16
//!           | partition_errors [topic_name string, partition_index int32, error_code int16]
//!           | tags (v4+)
//! ```
//! From v4 on every string and array is compact and every structure ends with tagged fields.

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{group_by_topic, read_int32s, read_structs, ungroup, write_int32s, write_structs};
use crate::requests::{
    LeaderAndIsrLiveLeader, LeaderAndIsrPartitionError, LeaderAndIsrPartitionState,
    LeaderAndIsrRequest, LeaderAndIsrResponse, LeaderAndIsrTopicState,
};

/// Kafka 2.6: versions 0 to 4, flexible from 4 (v5, Kafka 2.8, adds topic ids).
pub const SPEC: ApiSpec = ApiSpec {
    key: 4,
    name: "LeaderAndIsr",
    min: 0,
    max: 4,
    flexible_from: 4,
};

/// One `LeaderAndIsrPartitionState` and, in v0–1, the topic it names.
fn read_partition_state(
    d: &mut Decoder<'_>,
    version: i16,
) -> Result<(String, LeaderAndIsrPartitionState)> {
    let flexible = version >= 4;
    let topic = if version <= 1 {
        d.string(flexible)?
    } else {
        String::new()
    };
    let partition_index = d.i32()?;
    let controller_epoch = d.i32()?;
    let leader = d.i32()?;
    let leader_epoch = d.i32()?;
    let isr = read_int32s(d, flexible)?;
    let zk_version = d.i32()?;
    let replicas = read_int32s(d, flexible)?;
    let (adding_replicas, removing_replicas) = if version >= 3 {
        (read_int32s(d, flexible)?, read_int32s(d, flexible)?)
    } else {
        (Vec::new(), Vec::new())
    };
    let is_new = version >= 1 && d.bool()?;
    let state = LeaderAndIsrPartitionState {
        partition_index,
        controller_epoch,
        leader,
        leader_epoch,
        isr,
        zk_version,
        replicas,
        adding_replicas,
        removing_replicas,
        is_new,
    };
    Ok((topic, state))
}

fn write_partition_state(
    e: &mut Encoder,
    topic: &str,
    p: &LeaderAndIsrPartitionState,
    version: i16,
) {
    let flexible = version >= 4;
    if version <= 1 {
        e.string(topic, flexible);
    }
    e.i32(p.partition_index);
    e.i32(p.controller_epoch);
    e.i32(p.leader);
    e.i32(p.leader_epoch);
    write_int32s(e, &p.isr, flexible);
    e.i32(p.zk_version);
    write_int32s(e, &p.replicas, flexible);
    if version >= 3 {
        write_int32s(e, &p.adding_replicas, flexible);
        write_int32s(e, &p.removing_replicas, flexible);
    }
    if version >= 1 {
        e.bool(p.is_new);
    }
}

impl ApiRequest for LeaderAndIsrRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = LeaderAndIsrResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<LeaderAndIsrRequest> {
        // BEGIN SOLUTION step 6: read the fields the version has, grouping v0-1 partitions by their topic, compact with tags from v4
        // ko: 버전에 있는 필드를 읽고 v0-1의 파티션은 토픽별로 묶기. v4부터는 압축형과 태그
        let flexible = version >= 4;
        let controller_id = d.i32()?;
        let controller_epoch = d.i32()?;
        let broker_epoch = if version >= 2 { d.i64()? } else { -1 };
        let topic_states = if version <= 1 {
            let ungrouped = read_structs(d, flexible, |d| read_partition_state(d, version))?;
            group_by_topic(ungrouped)
                .into_iter()
                .map(|(topic_name, partition_states)| LeaderAndIsrTopicState {
                    topic_name,
                    partition_states,
                })
                .collect()
        } else {
            read_structs(d, flexible, |d| {
                let topic_name = d.string(flexible)?;
                let partition_states = read_structs(d, flexible, |d| {
                    read_partition_state(d, version).map(|(_, state)| state)
                })?;
                Ok(LeaderAndIsrTopicState {
                    topic_name,
                    partition_states,
                })
            })?
        };
        let live_leaders = read_structs(d, flexible, |d| {
            Ok(LeaderAndIsrLiveLeader {
                broker_id: d.i32()?,
                host_name: d.string(flexible)?,
                port: d.i32()?,
            })
        })?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(LeaderAndIsrRequest {
            controller_id,
            controller_epoch,
            broker_epoch,
            topic_states,
            live_leaders,
        })
        // END SOLUTION
    }
}

impl LeaderAndIsrRequest {
    /// The controller's side: the body at `version` (v0–1 list every partition with its
    /// topic; a version without `broker_epoch` leaves it out).
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 4;
        e.i32(self.controller_id);
        e.i32(self.controller_epoch);
        if version >= 2 {
            e.i64(self.broker_epoch);
        }
        if version <= 1 {
            let ungrouped = ungroup(
                &self.topic_states,
                |t| t.topic_name.as_str(),
                |t| t.partition_states.as_slice(),
            );
            write_structs(e, &ungrouped, flexible, |e, (topic, p)| {
                write_partition_state(e, topic, p, version)
            });
        } else {
            write_structs(e, &self.topic_states, flexible, |e, t| {
                e.string(&t.topic_name, flexible);
                write_structs(e, &t.partition_states, flexible, |e, p| {
                    write_partition_state(e, &t.topic_name, p, version)
                });
            });
        }
        write_structs(e, &self.live_leaders, flexible, |e, l| {
            e.i32(l.broker_id);
            e.string(&l.host_name, flexible);
            e.i32(l.port);
        });
        e.no_tagged_fields(flexible);
    }
}

impl ApiResponse for LeaderAndIsrResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 6: write the error code and each partition's error, compact with tags from v4
        // ko: 오류 코드와 파티션마다의 오류를 쓰기. v4부터는 압축형과 태그
        let flexible = version >= 4;
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

impl LeaderAndIsrResponse {
    /// The controller's side: reads a broker's answer at `version`.
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<LeaderAndIsrResponse> {
        let flexible = version >= 4;
        let error_code = d.i16()?;
        let partition_errors = read_structs(d, flexible, |d| {
            Ok(LeaderAndIsrPartitionError {
                topic_name: d.string(flexible)?,
                partition_index: d.i32()?,
                error_code: d.i16()?,
            })
        })?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(LeaderAndIsrResponse {
            error_code,
            partition_errors,
        })
    }
}
