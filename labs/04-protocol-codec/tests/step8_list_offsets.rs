//! Step 8: ListOffsets — where does the log begin, end, or reach a time?

use lab04_protocol_codec::{
    decode_request, ApiRegistry, ApiResponse, Encoder, ErrorCode, ListOffsetsPartition,
    ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse,
    ListOffsetsTopicResponse, EARLIEST_TIMESTAMP,
};

const KCAT: &[u8] = include_bytes!("data/kcat_list_offsets_v2.bin");

#[test]
fn step8_kcat_asks_for_the_earliest_offset() {
    let request = decode_request(&KCAT[4..], &ApiRegistry::core()).unwrap();
    assert_eq!((request.header.api_key, request.header.api_version), (2, 2));
    let list: ListOffsetsRequest = request.body().unwrap();
    assert_eq!(list.replica_id, -1);
    assert_eq!(
        list.isolation_level, 1,
        "librdkafka reads committed data by default"
    );
    assert_eq!(list.topics[0].name, "orders");
    assert_eq!(
        list.topics[0].partitions,
        vec![ListOffsetsPartition {
            partition: 0,
            current_leader_epoch: -1,
            timestamp: EARLIEST_TIMESTAMP
        }]
    );
}

#[test]
fn step8_the_response_per_version() {
    let response = ListOffsetsResponse {
        throttle_time_ms: 0,
        topics: vec![ListOffsetsTopicResponse {
            name: "orders".into(),
            partitions: vec![ListOffsetsPartitionResponse {
                partition: 0,
                error_code: ErrorCode::None,
                timestamp: -1,
                offset: 42,
                leader_epoch: 3,
            }],
        }],
    };
    let encode = |v| {
        let mut e = Encoder::new();
        response.encode(&mut e, v);
        e.into_bytes()
    };
    #[rustfmt::skip]
    let v1: Vec<u8> = [
        &[0, 0, 0, 1][..], b"\x00\x06orders", &[0, 0, 0, 1],
        &[0, 0, 0, 0], &[0, 0], &(-1i64).to_be_bytes(), &42i64.to_be_bytes(),
    ].concat();
    assert_eq!(encode(1), v1);
    assert_eq!(
        encode(2),
        [&[0, 0, 0, 0][..], &v1].concat(),
        "v2 adds the throttle time first"
    );
    assert_eq!(
        encode(4),
        [&[0, 0, 0, 0][..], &v1, &[0, 0, 0, 3]].concat(),
        "v4 adds the leader epoch"
    );
}
