//! The record batch, Kafka's unit of writing, sending and storing (`DefaultRecordBatch`).
//!
//! ```text
//! offset  size  field
//!      0     8  baseOffset            offset of the first record
//!      8     4  batchLength           bytes after this field
//!     12     4  partitionLeaderEpoch
//!     16     1  magic                 2 for this format
//!     17     4  crc                   CRC-32C of bytes 21..end
//!     21     2  attributes            see `attributes.rs`
//!     23     4  lastOffsetDelta       last record's offset − baseOffset
//!     27     8  baseTimestamp         first record's timestamp
//!     35     8  maxTimestamp          largest timestamp in the batch
//!     43     8  producerId            −1 without idempotence
//!     51     2  producerEpoch
//!     53     4  baseSequence
//!     57     4  records count
//!     61     …  records               see `record.rs`
//! ```
//!
//! All fixed-size fields are big-endian. The CRC starts at `attributes`, *after* `baseOffset`,
//! `batchLength`, `partitionLeaderEpoch` and `magic`: the broker assigns offsets and stamps the
//! leader epoch by rewriting those bytes in place, without recomputing the checksum, while the
//! producer's checksum still protects every byte it wrote.

use crate::attributes::{BatchAttributes, Compression, TimestampType};
use crate::error::{Error, Result};
use crate::record::{Header, Record};

/// `baseOffset` and `batchLength`: the bytes before `batchLength` counts.
pub const LOG_OVERHEAD: usize = 12;
/// Everything before the first record.
pub const BATCH_HEADER_SIZE: usize = 61;
/// The only batch format this lab reads and writes.
pub const MAGIC: i8 = 2;
/// Where the CRC-covered part starts (the `attributes` field).
const CRC_START: usize = 21;
/// The smallest record: length, attributes, timestamp delta, offset delta, key, value and
/// header count, one byte each.
const MIN_RECORD_SIZE: usize = 7;

/// The fixed 61-byte header of a batch, readable without touching the records. The log reads
/// only this to find offsets, sizes and timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: BatchAttributes,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

/// A whole batch with its records decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub attributes: BatchAttributes,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records: Vec<Record>,
}

/// Big-endian reads at fixed positions of a slice already known to be long enough.
fn be<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

impl BatchHeader {
    /// Reads the header from the first 61 bytes of `bytes`. Checks the magic byte and that
    /// `batchLength` can hold a header; does not check the CRC (see [`verify_crc`]).
    pub fn parse(bytes: &[u8]) -> Result<BatchHeader> {
        // BEGIN SOLUTION step 3: read each fixed field at its offset, big-endian, then check magic and length: Truncated, BadMagic, InvalidLength
        // ko: 고정 필드를 각 위치에서 빅엔디언으로 읽고 magic과 길이를 확인하기: Truncated, BadMagic, InvalidLength
        if bytes.len() < BATCH_HEADER_SIZE {
            return Err(Error::Truncated {
                what: "a batch header",
                needed: BATCH_HEADER_SIZE,
                available: bytes.len(),
            });
        }
        let magic = bytes[16] as i8;
        if magic != MAGIC {
            return Err(Error::BadMagic { magic });
        }
        let batch_length = i32::from_be_bytes(be(bytes, 8));
        if (batch_length as i64) < (BATCH_HEADER_SIZE - LOG_OVERHEAD) as i64 {
            return Err(Error::InvalidLength {
                field: "batchLength",
                value: i64::from(batch_length),
            });
        }
        Ok(BatchHeader {
            base_offset: i64::from_be_bytes(be(bytes, 0)),
            batch_length,
            partition_leader_epoch: i32::from_be_bytes(be(bytes, 12)),
            magic,
            crc: u32::from_be_bytes(be(bytes, 17)),
            attributes: BatchAttributes::from_bits(i16::from_be_bytes(be(bytes, 21)))?,
            last_offset_delta: i32::from_be_bytes(be(bytes, 23)),
            base_timestamp: i64::from_be_bytes(be(bytes, 27)),
            max_timestamp: i64::from_be_bytes(be(bytes, 35)),
            producer_id: i64::from_be_bytes(be(bytes, 43)),
            producer_epoch: i16::from_be_bytes(be(bytes, 51)),
            base_sequence: i32::from_be_bytes(be(bytes, 53)),
            records_count: i32::from_be_bytes(be(bytes, 57)),
        })
        // END SOLUTION
    }

    /// The offset of the last record in the batch.
    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }

    /// The whole batch's size on disk and on the wire: `LOG_OVERHEAD + batchLength`.
    pub fn total_size(&self) -> usize {
        LOG_OVERHEAD + self.batch_length as usize
    }
}

/// Checks the CRC-32C of one whole batch: `batch` must hold exactly its bytes.
pub fn verify_crc(batch: &[u8]) -> Result<()> {
    // BEGIN SOLUTION step 5: parse the header, check the length, compare the stored CRC with crc32c of bytes 21..end: CrcMismatch
    // ko: 헤더를 파싱하고 길이를 확인한 뒤 저장된 CRC를 21번째 바이트부터 끝까지의 crc32c와 비교하기: CrcMismatch
    let header = BatchHeader::parse(batch)?;
    let size = header.total_size();
    if batch.len() < size {
        return Err(Error::Truncated {
            what: "a record batch",
            needed: size,
            available: batch.len(),
        });
    }
    let computed = crc32c::crc32c(&batch[CRC_START..size]);
    if computed != header.crc {
        return Err(Error::CrcMismatch {
            stored: header.crc,
            computed,
        });
    }
    Ok(())
    // END SOLUTION
}

/// Gives a batch its offsets by rewriting `baseOffset` (bytes 0..8) in place. The CRC does not
/// cover these bytes, so the producer's checksum stays valid. Pass a batch whose header was
/// parsed already; a slice shorter than 8 bytes is left as it is.
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    // BEGIN SOLUTION step 4: overwrite the first 8 bytes with the new base offset, big-endian
    // ko: 처음 8바이트를 새 기준 오프셋(빅엔디언)으로 덮어쓰기
    if let Some(head) = batch.get_mut(..8) {
        head.copy_from_slice(&base_offset.to_be_bytes());
    }
    // END SOLUTION
}

/// Recomputes `batchLength` and the CRC-32C of a batch whose bytes changed (given code).
fn reseal(batch: &mut [u8]) {
    let batch_length = (batch.len() - LOG_OVERHEAD) as i32;
    batch[8..12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc32c::crc32c(&batch[CRC_START..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
}

/// Stamps a batch with the broker's clock, as a topic with `message.timestamp.type=
/// LogAppendTime` does on append (Kafka's `DefaultRecordBatch.setMaxTimestamp`): attribute bit
/// 3 set, `maxTimestamp` = `now_ms`, and the CRC recomputed, since both fields are inside it.
/// The records keep their own timestamps; a consumer reads every record of a LogAppendTime
/// batch as `maxTimestamp`. Given code.
pub fn set_log_append_time(batch: &mut [u8], now_ms: i64) -> Result<()> {
    let header = BatchHeader::parse(batch)?;
    let size = header.total_size();
    if batch.len() < size {
        return Err(Error::Truncated {
            what: "a record batch",
            needed: size,
            available: batch.len(),
        });
    }
    let attributes = BatchAttributes {
        timestamp_type: TimestampType::LogAppendTime,
        ..header.attributes
    };
    batch[21..23].copy_from_slice(&attributes.to_bits().to_be_bytes());
    batch[35..43].copy_from_slice(&now_ms.to_be_bytes());
    reseal(&mut batch[..size]);
    Ok(())
}

impl RecordBatch {
    /// Reads a batch of any codec: the records of a compressed batch are decompressed first
    /// (see `compression.rs`), then read as [`RecordBatch::decode`] reads them. The result keeps
    /// the batch's codec in `attributes`. Given code, over step 5.
    pub fn decode_any(bytes: &[u8]) -> Result<RecordBatch> {
        let header = BatchHeader::parse(bytes)?;
        let codec = header.attributes.compression;
        if codec == Compression::None {
            return RecordBatch::decode(bytes);
        }
        verify_crc(bytes)?;
        let size = header.total_size();
        if bytes.len() > size {
            return Err(Error::TrailingBytes {
                extra: bytes.len() - size,
            });
        }
        let records = crate::compression::decompress(codec, &bytes[BATCH_HEADER_SIZE..size])?;
        let mut plain = bytes[..BATCH_HEADER_SIZE].to_vec();
        let attributes = BatchAttributes {
            compression: Compression::None,
            ..header.attributes
        };
        plain[21..23].copy_from_slice(&attributes.to_bits().to_be_bytes());
        plain.extend_from_slice(&records);
        reseal(&mut plain);
        let mut batch = RecordBatch::decode(&plain)?;
        batch.attributes.compression = codec;
        Ok(batch)
    }

    /// The batch's bytes with its records compressed by `attributes.compression`, as a producer
    /// (or a broker recompressing to a topic's `compression.type`) writes them. Given code, over
    /// step 4's [`RecordBatch::encode`].
    pub fn encode_compressed(&self) -> Result<Vec<u8>> {
        let codec = self.attributes.compression;
        let plain = RecordBatch {
            attributes: BatchAttributes {
                compression: Compression::None,
                ..self.attributes
            },
            records: self.records.clone(),
            ..*self
        }
        .encode();
        if codec == Compression::None {
            return Ok(plain);
        }
        let records = crate::compression::compress(codec, &plain[BATCH_HEADER_SIZE..])?;
        let mut out = plain[..BATCH_HEADER_SIZE].to_vec();
        out[21..23].copy_from_slice(&self.attributes.to_bits().to_be_bytes());
        out.extend_from_slice(&records);
        reseal(&mut out);
        Ok(out)
    }
}

impl RecordBatch {
    /// The batch's bytes, exactly as Kafka writes them: header, records, length and CRC-32C.
    pub fn encode(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 4: write the header with zero length and crc, the records, then fill in length and crc
        // ko: 길이와 crc를 0으로 둔 헤더, 레코드들을 쓴 뒤 길이와 crc를 채우기
        let mut buf = Vec::with_capacity(BATCH_HEADER_SIZE + 32 * self.records.len());
        buf.extend_from_slice(&self.base_offset.to_be_bytes());
        buf.extend_from_slice(&[0; 4]); // batchLength, known at the end
        buf.extend_from_slice(&self.partition_leader_epoch.to_be_bytes());
        buf.push(MAGIC as u8);
        buf.extend_from_slice(&[0; 4]); // crc, computed at the end
        buf.extend_from_slice(&self.attributes.to_bits().to_be_bytes());
        buf.extend_from_slice(&self.last_offset_delta.to_be_bytes());
        buf.extend_from_slice(&self.base_timestamp.to_be_bytes());
        buf.extend_from_slice(&self.max_timestamp.to_be_bytes());
        buf.extend_from_slice(&self.producer_id.to_be_bytes());
        buf.extend_from_slice(&self.producer_epoch.to_be_bytes());
        buf.extend_from_slice(&self.base_sequence.to_be_bytes());
        buf.extend_from_slice(&(self.records.len() as i32).to_be_bytes());
        for record in &self.records {
            record.encode(&mut buf);
        }
        let batch_length = (buf.len() - LOG_OVERHEAD) as i32;
        buf[8..12].copy_from_slice(&batch_length.to_be_bytes());
        let crc = crc32c::crc32c(&buf[CRC_START..]);
        buf[17..21].copy_from_slice(&crc.to_be_bytes());
        buf
        // END SOLUTION
    }

    /// Reads one whole batch, which must fill `bytes` exactly. Checks the CRC before reading any
    /// record, so a flipped bit is reported as corruption, not as a strange record.
    pub fn decode(bytes: &[u8]) -> Result<RecordBatch> {
        // BEGIN SOLUTION step 5: verify the crc, refuse compressed records (Compressed), then read exactly records_count records: InvalidLength, TrailingBytes
        // ko: crc를 검증하고 압축된 레코드는 거부(Compressed)한 뒤 records_count개의 레코드를 정확히 읽기: InvalidLength, TrailingBytes
        verify_crc(bytes)?;
        let header = BatchHeader::parse(bytes)?;
        let size = header.total_size();
        if bytes.len() > size {
            return Err(Error::TrailingBytes {
                extra: bytes.len() - size,
            });
        }
        if header.attributes.compression != Compression::None {
            return Err(Error::Compressed {
                codec: header.attributes.compression.name(),
            });
        }
        let mut body = &bytes[BATCH_HEADER_SIZE..size];
        let count = header.records_count;
        if count < 0 || count as usize > body.len() / MIN_RECORD_SIZE {
            return Err(Error::InvalidLength {
                field: "records count",
                value: i64::from(count),
            });
        }
        let mut records = Vec::with_capacity(count as usize);
        for _ in 0..count {
            records.push(Record::decode(&mut body)?);
        }
        if !body.is_empty() {
            return Err(Error::TrailingBytes { extra: body.len() });
        }
        Ok(RecordBatch {
            base_offset: header.base_offset,
            partition_leader_epoch: header.partition_leader_epoch,
            attributes: header.attributes,
            last_offset_delta: header.last_offset_delta,
            base_timestamp: header.base_timestamp,
            max_timestamp: header.max_timestamp,
            producer_id: header.producer_id,
            producer_epoch: header.producer_epoch,
            base_sequence: header.base_sequence,
            records,
        })
        // END SOLUTION
    }
}

/// Builds a batch the way a producer without idempotence does: offsets 0, 1, 2, … relative to
/// `base_offset`, producer id, epoch, sequence and leader epoch all −1, CreateTime timestamps.
/// This is given code: it only fills in fields, the byte work is in `encode`.
#[derive(Debug, Clone)]
pub struct RecordBatchBuilder {
    base_offset: i64,
    attributes: BatchAttributes,
    timestamps: Vec<i64>,
    records: Vec<Record>,
}

impl RecordBatchBuilder {
    pub fn new(base_offset: i64) -> Self {
        RecordBatchBuilder {
            base_offset,
            attributes: BatchAttributes::default(),
            timestamps: Vec::new(),
            records: Vec::new(),
        }
    }

    pub fn attributes(&mut self, attributes: BatchAttributes) -> &mut Self {
        self.attributes = attributes;
        self
    }

    pub fn append(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: Vec<Header>,
    ) -> &mut Self {
        self.timestamps.push(timestamp);
        self.records.push(Record {
            attributes: 0,
            timestamp_delta: 0, // fixed in build(), once the base timestamp is known
            offset_delta: self.records.len() as i32,
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            headers,
        });
        self
    }

    /// The batch. Its base timestamp is the first record's, as Kafka's producer sets it.
    pub fn build(&self) -> RecordBatch {
        let base_timestamp = self.timestamps.first().copied().unwrap_or(-1);
        let max_timestamp = self.timestamps.iter().copied().max().unwrap_or(-1);
        let records = self
            .records
            .iter()
            .zip(&self.timestamps)
            .map(|(record, ts)| Record {
                timestamp_delta: ts - base_timestamp,
                ..record.clone()
            })
            .collect::<Vec<_>>();
        RecordBatch {
            base_offset: self.base_offset,
            partition_leader_epoch: -1,
            attributes: self.attributes,
            last_offset_delta: records.len().saturating_sub(1) as i32,
            base_timestamp,
            max_timestamp,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            records,
        }
    }
}
