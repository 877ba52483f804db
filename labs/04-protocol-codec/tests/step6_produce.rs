//! Step 6: Produce — kcat's request with its record batch, and the response per version.

use lab01_record_batch::{Header, RecordBatch};
use lab04_protocol_codec::{
    decode_request, ApiRegistry, ApiResponse, Encoder, ErrorCode, ProducePartitionResponse,
    ProduceRequest, ProduceResponse, ProduceTopicResponse,
};

const KCAT: &[u8] = include_bytes!("data/kcat_produce_v7.bin");

#[test]
fn step6_kcats_produce_request_carries_its_batch_unchanged() {
    let request = decode_request(&KCAT[4..], &ApiRegistry::core()).unwrap();
    assert_eq!((request.header.api_key, request.header.api_version), (0, 7));
    let produce: ProduceRequest = request.body().unwrap();
    assert_eq!(produce.transactional_id, None);
    assert_eq!(
        produce.acks, -1,
        "librdkafka's default: all in-sync replicas"
    );
    assert_eq!(produce.timeout_ms, 30_000);
    assert_eq!(produce.topics.len(), 1);
    assert_eq!(produce.topics[0].name, "orders");
    let partition = &produce.topics[0].partitions[0];
    assert_eq!(partition.index, 0);
    // The records are lab 01's record batch, exactly as librdkafka built it.
    let batch = RecordBatch::decode(partition.records.as_deref().unwrap()).unwrap();
    assert_eq!(batch.records.len(), 1);
    let record = &batch.records[0];
    assert_eq!(record.key.as_deref(), Some(&b"k1"[..]));
    assert_eq!(record.value.as_deref(), Some(&b"hello"[..]));
    assert_eq!(
        record.headers,
        vec![Header {
            key: "trace".into(),
            value: Some(b"abc".to_vec())
        }]
    );
}

fn response() -> ProduceResponse {
    ProduceResponse {
        responses: vec![ProduceTopicResponse {
            name: "orders".into(),
            partitions: vec![ProducePartitionResponse {
                index: 2,
                error_code: ErrorCode::None,
                base_offset: 41,
                log_append_time_ms: -1,
                log_start_offset: 7,
                error_message: None,
            }],
        }],
        throttle_time_ms: 0,
    }
}

fn encode(version: i16) -> Vec<u8> {
    let mut e = Encoder::new();
    response().encode(&mut e, version);
    e.into_bytes()
}

#[test]
fn step6_the_response_has_each_versions_fields() {
    #[rustfmt::skip]
    let v3: Vec<u8> = [
        &[0, 0, 0, 1][..], b"\x00\x06orders",   // one topic
        &[0, 0, 0, 1],                          // one partition
        &[0, 0, 0, 2], &[0, 0],                 // index 2, no error
        &41i64.to_be_bytes(), &(-1i64).to_be_bytes(), // base offset, log append time
        &[0, 0, 0, 0],                          // throttle time, at the end
    ].concat();
    assert_eq!(encode(3), v3);
    let v5 = [&v3[..v3.len() - 4], &7i64.to_be_bytes(), &[0, 0, 0, 0]].concat();
    assert_eq!(encode(5), v5, "v5 adds the log start offset");
    let v8 = [
        &v5[..v5.len() - 4],
        &[0, 0, 0, 0],
        &[0xff, 0xff],
        &[0, 0, 0, 0],
    ]
    .concat();
    assert_eq!(encode(8), v8, "v8 adds record errors and an error message");
}

#[test]
fn step6_truncated_produce_requests_are_errors() {
    for cut in 4 + 17..KCAT.len() {
        let request = decode_request(&KCAT[4..cut], &ApiRegistry::core());
        assert!(
            request.and_then(|r| r.body::<ProduceRequest>()).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn step6_an_idempotent_producer_gets_its_id() {
    use lab04_protocol_codec::{InitProducerIdRequest, InitProducerIdResponse, RequestHeader};
    // InitProducerId v1 as kafka-python 3 sends it: header v1, null transactional id, timeout 0.
    let mut body = lab04_protocol_codec::Encoder::new();
    RequestHeader {
        api_key: 22,
        api_version: 1,
        correlation_id: 9,
        client_id: Some("p".into()),
    }
    .encode(&mut body, &ApiRegistry::core());
    body.buf.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
    let bytes = body.into_bytes();
    let request = decode_request(&bytes, &ApiRegistry::core()).unwrap();
    assert_eq!(
        request.body::<InitProducerIdRequest>(),
        Ok(InitProducerIdRequest {
            transactional_id: None,
            transaction_timeout_ms: 0
        })
    );
    let mut e = Encoder::new();
    InitProducerIdResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None,
        producer_id: 7,
        producer_epoch: 0,
    }
    .encode(&mut e, 1);
    assert_eq!(
        e.into_bytes(),
        [&[0u8; 6][..], &7i64.to_be_bytes(), &[0, 0]].concat()
    );
}
