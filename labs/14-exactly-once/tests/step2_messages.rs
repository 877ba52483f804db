//! Step 2: the transactional APIs' bytes, laid out field by field as Kafka 2.6's message
//! specs (`clients/src/main/resources/common/message/*.json`) define them.

use lab04_protocol_codec::{ApiRequest, ApiResponse, Decoder, Encoder};
use lab14_exactly_once::errors::Errors;
use lab14_exactly_once::messages::add_offsets_to_txn::{
    AddOffsetsToTxnRequest, AddOffsetsToTxnResponse,
};
use lab14_exactly_once::messages::add_partitions_to_txn::{
    AddPartitionsToTxnRequest, AddPartitionsToTxnResponse,
};
use lab14_exactly_once::messages::end_txn::{EndTxnRequest, EndTxnResponse};
use lab14_exactly_once::messages::init_producer_id::{
    InitProducerIdRequest, InitProducerIdResponse,
};
use lab14_exactly_once::messages::txn_offset_commit::{
    TxnOffsetCommitRequest, TxnOffsetCommitResponse,
};
use lab14_exactly_once::messages::write_txn_markers::{
    WritableTxnMarker, WriteTxnMarkersRequest, WriteTxnMarkersResponse,
};
use lab14_exactly_once::messages::TXN_APIS;

fn decode<R: ApiRequest>(bytes: &[u8], version: i16) -> R {
    let mut d = Decoder::new(bytes);
    let r = R::decode(&mut d, version).expect("decodes");
    d.finish().expect("no bytes left over");
    r
}

fn encode<R: ApiResponse>(r: &R, version: i16) -> Vec<u8> {
    let mut e = Encoder::new();
    r.encode(&mut e, version);
    e.into_bytes()
}

#[test]
fn step2_init_producer_id_v0_and_v3() {
    let v0 = [0x00, 0x02, b't', b'x', 0x00, 0x00, 0xea, 0x60]; // "tx", 60000 ms
    let r: InitProducerIdRequest = decode(&v0, 0);
    assert_eq!(r.transactional_id.as_deref(), Some("tx"));
    assert_eq!(
        (r.transaction_timeout_ms, r.producer_id, r.producer_epoch),
        (60_000, -1, -1)
    );
    let v3 = [
        0x03, b't', b'x', // compact string: length + 1
        0x00, 0x00, 0xea, 0x60, // timeout
        0, 0, 0, 0, 0, 0, 0x03, 0xe8, // producer id 1000
        0x00, 0x05, // epoch 5
        0x00, // no tagged fields
    ];
    let r: InitProducerIdRequest = decode(&v3, 3);
    assert_eq!((r.producer_id, r.producer_epoch), (1000, 5));
    let idempotent: InitProducerIdRequest = decode(
        &[
            0x00, 0x00, 0x00, 0xea, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x00,
        ],
        3,
    );
    assert_eq!(
        idempotent.transactional_id, None,
        "compact null is a zero length"
    );
    let resp = InitProducerIdResponse {
        throttle_time_ms: 0,
        error_code: Errors::ConcurrentTransactions,
        producer_id: 1000,
        producer_epoch: 6,
    };
    assert_eq!(
        encode(&resp, 3),
        [0, 0, 0, 0, 0x00, 51, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0x00, 0x06, 0x00]
    );
    assert_eq!(encode(&resp, 1).len(), 16, "v1 has no tagged fields");
}

#[test]
fn step2_add_partitions_and_offsets_to_txn() {
    let bytes = [
        0x00, 0x02, b't', b'x', // transactional id
        0, 0, 0, 0, 0, 0, 0x03, 0xe8, // producer id 1000
        0x00, 0x01, // epoch 1
        0x00, 0x00, 0x00, 0x01, // one topic
        0x00, 0x01, b'o', // "o"
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x03, // partitions [0, 3]
    ];
    let r: AddPartitionsToTxnRequest = decode(&bytes, 1);
    assert_eq!(r.topics, vec![("o".to_string(), vec![0, 3])]);
    assert_eq!(
        (r.transactional_id.as_str(), r.producer_id, r.producer_epoch),
        ("tx", 1000, 1)
    );
    let resp = AddPartitionsToTxnResponse {
        throttle_time_ms: 0,
        results: vec![("o".into(), vec![(3, Errors::InvalidProducerEpoch)])],
    };
    assert_eq!(
        encode(&resp, 1),
        [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b'o', 0, 0, 0, 1, 0, 0, 0, 3, 0, 47]
    );

    let bytes = [
        0, 2, b't', b'x', 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 1, 0, 1, b'g',
    ];
    let r: AddOffsetsToTxnRequest = decode(&bytes, 0);
    assert_eq!(r.group_id, "g");
    let resp = AddOffsetsToTxnResponse {
        throttle_time_ms: 0,
        error_code: Errors::None,
    };
    assert_eq!(encode(&resp, 1), [0, 0, 0, 0, 0, 0]);
}

#[test]
fn step2_end_txn() {
    let r: EndTxnRequest = decode(&[0, 2, b't', b'x', 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 1, 1], 1);
    assert!(r.committed);
    let resp = EndTxnResponse {
        throttle_time_ms: 7,
        error_code: Errors::InvalidTxnState,
    };
    assert_eq!(encode(&resp, 0), [0, 0, 0, 7, 0, 48]);
}

#[test]
fn step2_write_txn_markers_both_ways() {
    let bytes = [
        0, 0, 0, 1, // one marker
        0, 0, 0, 0, 0, 0, 3, 0xe8, // producer id 1000
        0, 2, // epoch 2
        1, // commit
        0, 0, 0, 1, 0, 1, b'o', 0, 0, 0, 1, 0, 0, 0, 4, // topic "o", partitions [4]
        0, 0, 0, 9, // coordinator epoch 9
    ];
    let r: WriteTxnMarkersRequest = decode(&bytes, 0);
    assert_eq!(
        r.markers,
        vec![WritableTxnMarker {
            producer_id: 1000,
            producer_epoch: 2,
            transaction_result: true,
            topics: vec![("o".into(), vec![4])],
            coordinator_epoch: 9,
        }]
    );
    let mut e = Encoder::new();
    r.encode(&mut e);
    assert_eq!(e.into_bytes(), bytes);

    let resp = WriteTxnMarkersResponse {
        markers: vec![(
            1000,
            vec![("o".into(), vec![(4, Errors::TransactionCoordinatorFenced)])],
        )],
    };
    let wire = encode(&resp, 0);
    assert_eq!(
        wire,
        [
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, 0, 1, 0, 1, b'o', 0, 0, 0, 1, 0, 0, 0, 4,
            0, 52
        ]
    );
    assert_eq!(
        WriteTxnMarkersResponse::decode(&mut Decoder::new(&wire)).unwrap(),
        resp
    );
}

#[test]
fn step2_txn_offset_commit_v0_and_v3() {
    let v0 = [
        0, 2, b't', b'x', 0, 1, b'g', // transactional id, group
        0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 1, // producer id, epoch
        0, 0, 0, 1, 0, 1, b'i', // topic "i"
        0, 0, 0, 1, 0, 0, 0, 0, // partition 0
        0, 0, 0, 0, 0, 0, 0, 42, // offset 42
        0xff, 0xff, // null metadata
    ];
    let r: TxnOffsetCommitRequest = decode(&v0, 0);
    assert_eq!(
        (r.generation_id, r.topics[0].1[0].committed_offset),
        (-1, 42)
    );
    assert_eq!(r.topics[0].1[0].committed_leader_epoch, -1);
    let v3 = [
        3, b't', b'x', 2, b'g', // compact strings
        0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 1, // producer id, epoch
        0, 0, 0, 5, 2, b'm', 0, // generation 5, member "m", no instance id
        2, 2, b'i', // one topic "i"
        2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 3, 1,
        0, // partition 0, offset 42, epoch 3, "" metadata, tags
        0, // topic tags
        0, // request tags
    ];
    let r: TxnOffsetCommitRequest = decode(&v3, 3);
    assert_eq!(
        (
            r.generation_id,
            r.member_id.as_str(),
            r.group_instance_id.clone()
        ),
        (5, "m", None)
    );
    assert_eq!(r.topics[0].1[0].committed_leader_epoch, 3);
    assert_eq!(r.topics[0].1[0].committed_metadata.as_deref(), Some(""));
    let resp = TxnOffsetCommitResponse {
        throttle_time_ms: 0,
        topics: vec![("i".into(), vec![(0, Errors::None)])],
    };
    assert_eq!(
        encode(&resp, 3),
        [0, 0, 0, 0, 2, 2, b'i', 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        encode(&resp, 2),
        [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b'i', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn step2_find_coordinator_key_type_1_and_the_registry() {
    // Lab 07's FindCoordinator v1 already reads key_type; 1 asks for a transaction coordinator.
    use lab07_consumer_groups::messages::find_coordinator::FindCoordinatorRequest;
    let r: FindCoordinatorRequest = decode(&[0, 2, b't', b'x', 1], 1);
    assert_eq!((r.key.as_str(), r.key_type), ("tx", 1));
    let mut apis = lab04_protocol_codec::ApiRegistry::core();
    for spec in TXN_APIS {
        apis.register(spec);
    }
    assert_eq!(
        apis.get(22).map(|s| s.max),
        Some(3),
        "lab 14's InitProducerId replaces lab 04's"
    );
    assert!(apis.is_flexible(28, 3) && !apis.is_flexible(28, 2));
    // Pin one lab-14 codec so the test needs step 2 (the registry alone is given code).
    let _: EndTxnRequest = decode(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], 0);
}
