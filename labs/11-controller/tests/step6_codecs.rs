//! Step 6: LeaderAndIsr, UpdateMetadata and StopReplica as bytes, laid out field by field from
//! Kafka 2.6's message specs (`clients/src/main/resources/common/message/*.json`). The
//! `kafka-protocol` crate starts at Kafka 4.0, which removed these APIs, so the expected bytes
//! are written here by hand, one field a line, with no help from the code under test.

use lab04_protocol_codec::{ApiRequest, ApiResponse, Decoder, Encoder};
use lab11_controller::messages::{leader_and_isr, stop_replica, update_metadata};
use lab11_controller::requests::*;

/// Big-endian fields and varints, written independently of lab 04's encoder.
#[derive(Default)]
struct Bytes(Vec<u8>);

impl Bytes {
    fn i8(mut self, v: i8) -> Self {
        self.0.push(v as u8);
        self
    }
    fn i16(mut self, v: i16) -> Self {
        self.0.extend(v.to_be_bytes());
        self
    }
    fn i32(mut self, v: i32) -> Self {
        self.0.extend(v.to_be_bytes());
        self
    }
    fn i64(mut self, v: i64) -> Self {
        self.0.extend(v.to_be_bytes());
        self
    }
    /// Classic string: int16 length, then the bytes.
    fn string(self, s: &str) -> Self {
        let mut b = self.i16(s.len() as i16);
        b.0.extend(s.as_bytes());
        b
    }
    /// Compact string: length + 1 as a one-byte varint (every string here is short).
    fn cstring(mut self, s: &str) -> Self {
        assert!(s.len() < 127);
        self.0.push(s.len() as u8 + 1);
        self.0.extend(s.as_bytes());
        self
    }
    /// Classic array count.
    fn count(self, n: i32) -> Self {
        self.i32(n)
    }
    /// Compact array count (n + 1), or a compact null (0); also an empty tag section is `u8(0)`.
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn int32s(self, values: &[i32]) -> Self {
        values
            .iter()
            .fold(self.count(values.len() as i32), |b, v| b.i32(*v))
    }
    fn cint32s(self, values: &[i32]) -> Self {
        values
            .iter()
            .fold(self.u8(values.len() as u8 + 1), |b, v| b.i32(*v))
    }
    fn tags(self) -> Self {
        self.u8(0)
    }
}

fn encoded(write: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    let mut e = Encoder::new();
    write(&mut e);
    e.into_bytes()
}

/// Decodes `bytes` whole, checking nothing is left over.
fn decode<T>(
    bytes: &[u8],
    read: impl FnOnce(&mut Decoder<'_>) -> lab04_protocol_codec::Result<T>,
) -> T {
    let mut d = Decoder::new(bytes);
    let value = read(&mut d).expect("decodes");
    d.finish().expect("every byte read");
    value
}

/// Every strict prefix of `bytes` is refused with an error, never a panic.
fn truncations_fail<T: std::fmt::Debug>(
    bytes: &[u8],
    read: impl Fn(&mut Decoder<'_>) -> lab04_protocol_codec::Result<T>,
) {
    for len in 0..bytes.len() {
        let mut d = Decoder::new(&bytes[..len]);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(&mut d)));
        match result {
            Ok(Err(_)) => {}
            Ok(Ok(v)) => panic!("{len} of {} bytes decoded as {v:?}", bytes.len()),
            Err(_) => panic!("decoding {len} of {} bytes panicked", bytes.len()),
        }
    }
}

fn lai_state(partition_index: i32, leader: i32, is_new: bool) -> LeaderAndIsrPartitionState {
    LeaderAndIsrPartitionState {
        partition_index,
        controller_epoch: 3,
        leader,
        leader_epoch: 7,
        isr: vec![1, 2],
        zk_version: 5,
        replicas: vec![1, 2, 3],
        adding_replicas: vec![],
        removing_replicas: vec![],
        is_new,
    }
}

fn lai_request(broker_epoch: i64) -> LeaderAndIsrRequest {
    LeaderAndIsrRequest {
        controller_id: 1,
        controller_epoch: 3,
        broker_epoch,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: "orders".into(),
            partition_states: vec![lai_state(0, 1, true), lai_state(1, 2, false)],
        }],
        live_leaders: vec![
            LeaderAndIsrLiveLeader {
                broker_id: 1,
                host_name: "kafka01".into(),
                port: 9092,
            },
            LeaderAndIsrLiveLeader {
                broker_id: 2,
                host_name: "kafka02".into(),
                port: 9092,
            },
        ],
    }
}

/// `LeaderAndIsrPartitionState` in v1: the topic name in every partition, no adding/removing.
fn lai_v1_state(b: Bytes, partition: i32, leader: i32, is_new: bool) -> Bytes {
    b.string("orders") // TopicName (v0-1)
        .i32(partition) // PartitionIndex
        .i32(3) // ControllerEpoch
        .i32(leader) // Leader
        .i32(7) // LeaderEpoch
        .int32s(&[1, 2]) // Isr
        .i32(5) // ZkVersion
        .int32s(&[1, 2, 3]) // Replicas
        .i8(i8::from(is_new)) // IsNew (v1+)
}

fn lai_v4_state(b: Bytes, partition: i32, leader: i32, is_new: bool) -> Bytes {
    b.i32(partition) // PartitionIndex
        .i32(3) // ControllerEpoch
        .i32(leader) // Leader
        .i32(7) // LeaderEpoch
        .cint32s(&[1, 2]) // Isr
        .i32(5) // ZkVersion
        .cint32s(&[1, 2, 3]) // Replicas
        .cint32s(&[]) // AddingReplicas (v3+)
        .cint32s(&[]) // RemovingReplicas (v3+)
        .i8(i8::from(is_new)) // IsNew
        .tags()
}

#[test]
fn step6_leader_and_isr_v1_lists_every_partition_with_its_topic() {
    let b = Bytes::default().i32(1).i32(3); // ControllerId, ControllerEpoch; no BrokerEpoch in v1
    let b = b.count(2); // UngroupedPartitionStates
    let b = lai_v1_state(b, 0, 1, true);
    let b = lai_v1_state(b, 1, 2, false);
    let b = b.count(2).i32(1).string("kafka01").i32(9092); // LiveLeaders
    let golden = b.i32(2).string("kafka02").i32(9092).0;

    // Read, v1 has no broker epoch: Kafka's default, -1.
    let read = decode(&golden, |d| LeaderAndIsrRequest::decode(d, 1));
    assert_eq!(read, lai_request(-1));
    assert_eq!(encoded(|e| lai_request(-1).encode(e, 1)), golden);
    truncations_fail(&golden, |d| LeaderAndIsrRequest::decode(d, 1));
}

#[test]
fn step6_leader_and_isr_v4_is_flexible_and_grouped_by_topic() {
    let b = Bytes::default().i32(1).i32(3).i64(0x1_0000_0042); // ..., BrokerEpoch (v2+)
    let b = b.u8(2).cstring("orders").u8(3); // TopicStates: one topic, two partitions
    let b = lai_v4_state(b, 0, 1, true);
    let b = lai_v4_state(b, 1, 2, false);
    let b = b.tags(); // the topic's tags
    let b = b.u8(3).i32(1).cstring("kafka01").i32(9092).tags(); // LiveLeaders
    let golden = b.i32(2).cstring("kafka02").i32(9092).tags().tags().0;

    let read = decode(&golden, |d| LeaderAndIsrRequest::decode(d, 4));
    assert_eq!(read, lai_request(0x1_0000_0042));
    assert_eq!(encoded(|e| read.encode(e, 4)), golden);
    truncations_fail(&golden, |d| LeaderAndIsrRequest::decode(d, 4));

    // An unknown tagged field (tag 9, two bytes) in the request is skipped.
    let mut tagged = golden.clone();
    tagged.pop();
    tagged.extend([1, 9, 2, 0xAB, 0xCD]);
    assert_eq!(decode(&tagged, |d| LeaderAndIsrRequest::decode(d, 4)), read);
    // Version 3 adds AddingReplicas and RemovingReplicas, round trip through the codec.
    let mut moving = lai_request(9);
    moving.topic_states[0].partition_states[0].adding_replicas = vec![3];
    moving.topic_states[0].partition_states[0].removing_replicas = vec![1];
    let v3 = encoded(|e| moving.encode(e, 3));
    assert_eq!(decode(&v3, |d| LeaderAndIsrRequest::decode(d, 3)), moving);
}

#[test]
fn step6_leader_and_isr_responses_v0_and_v4() {
    let response = LeaderAndIsrResponse {
        error_code: 0,
        partition_errors: vec![
            LeaderAndIsrPartitionError {
                topic_name: "orders".into(),
                partition_index: 0,
                error_code: 0,
            },
            LeaderAndIsrPartitionError {
                topic_name: "orders".into(),
                partition_index: 1,
                error_code: error_code::STALE_CONTROLLER_EPOCH,
            },
        ],
    };
    let v0 = Bytes::default()
        .i16(0) // ErrorCode
        .count(2) // PartitionErrors
        .string("orders")
        .i32(0)
        .i16(0)
        .string("orders")
        .i32(1)
        .i16(11)
        .0;
    let v4 = Bytes::default()
        .i16(0)
        .u8(3)
        .cstring("orders")
        .i32(0)
        .i16(0)
        .tags()
        .cstring("orders")
        .i32(1)
        .i16(11)
        .tags()
        .tags()
        .0;
    assert_eq!(encoded(|e| response.encode(e, 0)), v0);
    assert_eq!(encoded(|e| response.encode(e, 4)), v4);
    assert_eq!(
        decode(&v0, |d| LeaderAndIsrResponse::decode(d, 0)),
        response
    );
    assert_eq!(
        decode(&v4, |d| LeaderAndIsrResponse::decode(d, 4)),
        response
    );
    truncations_fail(&v4, |d| LeaderAndIsrResponse::decode(d, 4));
    assert_eq!(leader_and_isr::SPEC.key, 4);
    assert_eq!(
        (leader_and_isr::SPEC.max, leader_and_isr::SPEC.flexible_from),
        (4, 4)
    );
}

fn um_state(partition_index: i32, leader: i32, offline: Vec<i32>) -> UpdateMetadataPartitionState {
    UpdateMetadataPartitionState {
        partition_index,
        controller_epoch: 3,
        leader,
        leader_epoch: 7,
        isr: vec![leader],
        zk_version: 5,
        replicas: vec![1, 2],
        offline_replicas: offline,
    }
}

fn um_request(broker_epoch: i64, listener: &str, rack: Option<&str>) -> UpdateMetadataRequest {
    UpdateMetadataRequest {
        controller_id: 1,
        controller_epoch: 3,
        broker_epoch,
        topic_states: vec![UpdateMetadataTopicState {
            topic_name: "orders".into(),
            partition_states: vec![um_state(0, 1, vec![]), um_state(1, 2, vec![3])],
        }],
        live_brokers: vec![UpdateMetadataBroker {
            id: 1,
            endpoints: vec![UpdateMetadataEndpoint {
                port: 9092,
                host: "kafka01".into(),
                listener: listener.into(),
                security_protocol: 0,
            }],
            rack: rack.map(str::to_string),
        }],
    }
}

#[test]
fn step6_update_metadata_v5_groups_partitions_by_topic() {
    let state = |b: Bytes, partition: i32, leader: i32, offline: &[i32]| {
        b.i32(partition) // PartitionIndex (no TopicName from v5)
            .i32(3) // ControllerEpoch
            .i32(leader) // Leader
            .i32(7) // LeaderEpoch
            .int32s(&[leader]) // Isr
            .i32(5) // ZkVersion
            .int32s(&[1, 2]) // Replicas
            .int32s(offline) // OfflineReplicas (v4+)
    };
    let b = Bytes::default().i32(1).i32(3).i64(42); // ControllerId, ControllerEpoch, BrokerEpoch
    let b = b.count(1).string("orders").count(2); // TopicStates
    let b = state(b, 0, 1, &[]);
    let b = state(b, 1, 2, &[3]);
    let b = b.count(1).i32(1); // LiveBrokers: Id
    let b = b
        .count(1)
        .i32(9092)
        .string("kafka01")
        .string("CLIENTS")
        .i16(0); // Endpoints
    let golden = b.string("rack-a").0; // Rack (v2+)

    let expected = um_request(42, "CLIENTS", Some("rack-a"));
    assert_eq!(
        decode(&golden, |d| UpdateMetadataRequest::decode(d, 5)),
        expected
    );
    assert_eq!(encoded(|e| expected.encode(e, 5)), golden);
    truncations_fail(&golden, |d| UpdateMetadataRequest::decode(d, 5));
}

#[test]
fn step6_update_metadata_v0_has_one_plaintext_address_per_broker() {
    let state = |b: Bytes, partition: i32, leader: i32| {
        b.string("orders") // TopicName (v0-4)
            .i32(partition)
            .i32(3)
            .i32(leader)
            .i32(7)
            .int32s(&[leader])
            .i32(5)
            .int32s(&[1, 2]) // no OfflineReplicas before v4
    };
    let b = Bytes::default().i32(1).i32(3); // no BrokerEpoch before v5
    let b = b.count(2); // UngroupedPartitionStates
    let b = state(b, 0, 1);
    let b = state(b, 1, 2);
    let golden = b.count(1).i32(1).string("kafka01").i32(9092).0; // Id, V0Host, V0Port

    // v0's address is the PLAINTEXT listener; there is no rack, offline list or broker epoch.
    let mut expected = um_request(-1, "PLAINTEXT", None);
    expected.topic_states[0].partition_states[1]
        .offline_replicas
        .clear();
    assert_eq!(
        decode(&golden, |d| UpdateMetadataRequest::decode(d, 0)),
        expected
    );
    assert_eq!(encoded(|e| expected.encode(e, 0)), golden);
    truncations_fail(&golden, |d| UpdateMetadataRequest::decode(d, 0));

    // v1-2 endpoints have no listener: it is named after the security protocol (SSL = 1).
    let v2 = Bytes::default()
        .i32(1)
        .i32(3)
        .count(0)
        .count(1)
        .i32(1)
        .count(1)
        .i32(9093)
        .string("kafka01")
        .i16(1)
        .i16(-1) // Rack: null
        .0;
    let read = decode(&v2, |d| UpdateMetadataRequest::decode(d, 2));
    assert_eq!(read.live_brokers[0].endpoints[0].listener, "SSL");
    assert_eq!(read.live_brokers[0].rack, None);
    assert_eq!(
        update_metadata::listener_for_security_protocol(3),
        "SASL_SSL"
    );
}

#[test]
fn step6_update_metadata_v6_is_flexible() {
    let state = |b: Bytes, partition: i32, leader: i32, offline: &[i32]| {
        b.i32(partition)
            .i32(3)
            .i32(leader)
            .i32(7)
            .cint32s(&[leader])
            .i32(5)
            .cint32s(&[1, 2])
            .cint32s(offline)
            .tags()
    };
    let b = Bytes::default().i32(1).i32(3).i64(42);
    let b = b.u8(2).cstring("orders").u8(3); // TopicStates: one topic, two partitions
    let b = state(b, 0, 1, &[]);
    let b = state(b, 1, 2, &[3]);
    let b = b.tags(); // the topic's tags
    let b = b.u8(2).i32(1); // LiveBrokers: Id
    let b = b
        .u8(2)
        .i32(9092)
        .cstring("kafka01")
        .cstring("PLAINTEXT")
        .i16(0)
        .tags();
    let golden = b.u8(0).tags().tags().0; // Rack null (compact 0), broker tags, request tags

    let expected = um_request(42, "PLAINTEXT", None);
    assert_eq!(
        decode(&golden, |d| UpdateMetadataRequest::decode(d, 6)),
        expected
    );
    assert_eq!(encoded(|e| expected.encode(e, 6)), golden);
    truncations_fail(&golden, |d| UpdateMetadataRequest::decode(d, 6));

    // The response: an error code, and from v6 a tag section.
    let response = UpdateMetadataResponse {
        error_code: error_code::STALE_CONTROLLER_EPOCH,
    };
    assert_eq!(encoded(|e| response.encode(e, 5)), [0, 11]);
    assert_eq!(encoded(|e| response.encode(e, 6)), [0, 11, 0]);
    assert_eq!(
        decode(&[0, 11, 0], |d| UpdateMetadataResponse::decode(d, 6)),
        response
    );
    assert_eq!(
        decode(&[0, 11], |d| UpdateMetadataResponse::decode(d, 0)),
        response
    );
    assert_eq!(update_metadata::SPEC.key, 6);
    assert_eq!(
        (
            update_metadata::SPEC.max,
            update_metadata::SPEC.flexible_from
        ),
        (6, 6)
    );
}

fn sr_request(broker_epoch: i64, leader_epoch: i32, delete: bool) -> StopReplicaRequest {
    StopReplicaRequest {
        controller_id: 1,
        controller_epoch: 3,
        broker_epoch,
        topic_states: vec![
            StopReplicaTopicState {
                topic_name: "orders".into(),
                partition_states: vec![
                    StopReplicaPartitionState {
                        partition_index: 0,
                        leader_epoch,
                        delete_partition: delete,
                    },
                    StopReplicaPartitionState {
                        partition_index: 2,
                        leader_epoch,
                        delete_partition: delete,
                    },
                ],
            },
            StopReplicaTopicState {
                topic_name: "audit".into(),
                partition_states: vec![StopReplicaPartitionState {
                    partition_index: 1,
                    leader_epoch,
                    delete_partition: delete,
                }],
            },
        ],
    }
}

#[test]
fn step6_stop_replica_v0_and_v1_carry_one_delete_flag() {
    let v0 = Bytes::default()
        .i32(1) // ControllerId
        .i32(3) // ControllerEpoch
        .i8(1) // DeletePartitions (v0-2)
        .count(3) // UngroupedPartitions (v0)
        .string("orders")
        .i32(0)
        .string("orders")
        .i32(2)
        .string("audit")
        .i32(1)
        .0;
    let expected = sr_request(-1, -1, true);
    assert_eq!(decode(&v0, |d| StopReplicaRequest::decode(d, 0)), expected);
    assert_eq!(encoded(|e| expected.encode(e, 0)), v0);
    truncations_fail(&v0, |d| StopReplicaRequest::decode(d, 0));

    let v1 = Bytes::default()
        .i32(1)
        .i32(3)
        .i64(42) // BrokerEpoch (v1+)
        .i8(0) // DeletePartitions
        .count(2) // Topics (v1-2)
        .string("orders")
        .int32s(&[0, 2]) // PartitionIndexes
        .string("audit")
        .int32s(&[1])
        .0;
    let expected = sr_request(42, -1, false);
    assert_eq!(decode(&v1, |d| StopReplicaRequest::decode(d, 1)), expected);
    assert_eq!(encoded(|e| expected.encode(e, 1)), v1);
    truncations_fail(&v1, |d| StopReplicaRequest::decode(d, 1));

    // Mixed flags cannot be said in one v1 flag: "delete" only when every partition says so.
    let mut mixed = sr_request(42, -1, true);
    mixed.topic_states[1].partition_states[0].delete_partition = false;
    assert_eq!(encoded(|e| mixed.encode(e, 1)), v1);
}

#[test]
fn step6_stop_replica_v2_is_flexible_and_v3_has_states() {
    let v2 = Bytes::default()
        .i32(1)
        .i32(3)
        .i64(42)
        .i8(1) // DeletePartitions
        .u8(3) // Topics
        .cstring("orders")
        .cint32s(&[0, 2])
        .tags()
        .cstring("audit")
        .cint32s(&[1])
        .tags()
        .tags()
        .0;
    let expected = sr_request(42, -1, true);
    assert_eq!(decode(&v2, |d| StopReplicaRequest::decode(d, 2)), expected);
    assert_eq!(encoded(|e| expected.encode(e, 2)), v2);
    truncations_fail(&v2, |d| StopReplicaRequest::decode(d, 2));

    let partition = |b: Bytes, index: i32| b.i32(index).i32(-2).i8(1).tags();
    let b = Bytes::default().i32(1).i32(3).i64(42); // no DeletePartitions in v3
    let b = b.u8(3).cstring("orders").u8(3); // TopicStates
    let b = partition(partition(b, 0), 2).tags();
    let b = b.cstring("audit").u8(2);
    let v3 = partition(b, 1).tags().tags().0;
    let expected = sr_request(42, -2, true);
    assert_eq!(decode(&v3, |d| StopReplicaRequest::decode(d, 3)), expected);
    assert_eq!(encoded(|e| expected.encode(e, 3)), v3);
    truncations_fail(&v3, |d| StopReplicaRequest::decode(d, 3));
    assert_eq!(stop_replica::SPEC.key, 5);
    assert_eq!(
        (stop_replica::SPEC.max, stop_replica::SPEC.flexible_from),
        (3, 2)
    );
}

#[test]
fn step6_stop_replica_responses_v1_and_v2() {
    let response = StopReplicaResponse {
        error_code: 0,
        partition_errors: vec![StopReplicaPartitionError {
            topic_name: "orders".into(),
            partition_index: 2,
            error_code: 3,
        }],
    };
    let v1 = Bytes::default()
        .i16(0)
        .count(1)
        .string("orders")
        .i32(2)
        .i16(3)
        .0;
    let v2 = Bytes::default()
        .i16(0)
        .u8(2)
        .cstring("orders")
        .i32(2)
        .i16(3)
        .tags()
        .tags()
        .0;
    assert_eq!(encoded(|e| response.encode(e, 1)), v1);
    assert_eq!(encoded(|e| response.encode(e, 2)), v2);
    assert_eq!(decode(&v1, |d| StopReplicaResponse::decode(d, 1)), response);
    assert_eq!(decode(&v2, |d| StopReplicaResponse::decode(d, 2)), response);
    truncations_fail(&v2, |d| StopReplicaResponse::decode(d, 2));
}
