//! Metadata (key 3): "which brokers are there, and for these topics, which partitions, and
//! who leads each?" A client asks this before it produces or fetches, and again whenever a
//! broker says it is not the leader: it is how clients find their way in a cluster.
//!
//! ```text
//! request:  topics [name] (nullable from v1: null = all topics; in v0 an empty array = all)
//!           | allow_auto_topic_creation bool (v4+) | include_cluster_authorized_operations bool (v8–10)
//!           | include_topic_authorized_operations bool (v8+) | tags (v9+)
//! response: throttle_time_ms int32 (v3+)
//!           | brokers [node_id int32, host string, port int32, rack nullable string (v1+)]
//!           | cluster_id nullable string (v2+) | controller_id int32 (v1+)
//!           | topics [error_code int16, name string, is_internal bool (v1+),
//!                     partitions [error_code int16, partition_index int32, leader_id int32,
//!                                 leader_epoch int32 (v7+), replica_nodes [int32],
//!                                 isr_nodes [int32], offline_replicas [int32] (v5+)],
//!                     topic_authorized_operations int32 (v8+)]
//!           | cluster_authorized_operations int32 (v8–10) | tags (v9+)
//! ```
//! From v9 on every string and array is compact and every structure ends with tagged fields.

use crate::api::{ApiRequest, ApiResponse, ApiSpec};
use crate::error::Result;
use crate::error_code::ErrorCode;
use crate::types::{Decoder, Encoder};

/// "Not requested" for the authorized-operations fields (Kafka's `Integer.MIN_VALUE`).
pub const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

/// Metadata stops at v9, its first flexible version: v10 adds topic ids, which this course does
/// not have.
pub const SPEC: ApiSpec = ApiSpec {
    key: 3,
    name: "Metadata",
    min: 0,
    max: 9,
    flexible_from: 9,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRequest {
    /// `None`: every topic.
    pub topics: Option<Vec<String>>,
    pub allow_auto_topic_creation: bool,
    pub include_cluster_authorized_operations: bool,
    pub include_topic_authorized_operations: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataBroker {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataPartition {
    pub error_code: ErrorCode,
    pub partition_index: i32,
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub replica_nodes: Vec<i32>,
    pub isr_nodes: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataTopic {
    pub error_code: ErrorCode,
    pub name: String,
    pub is_internal: bool,
    pub partitions: Vec<MetadataPartition>,
    pub topic_authorized_operations: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataResponse {
    pub throttle_time_ms: i32,
    pub brokers: Vec<MetadataBroker>,
    pub cluster_id: Option<String>,
    pub controller_id: i32,
    pub topics: Vec<MetadataTopic>,
    pub cluster_authorized_operations: i32,
}

impl ApiRequest for MetadataRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = MetadataResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<MetadataRequest> {
        // BEGIN SOLUTION step 5: read the topic names (v0 empty and v1+ null both mean all), then the version-gated flags and tags
        // ko: 토픽 이름들(v0의 빈 배열과 v1 이상의 null은 모두 전체)을 읽고, 버전별 플래그와 태그를 읽기
        let flexible = version >= 9;
        let topics = match d.array_len(flexible)? {
            None => None,
            Some(0) if version == 0 => None,
            Some(n) => {
                let mut names = Vec::with_capacity(n);
                for _ in 0..n {
                    names.push(d.string(flexible)?);
                    if flexible {
                        d.skip_tagged_fields()?;
                    }
                }
                Some(names)
            }
        };
        let allow_auto_topic_creation = if version >= 4 { d.bool()? } else { true };
        let include_cluster_authorized_operations = if (8..=10).contains(&version) {
            d.bool()?
        } else {
            false
        };
        let include_topic_authorized_operations = if version >= 8 { d.bool()? } else { false };
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(MetadataRequest {
            topics,
            allow_auto_topic_creation,
            include_cluster_authorized_operations,
            include_topic_authorized_operations,
        })
        // END SOLUTION
    }
}

fn int32_array(e: &mut Encoder, values: &[i32], flexible: bool) {
    e.array_len(Some(values.len()), flexible);
    for v in values {
        e.i32(*v);
    }
}

impl ApiResponse for MetadataResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 5: write every field the version has, in order, compact with tags from v9
        // ko: 그 버전에 있는 필드를 모두 순서대로 쓰기. v9부터는 압축형과 태그
        let flexible = version >= 9;
        if version >= 3 {
            e.i32(self.throttle_time_ms);
        }
        e.array_len(Some(self.brokers.len()), flexible);
        for b in &self.brokers {
            e.i32(b.node_id);
            e.string(&b.host, flexible);
            e.i32(b.port);
            if version >= 1 {
                e.nullable_string(b.rack.as_deref(), flexible);
            }
            e.no_tagged_fields(flexible);
        }
        if version >= 2 {
            e.nullable_string(self.cluster_id.as_deref(), flexible);
        }
        if version >= 1 {
            e.i32(self.controller_id);
        }
        e.array_len(Some(self.topics.len()), flexible);
        for t in &self.topics {
            e.i16(t.error_code.code());
            e.string(&t.name, flexible);
            if version >= 1 {
                e.bool(t.is_internal);
            }
            e.array_len(Some(t.partitions.len()), flexible);
            for p in &t.partitions {
                e.i16(p.error_code.code());
                e.i32(p.partition_index);
                e.i32(p.leader_id);
                if version >= 7 {
                    e.i32(p.leader_epoch);
                }
                int32_array(e, &p.replica_nodes, flexible);
                int32_array(e, &p.isr_nodes, flexible);
                if version >= 5 {
                    int32_array(e, &p.offline_replicas, flexible);
                }
                e.no_tagged_fields(flexible);
            }
            if version >= 8 {
                e.i32(t.topic_authorized_operations);
            }
            e.no_tagged_fields(flexible);
        }
        if (8..=10).contains(&version) {
            e.i32(self.cluster_authorized_operations);
        }
        e.no_tagged_fields(flexible);
        // END SOLUTION
    }
}
