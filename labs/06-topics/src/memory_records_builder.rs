//! One record batch, written in place record by record — Kafka's `MemoryRecordsBuilder`. The
//! producer's accumulator keeps one per open batch, and `send` writes each record into it in
//! the caller's own thread: the record's key and value are copied once, into the bytes that go
//! on the wire, and nothing is allocated per record. The 61-byte header is left blank until
//! [`MemoryRecordsBuilder::build`], when the count, the timestamps and the CRC are known.
//!
//! ```text
//! buf: [ header (61 bytes, zero until build) | record 0 | record 1 | … ]
//! ```
//!
//! The record format is lab 01's (`record.rs`); this writes it straight into the batch buffer,
//! with lab 01's varint code, instead of building a `Record` (whose key and value are vectors
//! of their own) and encoding that. Given code.

use bytes::Bytes;
use lab01_record_batch::varint::{put_varint, put_varlong, zigzag_encode};
use lab01_record_batch::{BatchAttributes, Compression, BATCH_HEADER_SIZE, LOG_OVERHEAD};

use crate::error::{Error, Result};

/// Where the CRC-32C starts: it covers the attributes and everything after them.
const CRC_START: usize = 21;

/// A record batch being filled: the buffer, and what the header will say.
#[derive(Debug)]
pub struct MemoryRecordsBuilder {
    buf: Vec<u8>,
    count: i32,
    base_timestamp: i64,
    max_timestamp: i64,
}

/// Bytes of an unsigned varint.
fn varint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

/// Bytes of a signed varint (zig-zag) or varlong.
fn signed_len(value: i64) -> usize {
    varint_len(zigzag_encode(value))
}

/// Bytes of nullable bytes: the varint length (−1 for null), then the bytes.
fn nullable_len(bytes: Option<&[u8]>) -> usize {
    match bytes {
        Some(b) => signed_len(b.len() as i64) + b.len(),
        None => signed_len(-1),
    }
}

fn put_nullable(buf: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(b) => {
            put_varint(buf, b.len() as i32);
            buf.extend_from_slice(b);
        }
        None => put_varint(buf, -1),
    }
}

impl MemoryRecordsBuilder {
    /// An empty batch whose buffer holds `capacity` bytes before it grows: the accumulator
    /// passes `batch.size`, so a full batch is written without ever copying itself.
    pub fn with_capacity(capacity: usize) -> MemoryRecordsBuilder {
        let mut buf = Vec::with_capacity(capacity.max(BATCH_HEADER_SIZE));
        buf.resize(BATCH_HEADER_SIZE, 0);
        MemoryRecordsBuilder {
            buf,
            count: 0,
            base_timestamp: 0,
            max_timestamp: i64::MIN,
        }
    }

    /// Writes one record at the end of the batch. Its offset delta is its position; its
    /// timestamp is stored relative to the first record's (the batch's base timestamp).
    pub fn append(
        &mut self,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Option<Vec<u8>>)],
    ) {
        if self.count == 0 {
            self.base_timestamp = timestamp_ms;
        }
        self.max_timestamp = self.max_timestamp.max(timestamp_ms);
        let timestamp_delta = timestamp_ms - self.base_timestamp;
        let offset_delta = self.count;
        // The length prefix comes first, so the body's size is counted before it is written
        // (lab 01's `Record::encode` writes the body into a scratch vector instead).
        let body = 1
            + signed_len(timestamp_delta)
            + signed_len(i64::from(offset_delta))
            + nullable_len(key)
            + nullable_len(value)
            + signed_len(headers.len() as i64)
            + headers
                .iter()
                .map(|(k, v)| nullable_len(Some(k.as_bytes())) + nullable_len(v.as_deref()))
                .sum::<usize>();
        let buf = &mut self.buf;
        put_varint(buf, body as i32);
        buf.push(0); // attributes: unused in a record
        put_varlong(buf, timestamp_delta);
        put_varint(buf, offset_delta);
        put_nullable(buf, key);
        put_nullable(buf, value);
        put_varint(buf, headers.len() as i32);
        for (k, v) in headers {
            put_nullable(buf, Some(k.as_bytes()));
            put_nullable(buf, v.as_deref());
        }
        self.count += 1;
    }

    /// Records written so far.
    pub fn records(&self) -> i32 {
        self.count
    }

    /// Bytes written so far, the blank header included.
    pub fn bytes_written(&self) -> usize {
        self.buf.len()
    }

    /// The finished batch: header filled in (base offset 0 — the broker gives the offsets —,
    /// no producer id, epoch or sequence: this producer is not idempotent), the records
    /// compressed as asked, and the CRC-32C over it all. The bytes move into `Bytes` without a
    /// copy when there is no compression.
    pub fn build(self, compression: Compression) -> Result<Bytes> {
        let mut buf = self.buf;
        if compression != Compression::None {
            let records =
                lab01_record_batch::compression::compress(compression, &buf[BATCH_HEADER_SIZE..])
                    .map_err(|e| Error::Client(format!("cannot compress a record batch: {e}")))?;
            buf.truncate(BATCH_HEADER_SIZE);
            buf.extend_from_slice(&records);
        }
        let attributes = BatchAttributes {
            compression,
            ..BatchAttributes::default()
        };
        let max_timestamp = if self.count == 0 {
            -1
        } else {
            self.max_timestamp
        };
        let batch_length = (buf.len() - LOG_OVERHEAD) as i32;
        let header = &mut buf[..BATCH_HEADER_SIZE];
        header[0..8].copy_from_slice(&0i64.to_be_bytes()); // baseOffset
        header[8..12].copy_from_slice(&batch_length.to_be_bytes());
        header[12..16].copy_from_slice(&(-1i32).to_be_bytes()); // partitionLeaderEpoch
        header[16] = lab01_record_batch::MAGIC as u8;
        header[21..23].copy_from_slice(&attributes.to_bits().to_be_bytes());
        header[23..27].copy_from_slice(&(self.count - 1).max(0).to_be_bytes()); // lastOffsetDelta
        header[27..35].copy_from_slice(&self.base_timestamp.to_be_bytes());
        header[35..43].copy_from_slice(&max_timestamp.to_be_bytes());
        header[43..51].copy_from_slice(&(-1i64).to_be_bytes()); // producerId
        header[51..53].copy_from_slice(&(-1i16).to_be_bytes()); // producerEpoch
        header[53..57].copy_from_slice(&(-1i32).to_be_bytes()); // baseSequence
        header[57..61].copy_from_slice(&self.count.to_be_bytes());
        let crc = crc32c::crc32c(&buf[CRC_START..]);
        buf[17..21].copy_from_slice(&crc.to_be_bytes());
        Ok(Bytes::from(buf))
    }
}
