//! Reading the records of a fetched partition with lab 01's record-batch code, over the one
//! buffer the response arrived in: each record's key and value are slices of that buffer
//! (`Bytes::slice`, a reference count, no copy and no allocation), and each batch's CRC is
//! checked once, by lab 01's [`verify_crc`], before any of its records is read.
//!
//! A compressed batch is decompressed once (lab 01's `decompress`), and its records are then
//! slices of the decompressed buffer.
//!
//! Why not decode into lab 01's `Record`: it owns its key and value as `Vec<u8>`, which is
//! the right shape for building batches but means two allocations and two copies per record
//! when reading a million of them.

use bytes::Bytes;
use lab01_record_batch::compression::decompress;
use lab01_record_batch::varint::{get_varint, get_varlong};
use lab01_record_batch::{verify_crc, BatchHeader, Compression, BATCH_HEADER_SIZE};

/// One record, its key and value borrowed (by reference count) from the fetched bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedRecord {
    pub offset: i64,
    pub timestamp_ms: i64,
    /// In a control batch (a transaction marker): not for the application.
    pub control: bool,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// Calls `each` for every record of every whole batch in `data`, in order. A fetch may end
/// in a batch cut by the byte limit: that partial batch is left for the next fetch, which
/// starts at it. Returns how many whole batches were read.
///
/// Errors name what is wrong (a CRC mismatch, a record that runs past its batch); the caller
/// adds which partition and offset.
pub fn read_records(data: &Bytes, mut each: impl FnMut(FetchedRecord)) -> Result<usize, String> {
    let mut at = 0;
    let mut batches = 0;
    while data.len() - at >= BATCH_HEADER_SIZE {
        let header = BatchHeader::parse(&data[at..]).map_err(|e| e.to_string())?;
        let end = at + header.total_size();
        if end > data.len() {
            break;
        }
        verify_crc(&data[at..end]).map_err(|e| e.to_string())?;
        let body = data.slice(at + BATCH_HEADER_SIZE..end);
        let body = match header.attributes.compression {
            Compression::None => body,
            codec => Bytes::from(decompress(codec, &body).map_err(|e| e.to_string())?),
        };
        read_batch_records(&header, &body, &mut each)?;
        batches += 1;
        at = end;
    }
    Ok(batches)
}

/// A slice of `whole` that `cursor` (a suffix of it) starts with, `len` bytes long.
fn take(whole: &Bytes, cursor: &mut &[u8], len: usize, what: &str) -> Result<Bytes, String> {
    if cursor.len() < len {
        return Err(format!(
            "{what} needs {len} bytes, {} are left",
            cursor.len()
        ));
    }
    let start = whole.len() - cursor.len();
    *cursor = &cursor[len..];
    Ok(whole.slice(start..start + len))
}

/// A varint length and that many bytes, or `None` for length −1 (Kafka's null).
fn nullable(whole: &Bytes, cursor: &mut &[u8], what: &str) -> Result<Option<Bytes>, String> {
    let len = get_varint(cursor).map_err(|e| e.to_string())?;
    if len < 0 {
        return Ok(None);
    }
    take(whole, cursor, len as usize, what).map(Some)
}

/// The records of one batch; `body` holds exactly its records (decompressed if need be).
/// The record layout is lab 01's `record.rs`: length, attributes, timestamp delta, offset
/// delta, key, value, headers.
fn read_batch_records(
    header: &BatchHeader,
    body: &Bytes,
    each: &mut impl FnMut(FetchedRecord),
) -> Result<(), String> {
    // `cursor` is always a suffix of `body`: where it starts is where a field is sliced from.
    let mut cursor: &[u8] = body;
    let control = header.attributes.control;
    for _ in 0..header.records_count.max(0) {
        let len = get_varint(&mut cursor).map_err(|e| e.to_string())?;
        if len < 1 || len as usize > cursor.len() {
            return Err(format!(
                "a record of {len} bytes where {} are left in its batch",
                cursor.len()
            ));
        }
        // Every field must end inside the record: read them from its bytes alone.
        let record = take(body, &mut cursor, len as usize, "a record")?;
        let mut r: &[u8] = &record[1..]; // after the attributes byte, unused in v2 records
        let timestamp_delta = get_varlong(&mut r).map_err(|e| e.to_string())?;
        let offset_delta = get_varint(&mut r).map_err(|e| e.to_string())?;
        let key = nullable(&record, &mut r, "a record key")?;
        let value = nullable(&record, &mut r, "a record value")?;
        let count = get_varint(&mut r).map_err(|e| e.to_string())?;
        let mut headers = Vec::new();
        for _ in 0..count.max(0) {
            let key = nullable(&record, &mut r, "a header key")?.unwrap_or_default();
            let key = String::from_utf8(key.to_vec())
                .map_err(|_| "a header key that is not UTF-8".to_string())?;
            headers.push((key, nullable(&record, &mut r, "a header value")?));
        }
        each(FetchedRecord {
            offset: header.base_offset + i64::from(offset_delta),
            timestamp_ms: header.base_timestamp + timestamp_delta,
            control,
            key,
            value,
            headers,
        });
    }
    Ok(())
}
