//! Step 2: OffsetsForLeaderEpoch (API 23) on the wire, v0–v3 of Kafka 2.6, and the leader's
//! answer (`Partition.lastOffsetForLeaderEpoch`).

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition as OraclePartition, OffsetForLeaderTopic as OracleTopic,
};
use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset as OracleEpochEndOffset, OffsetForLeaderTopicResult as OracleTopicResult,
};
use kafka_protocol::messages::{
    BrokerId, OffsetForLeaderEpochRequest as OracleRequest,
    OffsetForLeaderEpochResponse as OracleResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use lab04_protocol_codec::{ApiRequest, ApiResponse, Decoder, Encoder};
use lab13_failover::last_offset_for_leader_epoch::{
    last_offset_for_leader_epoch, LocalReplicaState,
};
use lab13_failover::messages::offsets_for_leader_epoch::{
    EpochEndOffset, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
    OffsetForLeaderPartition, OffsetForLeaderTopic, OffsetForLeaderTopicResult, SPEC,
};
use lab13_failover::{ErrorCode, LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET};

/// The request body of a follower (broker 2) asking about `orders`-0, epoch 3, believing in
/// epoch 5, byte by byte for `version`.
fn request_bytes(version: i16) -> Vec<u8> {
    let mut b = Vec::new();
    if version >= 3 {
        b.extend([0, 0, 0, 2]); // replica_id 2
    }
    b.extend([0, 0, 0, 1]); // one topic
    b.extend([0, 6]);
    b.extend(b"orders");
    b.extend([0, 0, 0, 1]); // one partition
    b.extend([0, 0, 0, 0]); // partition_index 0
    if version >= 2 {
        b.extend([0, 0, 0, 5]); // current_leader_epoch 5
    }
    b.extend([0, 0, 0, 3]); // leader_epoch 3
    b
}

fn response_bytes(version: i16) -> Vec<u8> {
    let mut b = Vec::new();
    if version >= 2 {
        b.extend([0, 0, 0, 0]); // throttle_time_ms
    }
    b.extend([0, 0, 0, 1]);
    b.extend([0, 6]);
    b.extend(b"orders");
    b.extend([0, 0, 0, 1]);
    b.extend([0, 0]); // error_code
    b.extend([0, 0, 0, 0]); // partition_index
    if version >= 1 {
        b.extend([0, 0, 0, 2]); // leader_epoch 2
    }
    b.extend([0, 0, 0, 0, 0, 0, 0, 7]); // end_offset 7
    b
}

#[test]
fn step2_requests_of_every_version_decode_with_kafkas_defaults() {
    assert_eq!((SPEC.key, SPEC.min, SPEC.max), (23, 0, 3));
    for version in 0..=3 {
        let bytes = request_bytes(version);
        let mut d = Decoder::new(&bytes);
        let req = OffsetForLeaderEpochRequest::decode(&mut d, version).unwrap();
        d.finish().unwrap();
        let want = OffsetForLeaderEpochRequest {
            replica_id: if version >= 3 { 2 } else { -2 },
            topics: vec![OffsetForLeaderTopic {
                name: "orders".into(),
                partitions: vec![OffsetForLeaderPartition {
                    partition_index: 0,
                    current_leader_epoch: if version >= 2 { 5 } else { -1 },
                    leader_epoch: 3,
                }],
            }],
        };
        assert_eq!(req, want, "v{version}");
        let mut e = Encoder::new();
        req.encode(&mut e, version);
        assert_eq!(e.into_bytes(), bytes, "v{version} written back");
    }
    let short = &request_bytes(3)[..10];
    assert!(OffsetForLeaderEpochRequest::decode(&mut Decoder::new(short), 3).is_err());
}

#[test]
fn step2_responses_of_every_version_encode_as_kafka_lays_them_out() {
    let resp = OffsetForLeaderEpochResponse {
        throttle_time_ms: 0,
        topics: vec![OffsetForLeaderTopicResult {
            name: "orders".into(),
            partitions: vec![EpochEndOffset {
                error_code: 0,
                partition_index: 0,
                leader_epoch: 2,
                end_offset: 7,
            }],
        }],
    };
    for version in 0..=3 {
        let mut e = Encoder::new();
        resp.encode(&mut e, version);
        let bytes = e.into_bytes();
        assert_eq!(bytes, response_bytes(version), "v{version}");
        let back =
            OffsetForLeaderEpochResponse::decode(&mut Decoder::new(&bytes), version).unwrap();
        let want_epoch = if version >= 1 { 2 } else { -1 };
        assert_eq!(back.topics[0].partitions[0].leader_epoch, want_epoch);
    }
}

fn leader_cache() -> LeaderEpochFileCache {
    let mut c = LeaderEpochFileCache::new();
    for (e, o) in [(0, 0), (2, 4), (3, 7)] {
        c.assign(e, o).unwrap();
    }
    c
}

#[test]
fn step2_the_leader_answers_from_its_cache() {
    let cache = leader_cache();
    let local = LocalReplicaState {
        is_leader: true,
        leader_epoch: 3,
        cache: &cache,
        log_end_offset: 9,
    };
    assert_eq!(
        last_offset_for_leader_epoch(&local, Some(3), 2),
        (ErrorCode::None, 2, 7)
    );
    assert_eq!(
        last_offset_for_leader_epoch(&local, None, 3),
        (ErrorCode::None, 3, 9)
    );
    // KIP-279: epoch 1 is unknown here; the leader answers with the epoch below it.
    assert_eq!(
        last_offset_for_leader_epoch(&local, Some(3), 1),
        (ErrorCode::None, 0, 4)
    );
    let undefined = (ErrorCode::None, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
    assert_eq!(last_offset_for_leader_epoch(&local, Some(3), 4), undefined);
    let empty = LeaderEpochFileCache::new();
    let fresh = LocalReplicaState {
        cache: &empty,
        ..local
    };
    assert_eq!(last_offset_for_leader_epoch(&fresh, Some(3), 2), undefined);
}

#[test]
fn step2_the_current_leader_epoch_fences_stale_and_early_askers() {
    let cache = leader_cache();
    let local = LocalReplicaState {
        is_leader: true,
        leader_epoch: 3,
        cache: &cache,
        log_end_offset: 9,
    };
    let err = |e| (e, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
    assert_eq!(
        last_offset_for_leader_epoch(&local, Some(2), 2),
        err(ErrorCode::FencedLeaderEpoch)
    );
    assert_eq!(
        last_offset_for_leader_epoch(&local, Some(4), 2),
        err(ErrorCode::UnknownLeaderEpoch)
    );
    let follower = LocalReplicaState {
        is_leader: false,
        ..local
    };
    assert_eq!(
        last_offset_for_leader_epoch(&follower, Some(3), 2),
        err(ErrorCode::NotLeaderOrFollower)
    );
}

fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

fn oracle_bytes(m: &impl Encodable, version: i16) -> Vec<u8> {
    let mut buf = BytesMut::new();
    m.encode(&mut buf, version).unwrap();
    buf.to_vec()
}

/// Against an independent oracle: the `kafka-protocol` crate, generated from Kafka's message
/// JSON, has v2–v3 of Kafka 2.6's range (Kafka 4.0 dropped v0–v1, KIP-896).
#[test]
fn step2_offsets_for_leader_epoch_agrees_with_the_oracle() {
    let oracle = OracleRequest::default()
        .with_replica_id(BrokerId(2))
        .with_topics(vec![OracleTopic::default()
            .with_topic(name("orders"))
            .with_partitions(vec![OraclePartition::default()
                .with_partition(1)
                .with_current_leader_epoch(5)
                .with_leader_epoch(3)])]);
    for version in 2..=3 {
        let bytes = oracle_bytes(&oracle, version);
        let mut d = Decoder::new(&bytes);
        let ours = OffsetForLeaderEpochRequest::decode(&mut d, version).unwrap();
        d.finish().unwrap();
        assert_eq!(ours.replica_id, if version >= 3 { 2 } else { -2 });
        let p = &ours.topics[0].partitions[0];
        assert_eq!(
            (p.partition_index, p.current_leader_epoch, p.leader_epoch),
            (1, 5, 3)
        );

        let resp = OffsetForLeaderEpochResponse {
            throttle_time_ms: 7,
            topics: vec![OffsetForLeaderTopicResult {
                name: "orders".into(),
                partitions: vec![EpochEndOffset {
                    error_code: 74,
                    partition_index: 1,
                    leader_epoch: 2,
                    end_offset: 1 << 40,
                }],
            }],
        };
        let mut e = Encoder::new();
        resp.encode(&mut e, version);
        let back = OracleResponse::decode(&mut Bytes::from(e.into_bytes()), version).unwrap();
        let want = OracleResponse::default()
            .with_throttle_time_ms(7)
            .with_topics(vec![OracleTopicResult::default()
                .with_topic(name("orders"))
                .with_partitions(vec![OracleEpochEndOffset::default()
                    .with_error_code(74)
                    .with_partition(1)
                    .with_leader_epoch(2)
                    .with_end_offset(1 << 40)])]);
        assert_eq!(back, want, "v{version}");
    }
}
