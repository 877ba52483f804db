//! Step 3: the batch header and its attribute bits, read from batches kafka-python wrote.

use lab01_record_batch::{BatchAttributes, BatchHeader, Compression, Error, TimestampType};

const THREE_RECORDS: &[u8] = include_bytes!("data/three_records.bin");
const IDEMPOTENT: &[u8] = include_bytes!("data/idempotent.bin");
const GZIP: &[u8] = include_bytes!("data/gzip.bin");

#[test]
fn step3_attribute_bits_follow_kafkas_layout() {
    assert_eq!(
        BatchAttributes::from_bits(0),
        Ok(BatchAttributes::default())
    );
    let codecs = [
        (1, Compression::Gzip),
        (2, Compression::Snappy),
        (3, Compression::Lz4),
        (4, Compression::Zstd),
    ];
    for (bits, codec) in codecs {
        assert_eq!(
            BatchAttributes::from_bits(bits).map(|a| a.compression),
            Ok(codec)
        );
    }
    let flags = BatchAttributes::from_bits(0x08 | 0x10 | 0x20 | 0x03).unwrap();
    assert_eq!(
        flags,
        BatchAttributes {
            compression: Compression::Lz4,
            timestamp_type: TimestampType::LogAppendTime,
            transactional: true,
            control: true,
        }
    );
    for codec in 5..=7 {
        assert_eq!(
            BatchAttributes::from_bits(codec),
            Err(Error::UnknownCompression { codec })
        );
    }
    // Every valid combination survives a round trip through the bits.
    for bits in 0..0x40i16 {
        if let Ok(attributes) = BatchAttributes::from_bits(bits) {
            assert_eq!(attributes.to_bits(), bits);
        }
    }
}

#[test]
fn step3_header_of_a_kafka_python_batch() {
    let header = BatchHeader::parse(THREE_RECORDS).unwrap();
    assert_eq!(
        header,
        BatchHeader {
            base_offset: 0,
            batch_length: 129,
            partition_leader_epoch: 0,
            magic: 2,
            crc: 0xccf3_cccf,
            attributes: BatchAttributes::default(),
            last_offset_delta: 2,
            base_timestamp: 1_700_000_000_000,
            max_timestamp: 1_700_000_000_005,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            records_count: 3,
        }
    );
    assert_eq!(header.total_size(), THREE_RECORDS.len());
    assert_eq!(header.last_offset(), 2);
}

#[test]
fn step3_header_of_idempotent_and_compressed_batches() {
    let header = BatchHeader::parse(IDEMPOTENT).unwrap();
    assert_eq!(
        (
            header.producer_id,
            header.producer_epoch,
            header.base_sequence
        ),
        (4242, 7, 100)
    );
    let header = BatchHeader::parse(GZIP).unwrap();
    assert_eq!(header.attributes.compression, Compression::Gzip);
    assert_eq!(header.records_count, 1);
    assert_eq!(header.total_size(), GZIP.len());
}

#[test]
fn step3_bad_headers_are_errors() {
    assert!(matches!(
        BatchHeader::parse(&THREE_RECORDS[..60]),
        Err(Error::Truncated { .. })
    ));
    let mut bad = THREE_RECORDS.to_vec();
    bad[16] = 1;
    assert_eq!(BatchHeader::parse(&bad), Err(Error::BadMagic { magic: 1 }));
    let mut short = THREE_RECORDS.to_vec();
    short[8..12].copy_from_slice(&48i32.to_be_bytes());
    assert!(matches!(
        BatchHeader::parse(&short),
        Err(Error::InvalidLength { .. })
    ));
    let mut negative = THREE_RECORDS.to_vec();
    negative[8..12].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(
        BatchHeader::parse(&negative),
        Err(Error::InvalidLength { .. })
    ));
}
