//! Step 5: decoding batches kafka-python wrote, and refusing corrupt ones.

use lab01_record_batch::{verify_crc, Error, Header, RecordBatch, RecordBatchBuilder};

const THREE_RECORDS: &[u8] = include_bytes!("data/three_records.bin");
const THREE_HUNDRED: &[u8] = include_bytes!("data/three_hundred_records.bin");
const GZIP: &[u8] = include_bytes!("data/gzip.bin");

/// Rewrites the CRC after a test changes covered bytes on purpose.
fn fix_crc(bytes: &mut [u8]) {
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
}

#[test]
fn step5_every_field_of_a_kafka_python_batch_is_read() {
    let batch = RecordBatch::decode(THREE_RECORDS).unwrap();
    assert_eq!(batch.base_timestamp, 1_700_000_000_000);
    assert_eq!(batch.max_timestamp, 1_700_000_000_005);
    assert_eq!(batch.last_offset_delta, 2);
    assert_eq!(batch.records.len(), 3);

    let [first, second, third] = &batch.records[..] else {
        unreachable!()
    };
    assert_eq!((first.offset_delta, first.timestamp_delta), (0, 0));
    assert_eq!(first.key.as_deref(), Some(&b"key-1"[..]));
    assert_eq!(first.value.as_deref(), Some(&b"hello kafka"[..]));
    assert_eq!(
        first.headers,
        vec![
            Header {
                key: "trace-id".into(),
                value: Some(b"abc123".to_vec())
            },
            Header {
                key: "empty".into(),
                value: None
            },
        ]
    );
    assert_eq!(
        (
            second.offset_delta,
            second.timestamp_delta,
            second.key.as_deref()
        ),
        (1, 5, None)
    );
    assert_eq!(second.value.as_deref(), Some(&b"no key here"[..]));
    assert_eq!(
        (
            third.offset_delta,
            third.timestamp_delta,
            third.value.as_deref()
        ),
        (2, 3, None)
    );
    assert_eq!(third.key.as_deref(), Some(&b"tombstone"[..]));

    let big = RecordBatch::decode(THREE_HUNDRED).unwrap();
    assert_eq!(big.records.len(), 300);
    let r = &big.records[299];
    assert_eq!((r.offset_delta, r.timestamp_delta), (299, 299_000));
    assert_eq!(r.key.as_deref(), Some(&b"k299"[..]));
    assert_eq!(r.value.as_deref(), Some(&[43u8; 200][..]));
}

#[test]
fn step5_decode_inverts_encode() {
    let batch = RecordBatchBuilder::new(77)
        .append(
            5,
            None,
            None,
            vec![Header {
                key: "h".into(),
                value: None,
            }],
        )
        .append(4, Some(b""), Some(&[0u8; 5000]), vec![])
        .build();
    assert_eq!(RecordBatch::decode(&batch.encode()), Ok(batch));
}

#[test]
fn step5_every_flipped_byte_is_caught() {
    for at in 0..THREE_RECORDS.len() {
        let mut bytes = THREE_RECORDS.to_vec();
        bytes[at] ^= 0x40;
        let result = RecordBatch::decode(&bytes);
        match at {
            // baseOffset and partitionLeaderEpoch are not covered: the broker rewrites them.
            0..=7 | 12..=15 => assert!(result.is_ok(), "byte {at}: {result:?}"),
            // The CRC itself, or a byte it covers (attributes may first fail to parse).
            17..=22 => assert!(result.is_err(), "byte {at} flipped must be caught"),
            23.. => assert!(
                matches!(result, Err(Error::CrcMismatch { .. })),
                "byte {at}: {result:?}"
            ),
            // batchLength and magic: the batch no longer has a valid shape.
            _ => assert!(result.is_err(), "byte {at} flipped must be caught"),
        }
    }
}

#[test]
fn step5_every_truncation_is_an_error() {
    for len in 0..THREE_RECORDS.len() {
        assert!(
            RecordBatch::decode(&THREE_RECORDS[..len]).is_err(),
            "cut to {len} bytes"
        );
        assert!(
            verify_crc(&THREE_RECORDS[..len]).is_err(),
            "cut to {len} bytes"
        );
    }
    let mut longer = THREE_RECORDS.to_vec();
    longer.push(0);
    assert_eq!(
        RecordBatch::decode(&longer),
        Err(Error::TrailingBytes { extra: 1 })
    );
}

#[test]
fn step5_lying_record_counts_are_errors() {
    let mut too_many = THREE_RECORDS.to_vec();
    too_many[57..61].copy_from_slice(&1_000_000i32.to_be_bytes());
    fix_crc(&mut too_many);
    assert!(matches!(
        RecordBatch::decode(&too_many),
        Err(Error::InvalidLength { .. })
    ));

    let mut too_few = THREE_RECORDS.to_vec();
    too_few[57..61].copy_from_slice(&2i32.to_be_bytes());
    fix_crc(&mut too_few);
    assert!(matches!(
        RecordBatch::decode(&too_few),
        Err(Error::TrailingBytes { .. })
    ));

    let mut four = THREE_RECORDS.to_vec();
    four[57..61].copy_from_slice(&4i32.to_be_bytes());
    fix_crc(&mut four);
    assert!(matches!(
        RecordBatch::decode(&four),
        Err(Error::Truncated { .. })
    ));
}

#[test]
fn step5_compressed_records_are_refused_with_a_clear_error() {
    assert_eq!(
        verify_crc(GZIP),
        Ok(()),
        "a compressed batch is a valid batch"
    );
    assert_eq!(
        RecordBatch::decode(GZIP),
        Err(Error::Compressed { codec: "gzip" })
    );
}
