//! UpdateMetadata (key 6), versions 0 to 6, as Kafka 2.6's `UpdateMetadataRequest.json` and
//! `UpdateMetadataResponse.json`: the controller tells every live broker the live brokers and
//! each partition's leader, so any broker can answer a client's Metadata request.
//!
//! ```text
//! request:  controller_id int32 | controller_epoch int32 | broker_epoch int64 (v5+)
//!           | ungrouped_partition_states [PartitionState] (v0–4)
//!           | topic_states [topic_name string, partition_states [PartitionState]] (v5+)
//!           | live_brokers [id int32, v0_host string (v0), v0_port int32 (v0),
//!                           endpoints [port int32, host string, listener string (v3+),
//!                                      security_protocol int16] (v1+),
//!                           rack nullable string (v2+)]
//!           | tags (v6+)
//! PartitionState: topic_name string (v0–4) | partition_index int32 | controller_epoch int32
//!           | leader int32 | leader_epoch int32 | isr [int32] | zk_version int32
//!           | replicas [int32] | offline_replicas [int32] (v4+) | tags (v6+)
//! response: error_code int16 | tags (v6+)
//! ```
//! From v6 on every string and array is compact and every structure ends with tagged fields.
//! Before v3 an endpoint has no listener name: Kafka names it after its security protocol
//! (`ListenerName.forSecurityProtocol`), and v0 has a single plaintext host and port.

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{group_by_topic, read_int32s, read_structs, ungroup, write_int32s, write_structs};
use crate::requests::{
    UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataPartitionState,
    UpdateMetadataRequest, UpdateMetadataResponse, UpdateMetadataTopicState,
};

/// Kafka 2.6: versions 0 to 6, flexible from 6 (v7, Kafka 2.8, adds topic ids).
pub const SPEC: ApiSpec = ApiSpec {
    key: 6,
    name: "UpdateMetadata",
    min: 0,
    max: 6,
    flexible_from: 6,
};

/// Kafka's `SecurityProtocol` ids.
pub const PLAINTEXT: i16 = 0;

/// The listener name of an endpoint that has none (v0–2): its security protocol's name.
pub fn listener_for_security_protocol(id: i16) -> String {
    match id {
        0 => "PLAINTEXT".to_string(),
        1 => "SSL".to_string(),
        2 => "SASL_PLAINTEXT".to_string(),
        3 => "SASL_SSL".to_string(),
        other => format!("SECURITY_PROTOCOL_{other}"),
    }
}

fn read_partition_state(
    d: &mut Decoder<'_>,
    version: i16,
) -> Result<(String, UpdateMetadataPartitionState)> {
    let flexible = version >= 6;
    let topic = if version <= 4 {
        d.string(flexible)?
    } else {
        String::new()
    };
    let state = UpdateMetadataPartitionState {
        partition_index: d.i32()?,
        controller_epoch: d.i32()?,
        leader: d.i32()?,
        leader_epoch: d.i32()?,
        isr: read_int32s(d, flexible)?,
        zk_version: d.i32()?,
        replicas: read_int32s(d, flexible)?,
        offline_replicas: if version >= 4 {
            read_int32s(d, flexible)?
        } else {
            Vec::new()
        },
    };
    Ok((topic, state))
}

fn write_partition_state(
    e: &mut Encoder,
    topic: &str,
    p: &UpdateMetadataPartitionState,
    version: i16,
) {
    let flexible = version >= 6;
    if version <= 4 {
        e.string(topic, flexible);
    }
    e.i32(p.partition_index);
    e.i32(p.controller_epoch);
    e.i32(p.leader);
    e.i32(p.leader_epoch);
    write_int32s(e, &p.isr, flexible);
    e.i32(p.zk_version);
    write_int32s(e, &p.replicas, flexible);
    if version >= 4 {
        write_int32s(e, &p.offline_replicas, flexible);
    }
}

fn read_broker(d: &mut Decoder<'_>, version: i16) -> Result<UpdateMetadataBroker> {
    let flexible = version >= 6;
    let id = d.i32()?;
    let endpoints = if version == 0 {
        let host = d.string(false)?;
        let port = d.i32()?;
        vec![UpdateMetadataEndpoint {
            port,
            host,
            listener: listener_for_security_protocol(PLAINTEXT),
            security_protocol: PLAINTEXT,
        }]
    } else {
        read_structs(d, flexible, |d| {
            let port = d.i32()?;
            let host = d.string(flexible)?;
            let listener = if version >= 3 {
                Some(d.string(flexible)?)
            } else {
                None
            };
            let security_protocol = d.i16()?;
            Ok(UpdateMetadataEndpoint {
                port,
                host,
                listener: listener
                    .unwrap_or_else(|| listener_for_security_protocol(security_protocol)),
                security_protocol,
            })
        })?
    };
    let rack = if version >= 2 {
        d.nullable_string(flexible)?
    } else {
        None
    };
    Ok(UpdateMetadataBroker {
        id,
        endpoints,
        rack,
    })
}

fn write_broker(e: &mut Encoder, b: &UpdateMetadataBroker, version: i16) {
    let flexible = version >= 6;
    e.i32(b.id);
    if version == 0 {
        // v0 knows one plaintext host and port per broker.
        let endpoint = b
            .endpoints
            .iter()
            .find(|ep| ep.security_protocol == PLAINTEXT)
            .or(b.endpoints.first());
        e.string(endpoint.map_or("", |ep| ep.host.as_str()), false);
        e.i32(endpoint.map_or(-1, |ep| ep.port));
    } else {
        write_structs(e, &b.endpoints, flexible, |e, ep| {
            e.i32(ep.port);
            e.string(&ep.host, flexible);
            if version >= 3 {
                e.string(&ep.listener, flexible);
            }
            e.i16(ep.security_protocol);
        });
    }
    if version >= 2 {
        e.nullable_string(b.rack.as_deref(), flexible);
    }
}

impl ApiRequest for UpdateMetadataRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = UpdateMetadataResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<UpdateMetadataRequest> {
        // BEGIN SOLUTION step 6: read the fields the version has, grouping v0-4 partitions by topic and giving old endpoints their listener names, compact with tags from v6
        // ko: 버전에 있는 필드를 읽고 v0-4의 파티션은 토픽별로 묶고 옛 엔드포인트에 리스너 이름을 주기. v6부터는 압축형과 태그
        let flexible = version >= 6;
        let controller_id = d.i32()?;
        let controller_epoch = d.i32()?;
        let broker_epoch = if version >= 5 { d.i64()? } else { -1 };
        let topic_states = if version <= 4 {
            let ungrouped = read_structs(d, flexible, |d| read_partition_state(d, version))?;
            group_by_topic(ungrouped)
                .into_iter()
                .map(|(topic_name, partition_states)| UpdateMetadataTopicState {
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
                Ok(UpdateMetadataTopicState {
                    topic_name,
                    partition_states,
                })
            })?
        };
        let live_brokers = read_structs(d, flexible, |d| read_broker(d, version))?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(UpdateMetadataRequest {
            controller_id,
            controller_epoch,
            broker_epoch,
            topic_states,
            live_brokers,
        })
        // END SOLUTION
    }
}

impl UpdateMetadataRequest {
    /// The controller's side: the body at `version`. v0 writes each broker's plaintext
    /// endpoint (the first one if none is plaintext); v0–2 drop the listener names.
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 6;
        e.i32(self.controller_id);
        e.i32(self.controller_epoch);
        if version >= 5 {
            e.i64(self.broker_epoch);
        }
        if version <= 4 {
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
        write_structs(e, &self.live_brokers, flexible, |e, b| {
            write_broker(e, b, version)
        });
        e.no_tagged_fields(flexible);
    }
}

impl ApiResponse for UpdateMetadataResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 6: write the error code, then the tags from v6
        // ko: 오류 코드를 쓰고, v6부터는 태그도 쓰기
        e.i16(self.error_code);
        e.no_tagged_fields(version >= 6);
        // END SOLUTION
    }
}

impl UpdateMetadataResponse {
    /// The controller's side: reads a broker's answer at `version`.
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<UpdateMetadataResponse> {
        let error_code = d.i16()?;
        if version >= 6 {
            d.skip_tagged_fields()?;
        }
        Ok(UpdateMetadataResponse { error_code })
    }
}
