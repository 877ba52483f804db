//! Step 7: Fetch — kcat's long-poll request, and the response that carries stored batches.

use lab04_protocol_codec::{
    decode_request, ApiRegistry, ApiResponse, Encoder, ErrorCode, FetchPartition,
    FetchPartitionResponse, FetchRequest, FetchResponse, FetchTopicResponse,
};

const KCAT: &[u8] = include_bytes!("data/kcat_fetch_v11.bin");

#[test]
fn step7_kcats_fetch_request() {
    let request = decode_request(&KCAT[4..], &ApiRegistry::core()).unwrap();
    assert_eq!(
        (request.header.api_key, request.header.api_version),
        (1, 11)
    );
    let fetch: FetchRequest = request.body().unwrap();
    assert_eq!(fetch.replica_id, -1, "a consumer, not a follower broker");
    assert_eq!(
        (fetch.max_wait_ms, fetch.min_bytes),
        (500, 1),
        "a long poll: wait up to 500 ms for 1 byte"
    );
    assert_eq!(fetch.max_bytes, 52_428_800);
    assert_eq!(
        (fetch.session_id, fetch.session_epoch),
        (0, -1),
        "no fetch session"
    );
    assert_eq!(fetch.rack_id, "");
    assert_eq!(fetch.topics.len(), 1);
    assert_eq!(fetch.topics[0].name, "orders");
    assert_eq!(
        fetch.topics[0].partitions,
        vec![FetchPartition {
            partition: 0,
            current_leader_epoch: -1,
            fetch_offset: 0,
            log_start_offset: -1,
            partition_max_bytes: 1_048_576,
        }]
    );
}

fn response(records: Vec<u8>) -> FetchResponse {
    FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None,
        session_id: 0,
        responses: vec![FetchTopicResponse {
            topic: "orders".into(),
            partitions: vec![FetchPartitionResponse {
                aborted_transactions: None,
                partition: 0,
                error_code: ErrorCode::None,
                high_watermark: 10,
                last_stable_offset: 10,
                log_start_offset: 0,
                records,
            }],
        }],
    }
}

fn encode(r: &FetchResponse, version: i16) -> Vec<u8> {
    let mut e = Encoder::new();
    r.encode(&mut e, version);
    e.into_bytes()
}

#[test]
fn step7_the_response_carries_the_stored_bytes() {
    let stored = vec![0xab; 5];
    #[rustfmt::skip]
    let v11: Vec<u8> = [
        &[0, 0, 0, 0][..], &[0, 0], &[0, 0, 0, 0], // throttle, error, session id (v7+)
        &[0, 0, 0, 1], b"\x00\x06orders", &[0, 0, 0, 1],
        &[0, 0, 0, 0], &[0, 0],                    // partition 0, no error
        &10i64.to_be_bytes(), &10i64.to_be_bytes(), &0i64.to_be_bytes(), // hw, lso, log start
        &[0xff, 0xff, 0xff, 0xff],                 // no aborted transactions
        &[0xff, 0xff, 0xff, 0xff],                 // preferred read replica −1 (v11+)
        &[0, 0, 0, 5], &stored,                    // the record batches, unchanged
    ].concat();
    assert_eq!(encode(&response(stored.clone()), 11), v11);
    let v4_len = v11.len() - 2 - 4 - 8 - 4;
    assert_eq!(
        encode(&response(stored), 4).len(),
        v4_len,
        "v4: no error/session, log start, replica"
    );
    let empty = encode(&response(vec![]), 11);
    assert_eq!(
        &empty[empty.len() - 4..],
        &[0, 0, 0, 0],
        "nothing new: an empty record set, not null"
    );
}

/// A partition with an error, as Kafka's broker answers it: the fields of FetchResponse.json
/// v11 in order, and the record set `MemoryRecords.EMPTY` — length 0, never −1. librdkafka
/// refuses a null record set ("invalid MessageSetSize -1") and never sees the error.
#[test]
fn step7_a_partition_with_an_error_has_an_empty_record_set() {
    let response = FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None,
        session_id: 0,
        responses: vec![FetchTopicResponse {
            topic: "orders".into(),
            partitions: vec![FetchPartitionResponse {
                aborted_transactions: None,
                partition: 2,
                error_code: ErrorCode::OffsetOutOfRange,
                high_watermark: -1,
                last_stable_offset: -1,
                log_start_offset: -1,
                records: vec![],
            }],
        }],
    };
    #[rustfmt::skip]
    let kafka: Vec<u8> = [
        &[0, 0, 0, 0][..],                         // ThrottleTimeMs
        &[0, 0],                                   // ErrorCode (top level, v7+)
        &[0, 0, 0, 0],                             // SessionId (v7+)
        &[0, 0, 0, 1], b"\x00\x06orders",           // Responses: one topic
        &[0, 0, 0, 1],                             // Partitions: one
        &[0, 0, 0, 2],                             // PartitionIndex
        &[0, 1],                                   // ErrorCode: OFFSET_OUT_OF_RANGE
        &[0xff; 8], &[0xff; 8], &[0xff; 8],        // HighWatermark, LastStableOffset, LogStartOffset
        &[0xff, 0xff, 0xff, 0xff],                 // AbortedTransactions: null
        &[0xff, 0xff, 0xff, 0xff],                 // PreferredReadReplica: −1 (v11+)
        &[0, 0, 0, 0],                             // Records: MemoryRecords.EMPTY
    ].concat();
    assert_eq!(encode(&response, 11), kafka);
}
