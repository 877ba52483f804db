//! Step 12: DeleteRecords — the log start offset moves up, what lies below it is gone for
//! readers, and the low watermark says where reading starts now.

mod common;

use common::{create, open, topic};
use lab04_protocol_codec::{ApiRequest, ApiResponse, Decoder, Encoder, ErrorCode};
use lab06_topics::delete_records::{
    DeleteRecordsPartitionResult, DeleteRecordsRequest, DeleteRecordsResponse, DeleteRecordsTopic,
    DeleteRecordsTopicResult, HIGH_WATERMARK,
};

fn delete(name: &str, partitions: &[(i32, i64)]) -> DeleteRecordsRequest {
    DeleteRecordsRequest {
        topics: vec![DeleteRecordsTopic {
            name: name.into(),
            partitions: partitions.to_vec(),
        }],
        timeout_ms: 30_000,
    }
}

fn results(r: &DeleteRecordsResponse) -> Vec<(i32, i64, ErrorCode)> {
    r.topics[0]
        .partitions
        .iter()
        .map(|p| (p.partition_index, p.low_watermark, p.error_code))
        .collect()
}

#[test]
fn step12_moves_the_log_start_offset_and_reads_below_it_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(
        &mut broker,
        &create(vec![topic("t", 2, 1, &[("segment.ms", "1000")])]),
        1_000,
    );
    // Five records, one segment each (segment.ms=1000), in partition 0.
    for i in 0..5 {
        common::append(&mut broker, "t", 0, 10_000 * (i + 1), "v");
    }
    let r = admin.delete_records(&mut broker, &delete("t", &[(0, 3), (1, HIGH_WATERMARK)]));
    assert_eq!(
        results(&r),
        vec![(0, 3, ErrorCode::None), (1, 0, ErrorCode::None)]
    );
    let p = broker.partition("t", 0).unwrap();
    assert_eq!(p.log_start_offset(), 3);
    assert_eq!(
        p.log().segments().first().unwrap().base_offset,
        3,
        "the segments below went"
    );
    let err = p
        .read(2, 1 << 20, lab05_broker::partition::Reader::Consumer)
        .unwrap_err();
    assert!(
        matches!(err, lab03_partition_log::Error::OffsetOutOfRange { .. }),
        "{err}"
    );
    assert!(p
        .read(3, 1 << 20, lab05_broker::partition::Reader::Consumer)
        .unwrap()
        .is_some());

    // Deleting below the start again changes nothing; the answer is the start.
    let r = admin.delete_records(&mut broker, &delete("t", &[(0, 1)]));
    assert_eq!(results(&r), vec![(0, 3, ErrorCode::None)]);
    // −1: everything committed.
    let r = admin.delete_records(&mut broker, &delete("t", &[(0, HIGH_WATERMARK)]));
    assert_eq!(results(&r), vec![(0, 5, ErrorCode::None)]);
    common::append(&mut broker, "t", 0, 60_000, "new");
    assert_eq!(broker.partition("t", 0).unwrap().log_end_offset(), 6);

    // A restart keeps the start.
    drop((broker, admin));
    let (broker, _) = open(dir.path());
    assert_eq!(broker.partition("t", 0).unwrap().log_start_offset(), 5);
}

#[test]
fn step12_a_start_inside_a_segment_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("t", 1, 1, &[])]), 1_000);
    for i in 0..4 {
        common::append(&mut broker, "t", 0, 1_000 + i, "v");
    }
    let r = admin.delete_records(&mut broker, &delete("t", &[(0, 2)]));
    assert_eq!(results(&r), vec![(0, 2, ErrorCode::None)]);
    assert_eq!(
        broker.partition("t", 0).unwrap().log().segments().len(),
        1,
        "one segment, kept"
    );
    drop((broker, admin));
    let (broker, _) = open(dir.path());
    assert_eq!(broker.partition("t", 0).unwrap().log_start_offset(), 2);
}

#[test]
fn step12_refuses_offsets_out_of_range_and_unknown_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("t", 1, 1, &[])]), 1_000);
    common::append(&mut broker, "t", 0, 1_000, "v");
    let r = admin.delete_records(&mut broker, &delete("t", &[(0, 2), (0, -5), (3, 0)]));
    assert_eq!(
        results(&r),
        vec![
            (0, -1, ErrorCode::OffsetOutOfRange),
            (0, -1, ErrorCode::OffsetOutOfRange),
            (3, -1, ErrorCode::UnknownTopicOrPartition)
        ]
    );
    // Kafka never deletes the records of its internal topics.
    admin.create_topics(
        &mut broker,
        &create(vec![topic("__consumer_offsets", 1, 1, &[])]),
        1_000,
    );
    let r = admin.delete_records(&mut broker, &delete("__consumer_offsets", &[(0, 0)]));
    assert_eq!(results(&r), vec![(0, -1, ErrorCode::InvalidTopicException)]);
    let r = admin.delete_records(&mut broker, &delete("missing", &[(0, 0)]));
    assert_eq!(
        results(&r),
        vec![(0, -1, ErrorCode::UnknownTopicOrPartition)]
    );
    assert_eq!(broker.partition("t", 0).unwrap().log_start_offset(), 0);
}

#[test]
fn step12_wire_format_is_kafkas() {
    // DeleteRecords v2 (flexible): topics [name, partitions [index, offset]], timeout_ms.
    let mut bytes = vec![0x02, 0x02, b't', 0x02];
    bytes.extend(0i32.to_be_bytes());
    bytes.extend((-1i64).to_be_bytes());
    bytes.extend([0x00, 0x00]); // tag sections of the partition and the topic
    bytes.extend(500i32.to_be_bytes());
    bytes.push(0x00);
    let mut d = Decoder::new(&bytes);
    let r = DeleteRecordsRequest::decode(&mut d, 2).unwrap();
    d.finish().unwrap();
    assert_eq!(
        r,
        DeleteRecordsRequest {
            timeout_ms: 500,
            ..delete("t", &[(0, HIGH_WATERMARK)])
        }
    );

    // Response v0: throttle, topics [name, partitions [index, low_watermark, error_code]].
    let response = DeleteRecordsResponse {
        throttle_time_ms: 0,
        topics: vec![DeleteRecordsTopicResult {
            name: "t".into(),
            partitions: vec![DeleteRecordsPartitionResult {
                partition_index: 0,
                low_watermark: 7,
                error_code: ErrorCode::None,
            }],
        }],
    };
    let mut e = Encoder::new();
    response.encode(&mut e, 0);
    let mut want = 0i32.to_be_bytes().to_vec();
    want.extend(1i32.to_be_bytes());
    want.extend(1i16.to_be_bytes());
    want.push(b't');
    want.extend(1i32.to_be_bytes());
    want.extend(0i32.to_be_bytes());
    want.extend(7i64.to_be_bytes());
    want.extend(0i16.to_be_bytes());
    assert_eq!(e.into_bytes(), want);

    let dir = tempfile::tempdir().unwrap();
    let (mut broker, mut admin) = open(dir.path());
    admin.create_topics(&mut broker, &create(vec![topic("t", 1, 1, &[])]), 1_000);
    common::append(&mut broker, "t", 0, 1_000, "v");
    let answer = admin.delete_records(&mut broker, &r);
    assert_eq!(results(&answer), vec![(0, 1, ErrorCode::None)]);
}
