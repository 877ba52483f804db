//! Step 5: Metadata requests from real clients, and responses byte for byte, v0 to v9.

use lab04_protocol_codec::metadata::AUTHORIZED_OPERATIONS_OMITTED;
use lab04_protocol_codec::{
    decode_request, ApiRegistry, ApiRequest, ApiResponse, Decoder, Encoder, ErrorCode,
    MetadataBroker, MetadataPartition, MetadataRequest, MetadataResponse, MetadataTopic,
};

const KCAT_BROKERS: &[u8] = include_bytes!("data/kcat_metadata_v4_brokers_only.bin");
const KCAT_ORDERS: &[u8] = include_bytes!("data/kcat_metadata_v4_orders.bin");
const CONFLUENT_ORDERS: &[u8] = include_bytes!("data/confluent_kafka_metadata_v9_orders.bin");
const KAFKA_PYTHON: &[u8] = include_bytes!("data/kafka_python_metadata_v9.bin");

fn metadata(frame: &[u8]) -> MetadataRequest {
    let request = decode_request(&frame[4..], &ApiRegistry::core()).unwrap();
    request.body().unwrap()
}

#[test]
fn step5_requests_of_real_clients() {
    let m = metadata(KCAT_BROKERS);
    assert_eq!(
        (m.topics, m.allow_auto_topic_creation),
        (Some(vec![]), false),
        "brokers only"
    );
    let m = metadata(KCAT_ORDERS);
    assert_eq!(
        (m.topics, m.allow_auto_topic_creation),
        (Some(vec!["orders".to_string()]), true)
    );
    let m = metadata(CONFLUENT_ORDERS);
    assert_eq!(m.topics, Some(vec!["orders".to_string()]));
    assert!(!m.include_cluster_authorized_operations && !m.include_topic_authorized_operations);
    let m = metadata(KAFKA_PYTHON);
    assert_eq!(
        (m.topics, m.allow_auto_topic_creation),
        (Some(vec![]), true)
    );
}

#[test]
fn step5_all_topics_is_an_empty_array_in_v0_and_null_later() {
    let all_v0 = [0, 0, 0, 0];
    assert_eq!(
        MetadataRequest::decode(&mut Decoder::new(&all_v0), 0)
            .unwrap()
            .topics,
        None
    );
    let all_v1 = [0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        MetadataRequest::decode(&mut Decoder::new(&all_v1), 1)
            .unwrap()
            .topics,
        None
    );
    assert_eq!(
        MetadataRequest::decode(&mut Decoder::new(&all_v0), 1)
            .unwrap()
            .topics,
        Some(vec![])
    );
    let all_v9 = [0, 1, 0, 0, 0];
    let m = MetadataRequest::decode(&mut Decoder::new(&all_v9), 9).unwrap();
    assert_eq!((m.topics, m.allow_auto_topic_creation), (None, true));
}

fn response() -> MetadataResponse {
    MetadataResponse {
        throttle_time_ms: 0,
        brokers: vec![MetadataBroker {
            node_id: 1,
            host: "kafka01".into(),
            port: 9092,
            rack: None,
        }],
        cluster_id: Some("kl".into()),
        controller_id: 1,
        topics: vec![MetadataTopic {
            error_code: ErrorCode::None,
            name: "orders".into(),
            is_internal: false,
            partitions: vec![MetadataPartition {
                error_code: ErrorCode::None,
                partition_index: 0,
                leader_id: 1,
                leader_epoch: 5,
                replica_nodes: vec![1],
                isr_nodes: vec![1],
                offline_replicas: vec![],
            }],
            topic_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        }],
        cluster_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
    }
}

fn encode(version: i16) -> Vec<u8> {
    let mut e = Encoder::new();
    response().encode(&mut e, version);
    e.into_bytes()
}

#[test]
fn step5_responses_have_each_versions_fields() {
    #[rustfmt::skip]
    let v0: Vec<u8> = [
        &[0, 0, 0, 1][..],                      // brokers: 1
        &[0, 0, 0, 1], b"\x00\x07kafka01", &[0, 0, 0x23, 0x84], // node 1, host, port 9092
        &[0, 0, 0, 1],                          // topics: 1
        &[0, 0], b"\x00\x06orders",             // error none, name
        &[0, 0, 0, 1],                          // partitions: 1
        &[0, 0], &[0, 0, 0, 0], &[0, 0, 0, 1],  // error, index 0, leader 1
        &[0, 0, 0, 1, 0, 0, 0, 1],              // replicas [1]
        &[0, 0, 0, 1, 0, 0, 0, 1],              // isr [1]
    ].concat();
    assert_eq!(encode(0), v0);

    #[rustfmt::skip]
    let v9: Vec<u8> = [
        &[0, 0, 0, 0][..],                       // throttle time
        &[2],                                    // brokers: 1, compact
        &[0, 0, 0, 1], b"\x08kafka01", &[0, 0, 0x23, 0x84], &[0], &[0], // rack null, tags
        b"\x03kl",                               // cluster id
        &[0, 0, 0, 1],                           // controller
        &[2],                                    // topics: 1
        &[0, 0], b"\x07orders", &[0],            // error, name, is_internal
        &[2],                                    // partitions: 1
        &[0, 0], &[0, 0, 0, 0], &[0, 0, 0, 1], &[0, 0, 0, 5], // error, index, leader, epoch
        &[2, 0, 0, 0, 1], &[2, 0, 0, 0, 1], &[1], &[0], // replicas, isr, offline [], tags
        &[0x80, 0, 0, 0], &[0],                  // topic authorized operations, tags
        &[0x80, 0, 0, 0],                        // cluster authorized operations (v8-10)
        &[0],                                    // tags
    ].concat();
    assert_eq!(encode(9), v9);

    // Each version between adds its fields: the sizes grow as the spec says.
    let sizes: Vec<usize> = (0..=9).map(|v| encode(v).len()).collect();
    assert_eq!(
        sizes[1] - sizes[0],
        2 + 4 + 1,
        "v1: rack, controller id, is_internal"
    );
    assert_eq!(sizes[2] - sizes[1], 4, "v2: cluster id");
    assert_eq!(sizes[3] - sizes[2], 4, "v3: throttle time");
    assert_eq!(sizes[4], sizes[3]);
    assert_eq!(sizes[5] - sizes[4], 4, "v5: offline replicas");
    assert_eq!(sizes[7] - sizes[6], 4, "v7: leader epoch");
    assert_eq!(sizes[8] - sizes[7], 8, "v8: authorized operations");
}

#[test]
fn step5_truncated_requests_are_errors() {
    for frame in [KCAT_ORDERS, CONFLUENT_ORDERS] {
        for cut in 4 + 12..frame.len() {
            let request = decode_request(&frame[4..cut], &ApiRegistry::core());
            assert!(
                request.and_then(|r| r.body::<MetadataRequest>()).is_err(),
                "cut at {cut}"
            );
        }
    }
}
