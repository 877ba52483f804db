//! Step 4: ControlledShutdown (API 7, v0–v3) and ElectLeaders (API 43, v0–v2) of Kafka 2.6 on
//! the wire, byte by byte.

use lab04_protocol_codec::{ApiRequest, ApiResponse, Decoder, Encoder};
use lab13_failover::messages::controlled_shutdown::{
    ControlledShutdownRequest, ControlledShutdownResponse, RemainingPartition,
};
use lab13_failover::messages::elect_leaders::{
    ElectLeadersRequest, ElectLeadersResponse, PartitionResult, ReplicaElectionResult,
    TopicPartitions, ELECTION_NOT_NEEDED,
};
use lab13_failover::messages::FAILOVER_APIS;

#[test]
fn step4_controlled_shutdown_requests_of_every_version() {
    let keys: Vec<(i16, i16, i16)> = FAILOVER_APIS
        .iter()
        .map(|s| (s.key, s.max, s.flexible_from))
        .collect();
    assert_eq!(keys, vec![(7, 3, 3), (23, 3, i16::MAX), (43, 2, 2)]);
    let cases: [(i16, &[u8], i64); 4] = [
        (0, &[0, 0, 0, 2], -1),
        (1, &[0, 0, 0, 2], -1),
        (2, &[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x20], 0x20),
        (3, &[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x20, 0], 0x20),
    ];
    for (version, bytes, epoch) in cases {
        let mut d = Decoder::new(bytes);
        let req = ControlledShutdownRequest::decode(&mut d, version).unwrap();
        d.finish().unwrap();
        assert_eq!(
            req,
            ControlledShutdownRequest {
                broker_id: 2,
                broker_epoch: epoch
            },
            "v{version}"
        );
        let mut e = Encoder::new();
        req.encode(&mut e, version);
        assert_eq!(e.into_bytes(), bytes);
    }
}

#[test]
fn step4_controlled_shutdown_responses_list_the_remaining_partitions() {
    let resp = ControlledShutdownResponse {
        error_code: 0,
        remaining_partitions: vec![RemainingPartition {
            topic_name: "t".into(),
            partition_index: 2,
        }],
    };
    let mut e = Encoder::new();
    resp.encode(&mut e, 1);
    assert_eq!(e.into_bytes(), [0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2]);
    let mut e = Encoder::new();
    resp.encode(&mut e, 3);
    // compact: array length 1+1, string length 1+1, a tag section per struct and at the end.
    let v3 = [0, 0, 2, 2, b't', 0, 0, 0, 2, 0, 0];
    assert_eq!(e.into_bytes(), v3);
    assert_eq!(
        ControlledShutdownResponse::decode(&mut Decoder::new(&v3), 3).unwrap(),
        resp
    );
}

#[test]
fn step4_elect_leaders_requests_and_responses() {
    let req = ElectLeadersRequest {
        election_type: 0,
        topic_partitions: Some(vec![TopicPartitions {
            topic: "t".into(),
            partitions: vec![0, 1],
        }]),
        timeout_ms: 60_000,
    };
    let v0: Vec<u8> = [
        &[0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1][..],
        &[0, 0, 0xea, 0x60],
    ]
    .concat();
    let v2: Vec<u8> = [
        &[0, 2, 2, b't', 3, 0, 0, 0, 0, 0, 0, 0, 1, 0][..],
        &[0, 0, 0xea, 0x60, 0],
    ]
    .concat();
    for (version, bytes) in [(0, &v0), (2, &v2)] {
        let mut d = Decoder::new(bytes);
        assert_eq!(
            ElectLeadersRequest::decode(&mut d, version).unwrap(),
            req,
            "v{version}"
        );
        d.finish().unwrap();
        let mut e = Encoder::new();
        req.encode(&mut e, version);
        assert_eq!(&e.into_bytes(), bytes);
    }
    // A null list: every partition.
    let all = [0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xea, 0x60];
    let req = ElectLeadersRequest::decode(&mut Decoder::new(&all), 1).unwrap();
    assert_eq!(req.topic_partitions, None);

    let resp = ElectLeadersResponse {
        throttle_time_ms: 0,
        error_code: 0,
        replica_election_results: vec![ReplicaElectionResult {
            topic: "t".into(),
            partition_result: vec![PartitionResult {
                partition_id: 0,
                error_code: ELECTION_NOT_NEEDED,
                error_message: None,
            }],
        }],
    };
    let mut e = Encoder::new();
    resp.encode(&mut e, 1);
    let v1 = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 1, 0, 0, 0, 0, 0, 84, 0xff, 0xff,
    ];
    assert_eq!(e.into_bytes(), v1);
    let mut e = Encoder::new();
    resp.encode(&mut e, 2);
    let v2 = [
        0, 0, 0, 0, 0, 0, 2, 2, b't', 2, 0, 0, 0, 0, 0, 84, 0, 0, 0, 0,
    ];
    assert_eq!(e.into_bytes(), v2);
    assert_eq!(
        ElectLeadersResponse::decode(&mut Decoder::new(&v2), 2).unwrap(),
        resp
    );
}
