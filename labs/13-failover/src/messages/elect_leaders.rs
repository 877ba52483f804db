//! ElectLeaders (key 43), versions 0 to 2, as Kafka 2.6's `ElectLeadersRequest.json` and
//! `ElectLeadersResponse.json`: an admin (`kafka-leader-election --election-type preferred`)
//! asks the controller for a preferred (or unclean, v1+) election.
//!
//! ```text
//! request:  election_type int8 (v1+) | topic_partitions [topic string, partitions [int32]
//!           | tags (v2+)] (null: every partition) | timeout_ms int32 | tags (v2+)
//! response: throttle_time_ms int32 | error_code int16 (v1+)
//!           | replica_election_results [topic string, partition_result [partition_id int32
//!             | error_code int16 | error_message nullable string | tags (v2+)] | tags (v2+)]
//!           | tags (v2+)
//! ```
//! v0 knows only preferred elections (`election_type` 0).

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{read_structs, write_structs};

/// Kafka 2.6: versions 0 to 2, flexible from 2.
pub const SPEC: ApiSpec = ApiSpec {
    key: 43,
    name: "ElectLeaders",
    min: 0,
    max: 2,
    flexible_from: 2,
};

/// `election_type`: 0 preferred, 1 unclean (KIP-460).
pub const ELECTION_TYPE_PREFERRED: i8 = 0;
pub const ELECTION_TYPE_UNCLEAN: i8 = 1;
/// Kafka's error codes of this API's results.
pub const PREFERRED_LEADER_NOT_AVAILABLE: i16 = 80;
pub const ELIGIBLE_LEADERS_NOT_AVAILABLE: i16 = 83;
pub const ELECTION_NOT_NEEDED: i16 = 84;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPartitions {
    pub topic: String,
    pub partitions: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectLeadersRequest {
    pub election_type: i8,
    /// `None`: every partition of the cluster.
    pub topic_partitions: Option<Vec<TopicPartitions>>,
    pub timeout_ms: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionResult {
    pub partition_id: i32,
    pub error_code: i16,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaElectionResult {
    pub topic: String,
    pub partition_result: Vec<PartitionResult>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectLeadersResponse {
    pub throttle_time_ms: i32,
    /// The top-level error (v1+; 0 in v0).
    pub error_code: i16,
    pub replica_election_results: Vec<ReplicaElectionResult>,
}

impl ApiRequest for ElectLeadersRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = ElectLeadersResponse;

    fn decode(d: &mut Decoder<'_>, version: i16) -> Result<ElectLeadersRequest> {
        // BEGIN SOLUTION step 4: the election type from v1 (else preferred), the nullable topic list with its int32 partitions, the timeout; compact with tags from v2
        // ko: v1부터 선출 종류(아니면 preferred), null일 수 있는 토픽 목록과 int32 파티션들, 타임아웃. v2부터는 압축형과 태그
        let flexible = version >= 2;
        let election_type = if version >= 1 {
            d.i8()?
        } else {
            ELECTION_TYPE_PREFERRED
        };
        let topic_partitions = read_structs(d, flexible, |d| {
            let topic = d.string(flexible)?;
            let n = d.array_len(flexible)?.unwrap_or(0);
            let partitions = (0..n).map(|_| d.i32()).collect::<Result<Vec<i32>>>()?;
            Ok(TopicPartitions { topic, partitions })
        })?;
        let timeout_ms = d.i32()?;
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(ElectLeadersRequest {
            election_type,
            topic_partitions,
            timeout_ms,
        })
        // END SOLUTION
    }
}

impl ElectLeadersRequest {
    /// The admin's side: the body at `version`.
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        let flexible = version >= 2;
        if version >= 1 {
            e.i8(self.election_type);
        }
        write_structs(e, self.topic_partitions.as_deref(), flexible, |e, t| {
            e.string(&t.topic, flexible);
            e.array_len(Some(t.partitions.len()), flexible);
            for p in &t.partitions {
                e.i32(*p);
            }
        });
        e.i32(self.timeout_ms);
        e.no_tagged_fields(flexible);
    }
}

impl ApiResponse for ElectLeadersResponse {
    fn encode(&self, e: &mut Encoder, version: i16) {
        // BEGIN SOLUTION step 4: throttle time, the error code from v1, then per topic each partition's id, error code and nullable message; compact with tags from v2
        // ko: throttle time, v1부터 오류 코드, 그다음 토픽마다 파티션의 id, 오류 코드, null일 수 있는 메시지. v2부터는 압축형과 태그
        let flexible = version >= 2;
        e.i32(self.throttle_time_ms);
        if version >= 1 {
            e.i16(self.error_code);
        }
        write_structs(e, Some(&self.replica_election_results), flexible, |e, t| {
            e.string(&t.topic, flexible);
            write_structs(e, Some(&t.partition_result), flexible, |e, p| {
                e.i32(p.partition_id);
                e.i16(p.error_code);
                e.nullable_string(p.error_message.as_deref(), flexible);
            });
        });
        e.no_tagged_fields(flexible);
        // END SOLUTION
    }
}

impl ElectLeadersResponse {
    /// The admin's side: the controller's answer at `version`.
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<ElectLeadersResponse> {
        let flexible = version >= 2;
        let throttle_time_ms = d.i32()?;
        let error_code = if version >= 1 { d.i16()? } else { 0 };
        let replica_election_results = read_structs(d, flexible, |d| {
            let topic = d.string(flexible)?;
            let partition_result = read_structs(d, flexible, |d| {
                Ok(PartitionResult {
                    partition_id: d.i32()?,
                    error_code: d.i16()?,
                    error_message: d.nullable_string(flexible)?,
                })
            })?
            .unwrap_or_default();
            Ok(ReplicaElectionResult {
                topic,
                partition_result,
            })
        })?
        .unwrap_or_default();
        if flexible {
            d.skip_tagged_fields()?;
        }
        Ok(ElectLeadersResponse {
            throttle_time_ms,
            error_code,
            replica_election_results,
        })
    }
}
