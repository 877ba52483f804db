//! The request decoder meets arbitrary and damaged bytes: it must answer with an error (or a
//! request), never panic, whatever a client sends. Seeded, so every run checks the same cases
//! and a failure replays.

use lab04_protocol_codec::{decode_request, frame, ApiRegistry, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const CAPTURES: [&[u8]; 11] = [
    include_bytes!("../../labs/04-protocol-codec/tests/data/kcat_api_versions_v3.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kcat_metadata_v4_orders.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kcat_metadata_v4_brokers_only.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/confluent_kafka_api_versions_v3.bin"),
    include_bytes!(
        "../../labs/04-protocol-codec/tests/data/confluent_kafka_metadata_v9_orders.bin"
    ),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kafka_python_api_versions_v3.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kafka_python_api_versions_v4.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kafka_python_metadata_v9.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kcat_produce_v7.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kcat_fetch_v11.bin"),
    include_bytes!("../../labs/04-protocol-codec/tests/data/kcat_list_offsets_v2.bin"),
];

/// The header, then the body with the decoder of the API the header names (lab 04's APIs).
fn decode_request_and_body(bytes: &[u8]) -> lab04_protocol_codec::Result<()> {
    use lab04_protocol_codec as p;
    let request: Request<'_> = decode_request(bytes, &ApiRegistry::core())?;
    if request.spec.is_none() {
        return Ok(()); // the broker answers or closes without reading the body
    }
    match request.header.api_key {
        0 => request.body::<p::ProduceRequest>().map(drop),
        1 => request.body::<p::FetchRequest>().map(drop),
        2 => request.body::<p::ListOffsetsRequest>().map(drop),
        3 => request.body::<p::MetadataRequest>().map(drop),
        18 => request.body::<p::ApiVersionsRequest>().map(drop),
        22 => request.body::<p::InitProducerIdRequest>().map(drop),
        _ => Ok(()),
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x6b61_666b_616c_6162),
        ..Config::default()
    })
}

#[test]
fn arbitrary_bytes_never_panic_the_decoder() {
    runner(20_000)
        .run(&proptest::collection::vec(any::<u8>(), 0..256), |bytes| {
            let _ = decode_request_and_body(&bytes);
            let _ = frame::check(&bytes, 1 << 20);
            Ok(())
        })
        .unwrap();
}

#[test]
fn damaged_real_requests_never_panic_the_decoder() {
    // Real requests with a few bytes changed or the tail cut: the inputs most likely to get
    // deep into the decoder before something is wrong.
    let strategy = (
        0..CAPTURES.len(),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        any::<usize>(),
    );
    runner(20_000)
        .run(&strategy, |(which, edits, cut)| {
            let mut bytes = CAPTURES[which][4..].to_vec();
            for (at, value) in edits {
                let i = at % bytes.len();
                bytes[i] = value;
            }
            let len = bytes.len();
            bytes.truncate(len - cut % (len / 2 + 1));
            let _ = decode_request_and_body(&bytes);
            Ok(())
        })
        .unwrap();
    // And the captures themselves still decode.
    for capture in CAPTURES {
        decode_request_and_body(&capture[4..]).unwrap();
    }
}

/// Lab 06's and lab 07's request decoders (topic admin and consumer groups) at every version
/// they accept: arbitrary bytes and real requests with bytes flipped give a request or an
/// error, never a panic. The real requests are encoded by the `kafka-protocol` crate.
#[test]
fn admin_and_group_decoders_never_panic() {
    use lab04_protocol_codec::{ApiRequest, Decoder};
    use lab06_topics::create_topics::CreateTopicsRequest;
    use lab06_topics::delete_topics::DeleteTopicsRequest;
    use lab06_topics::describe_configs::DescribeConfigsRequest;
    use lab07_consumer_groups::messages as m;

    fn all(bytes: &[u8]) {
        for v in 0..=7i16 {
            let _ = CreateTopicsRequest::decode(&mut Decoder::new(bytes), v);
            let _ = DeleteTopicsRequest::decode(&mut Decoder::new(bytes), v);
            let _ = DescribeConfigsRequest::decode(&mut Decoder::new(bytes), v);
            let _ =
                m::find_coordinator::FindCoordinatorRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::join_group::JoinGroupRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::sync_group::SyncGroupRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::heartbeat::HeartbeatRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::leave_group::LeaveGroupRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::offset_commit::OffsetCommitRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::offset_fetch::OffsetFetchRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::describe_groups::DescribeGroupsRequest::decode(&mut Decoder::new(bytes), v);
            let _ = m::delete_groups::DeleteGroupsRequest::decode(&mut Decoder::new(bytes), v);
            let _ = lab07_consumer_groups::consumer_protocol::Assignment::decode(bytes);
            let _ = lab07_consumer_groups::consumer_protocol::Subscription::decode(bytes);
            let _ = lab07_consumer_groups::offsets::decode_key(bytes, 0);
            let _ = lab07_consumer_groups::offsets::decode_value(bytes, 0);
        }
    }

    runner(5_000)
        .run(&proptest::collection::vec(any::<u8>(), 0..128), |bytes| {
            all(&bytes);
            Ok(())
        })
        .unwrap();

    // Real bodies, as kafka-protocol encodes them, then damaged byte by byte.
    use bytes::BytesMut;
    use kafka_protocol::messages::{GroupId, JoinGroupRequest, OffsetCommitRequest, TopicName};
    use kafka_protocol::protocol::{Encodable, StrBytes};
    let s = |v: &str| StrBytes::from_string(v.to_string());
    let mut bodies = Vec::new();
    for v in 0..=5 {
        let mut b = BytesMut::new();
        JoinGroupRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_session_timeout_ms(10_000)
            .with_rebalance_timeout_ms(30_000)
            .with_member_id(s("m-1"))
            .with_protocol_type(s("consumer"))
            .with_protocols(vec![
                kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol::default()
                    .with_name(s("range"))
                    .with_metadata(bytes::Bytes::from_static(
                        b"\0\0\0\0\0\x01\0\x01t\xff\xff\xff\xff",
                    )),
            ])
            .encode(&mut b, v)
            .unwrap();
        bodies.push(b.to_vec());
    }
    for v in 2..=7 {
        let mut b = BytesMut::new();
        OffsetCommitRequest::default()
            .with_group_id(GroupId(s("g")))
            .with_generation_id_or_member_epoch(3)
            .with_member_id(s("m-1"))
            .with_retention_time_ms(-1)
            .with_topics(vec![kafka_protocol::messages::offset_commit_request::OffsetCommitRequestTopic::default()
                .with_name(TopicName(s("t")))
                .with_partitions(vec![
                    kafka_protocol::messages::offset_commit_request::OffsetCommitRequestPartition::default()
                        .with_partition_index(2)
                        .with_committed_offset(42)
                        .with_committed_metadata(Some(s(""))),
                ])])
            .encode(&mut b, v)
            .unwrap();
        bodies.push(b.to_vec());
    }
    runner(3_000)
        .run(
            &(0..bodies.len(), any::<usize>(), any::<u8>()),
            |(i, at, byte)| {
                let mut body = bodies[i].clone();
                let at = at % body.len();
                body[at] = byte;
                all(&body);
                all(&body[..at]);
                Ok(())
            },
        )
        .unwrap();
}
