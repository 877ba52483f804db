//! Step 5, with the given codecs: a compressed batch keeps its 61-byte header readable and
//! its records round-trip through every codec Kafka defines; the broker's LogAppendTime stamp
//! keeps the CRC valid.

use lab01_record_batch::{
    set_log_append_time, verify_crc, BatchAttributes, BatchHeader, Compression, RecordBatch,
    RecordBatchBuilder, TimestampType,
};

fn sample(codec: Compression) -> RecordBatch {
    let mut b = RecordBatchBuilder::new(0);
    b.attributes(BatchAttributes {
        compression: codec,
        ..BatchAttributes::default()
    });
    for i in 0..50i64 {
        let value = format!("value {i} repeated repeated repeated");
        b.append(1_000 + i, Some(b"key"), Some(value.as_bytes()), vec![]);
    }
    b.build()
}

#[test]
fn step5_every_codec_round_trips_and_keeps_the_header() {
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let batch = sample(codec);
        let bytes = batch.encode_compressed().unwrap();
        verify_crc(&bytes).unwrap();
        let header = BatchHeader::parse(&bytes).unwrap();
        assert_eq!(header.attributes.compression, codec);
        assert_eq!(i16::from_be_bytes([bytes[21], bytes[22]]) & 7, codec as i16);
        assert_eq!(header.records_count, 50);
        assert_eq!(header.max_timestamp, 1_049);
        if codec != Compression::None {
            assert!(
                bytes.len() < batch.encode().len(),
                "{codec:?} must shrink repetitive records"
            );
        }
        assert_eq!(RecordBatch::decode_any(&bytes).unwrap(), batch, "{codec:?}");
    }
}

#[test]
fn step5_log_append_time_sets_bit_3_and_max_timestamp_with_a_valid_crc() {
    let mut bytes = sample(Compression::Gzip).encode_compressed().unwrap();
    set_log_append_time(&mut bytes, 99_000).unwrap();
    verify_crc(&bytes).unwrap();
    let header = BatchHeader::parse(&bytes).unwrap();
    assert_eq!(bytes[22] & 0x08, 0x08, "attribute bit 3: LogAppendTime");
    assert_eq!(
        header.attributes.timestamp_type,
        TimestampType::LogAppendTime
    );
    assert_eq!(header.max_timestamp, 99_000);
    assert_eq!(
        header.base_timestamp, 1_000,
        "the producer's timestamps stay"
    );
    assert_eq!(RecordBatch::decode_any(&bytes).unwrap().records.len(), 50);
}
