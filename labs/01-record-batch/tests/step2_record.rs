//! Step 2: one record, with its deltas, nullable key and value, and headers.

use lab01_record_batch::{Error, Header, Record};

fn encode(record: &Record) -> Vec<u8> {
    let mut buf = Vec::new();
    record.encode(&mut buf);
    buf
}

fn sample() -> Record {
    Record {
        attributes: 0,
        timestamp_delta: 0,
        offset_delta: 0,
        key: Some(b"key-1".to_vec()),
        value: Some(b"hello kafka".to_vec()),
        headers: vec![
            Header {
                key: "trace-id".into(),
                value: Some(b"abc123".to_vec()),
            },
            Header {
                key: "empty".into(),
                value: None,
            },
        ],
    }
}

#[test]
fn step2_record_bytes_follow_kafkas_layout() {
    // The second record of tests/data/three_records.bin, written by kafka-python.
    let record = Record {
        attributes: 0,
        timestamp_delta: 5,
        offset_delta: 1,
        key: None,
        value: Some(b"no key here".to_vec()),
        headers: vec![],
    };
    let mut expected = vec![
        0x22, // length 17, zig-zag
        0x00, // attributes
        0x0a, // timestampDelta 5
        0x02, // offsetDelta 1
        0x01, // keyLength −1: null key
        0x16, // valueLength 11
    ];
    expected.extend_from_slice(b"no key here");
    expected.push(0x00); // no headers
    assert_eq!(encode(&record), expected);

    // The first record of the same batch: key, value and two headers, one with a null value.
    let mut expected = vec![0x5a, 0x00, 0x00, 0x00, 0x0a];
    expected.extend_from_slice(b"key-1");
    expected.push(0x16);
    expected.extend_from_slice(b"hello kafka");
    expected.extend_from_slice(&[0x04, 0x10]);
    expected.extend_from_slice(b"trace-id");
    expected.push(0x0c);
    expected.extend_from_slice(b"abc123");
    expected.push(0x0a);
    expected.extend_from_slice(b"empty");
    expected.push(0x01);
    assert_eq!(encode(&sample()), expected);
}

#[test]
fn step2_records_round_trip_with_nulls_and_headers() {
    let records = [
        sample(),
        Record {
            attributes: 0,
            timestamp_delta: -3,
            offset_delta: 299,
            key: Some(vec![]),
            value: None,
            headers: vec![],
        },
        Record {
            attributes: 0,
            timestamp_delta: 1 << 40,
            offset_delta: 7,
            key: None,
            value: Some(vec![7; 1000]),
            headers: vec![Header {
                key: String::new(),
                value: Some(vec![]),
            }],
        },
    ];
    let mut buf = Vec::new();
    for r in &records {
        r.encode(&mut buf);
    }
    let mut cursor = buf.as_slice();
    for r in &records {
        assert_eq!(Record::decode(&mut cursor).as_ref(), Ok(r));
    }
    assert!(cursor.is_empty());
}

#[test]
fn step2_every_truncated_record_is_an_error() {
    let bytes = encode(&sample());
    for len in 0..bytes.len() {
        let mut cursor = &bytes[..len];
        assert!(
            Record::decode(&mut cursor).is_err(),
            "a record cut to {len} bytes must not decode"
        );
    }
}

#[test]
fn step2_a_record_must_fill_its_length_exactly() {
    // Length says 7, but the fields end after 6: one byte would be left over.
    let bytes = [0x0e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0xaa];
    assert_eq!(
        Record::decode(&mut &bytes[..]),
        Err(Error::TrailingBytes { extra: 1 })
    );
    // A negative header count.
    let bytes = [0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01];
    assert!(matches!(
        Record::decode(&mut &bytes[..]),
        Err(Error::InvalidLength { .. })
    ));
    // A header count far beyond the bytes there are.
    let bytes = [0x0e, 0x00, 0x00, 0x00, 0x01, 0x01, 0xfe, 0x0f];
    assert!(matches!(
        Record::decode(&mut &bytes[..]),
        Err(Error::InvalidLength { .. })
    ));
    // A negative record length.
    let bytes = [0x03, 0x00];
    assert!(matches!(
        Record::decode(&mut &bytes[..]),
        Err(Error::InvalidLength { .. })
    ));
    // A header key that is not UTF-8.
    let bytes = [0x12, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 0xff, 0x01];
    assert_eq!(
        Record::decode(&mut &bytes[..]),
        Err(Error::HeaderKeyNotUtf8)
    );
}
