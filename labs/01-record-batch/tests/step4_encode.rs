//! Step 4: encoding whole batches byte for byte as Kafka does, CRC-32C included.

use lab01_record_batch::{set_base_offset, BatchHeader, Header, RecordBatch, RecordBatchBuilder};

const THREE_RECORDS: &[u8] = include_bytes!("data/three_records.bin");
const ONE_EMPTY_VALUE: &[u8] = include_bytes!("data/one_empty_value.bin");
const THREE_HUNDRED: &[u8] = include_bytes!("data/three_hundred_records.bin");
const IDEMPOTENT: &[u8] = include_bytes!("data/idempotent.bin");

/// kafka-python writes partitionLeaderEpoch 0 where the Java producer writes −1; the broker
/// overwrites it anyway. Match the golden files.
fn like_kafka_python(mut batch: RecordBatch) -> RecordBatch {
    batch.partition_leader_epoch = 0;
    batch
}

#[test]
fn step4_a_one_record_batch_has_the_documented_layout() {
    // Kafka's documented record batch layout, field by field. The CRC is the one kafka-python
    // computed for these bytes (tests/data/one_empty_value.bin).
    #[rustfmt::skip]
    let expected: Vec<u8> = [
        &0i64.to_be_bytes()[..],          // baseOffset
        &56i32.to_be_bytes(),             // batchLength: 68 − 12
        &0i32.to_be_bytes(),              // partitionLeaderEpoch
        &[2],                             // magic
        &0x2719_0a04u32.to_be_bytes(),    // crc: CRC-32C of attributes..end
        &0i16.to_be_bytes(),              // attributes: no compression, CreateTime
        &0i32.to_be_bytes(),              // lastOffsetDelta
        &0i64.to_be_bytes(),              // baseTimestamp
        &0i64.to_be_bytes(),              // maxTimestamp
        &(-1i64).to_be_bytes(),           // producerId
        &(-1i16).to_be_bytes(),           // producerEpoch
        &(-1i32).to_be_bytes(),           // baseSequence
        &1i32.to_be_bytes(),              // records count
        &[0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00], // record: length 6, attributes,
                                          // timestampDelta 0, offsetDelta 0, null key,
                                          // empty value, no headers
    ]
    .concat();
    assert_eq!(expected, ONE_EMPTY_VALUE);
    let batch = RecordBatchBuilder::new(0)
        .append(0, None, Some(b""), vec![])
        .build();
    assert_eq!(like_kafka_python(batch).encode(), expected);
}

#[test]
fn step4_batches_match_kafka_python_byte_for_byte() {
    let batch = RecordBatchBuilder::new(0)
        .append(
            1_700_000_000_000,
            Some(b"key-1"),
            Some(b"hello kafka"),
            vec![
                Header {
                    key: "trace-id".into(),
                    value: Some(b"abc123".to_vec()),
                },
                Header {
                    key: "empty".into(),
                    value: None,
                },
            ],
        )
        .append(1_700_000_000_005, None, Some(b"no key here"), vec![])
        .append(1_700_000_000_003, Some(b"tombstone"), None, vec![])
        .build();
    assert_eq!(like_kafka_python(batch).encode(), THREE_RECORDS);

    let mut builder = RecordBatchBuilder::new(0);
    for i in 0..300u32 {
        let value = vec![(i % 256) as u8; 200];
        builder.append(
            1_700_000_000_000 + i64::from(i) * 1000,
            Some(format!("k{i}").as_bytes()),
            Some(&value),
            vec![],
        );
    }
    assert_eq!(like_kafka_python(builder.build()).encode(), THREE_HUNDRED);

    let mut batch = RecordBatchBuilder::new(0)
        .append(1_700_000_000_000, Some(b"k"), Some(b"v"), vec![])
        .build();
    (batch.producer_id, batch.producer_epoch, batch.base_sequence) = (4242, 7, 100);
    assert_eq!(like_kafka_python(batch).encode(), IDEMPOTENT);
}

#[test]
fn step4_the_broker_can_assign_offsets_without_a_new_crc() {
    let mut bytes = RecordBatchBuilder::new(0)
        .append(10, Some(b"a"), Some(b"1"), vec![])
        .append(11, Some(b"b"), Some(b"2"), vec![])
        .build()
        .encode();
    let crc_before = BatchHeader::parse(&bytes).unwrap().crc;
    set_base_offset(&mut bytes, 1_000);
    let header = BatchHeader::parse(&bytes).unwrap();
    assert_eq!((header.base_offset, header.last_offset()), (1_000, 1_001));
    assert_eq!(header.crc, crc_before);
    assert_eq!(
        crc32c::crc32c(&bytes[21..]),
        header.crc,
        "the CRC does not cover baseOffset"
    );
    assert_eq!(&bytes[..8], &1_000i64.to_be_bytes());
}
