//! Reading the records of a fetched partition with lab 01's record-batch code, over the one
//! buffer the response arrived in, and each batch's CRC checked once, by lab 01's
//! [`verify_crc`], before any of its records is read.
//!
//! Two ways to get the records, one reader under both:
//! - [`for_each_record`] lends each record as a [`RecordRef`]: key, value and headers are
//!   `&[u8]` views into the fetched bytes. Nothing is counted, copied or allocated per record,
//!   which is what a caller that only *looks* at records wants (the perf test, a console
//!   consumer printing them).
//! - [`read_records`] hands out owned [`FetchedRecord`]s whose key and value are `Bytes`
//!   slices of the same buffer (`Bytes::slice_ref`: no copy, but an atomic reference count up
//!   and later down for each, and a `Vec` for headers), for callers that keep records.
//!
//! A compressed batch is decompressed once (lab 01's `decompress`), and its records are then
//! views of the decompressed buffer.
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

/// One record lent for the time of a callback: key, value and headers are views of the
/// fetched (or decompressed) bytes. Turn it into a [`FetchedRecord`] to keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    pub offset: i64,
    pub timestamp_ms: i64,
    /// In a control batch (a transaction marker): not for the application.
    pub control: bool,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// The record's headers, already checked (see [`RecordRef::headers`]).
    headers: HeadersRef<'a>,
}

/// A record's header section as it is on the wire: `count` headers in `bytes`, each a varint
/// key length, a UTF-8 key, a varint value length (−1: null) and a value. Checked when the
/// record was read, so walking it again cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeadersRef<'a> {
    count: usize,
    bytes: &'a [u8],
}

impl<'a> RecordRef<'a> {
    /// The headers, in order: key and value (`None`: a null value).
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, Option<&'a [u8]>)> + 'a {
        let mut cursor = self.headers.bytes;
        (0..self.headers.count).map_while(move |_| read_header(&mut cursor).ok())
    }

    /// How many headers the record has.
    pub fn header_count(&self) -> usize {
        self.headers.count
    }

    /// An owned copy whose key and value are slices of `buffer`, the `Bytes` this record was
    /// read from (see [`read_records`]).
    fn to_fetched(self, buffer: &Bytes) -> FetchedRecord {
        let share = |s: &[u8]| {
            if s.is_empty() {
                Bytes::new()
            } else {
                buffer.slice_ref(s)
            }
        };
        FetchedRecord {
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            control: self.control,
            key: self.key.map(share),
            value: self.value.map(share),
            headers: self
                .headers()
                .map(|(k, v)| (k.to_string(), v.map(share)))
                .collect(),
        }
    }
}

/// Calls `each` for every record of every whole batch in `data`, in order, lending each
/// record. A fetch may end in a batch cut by the byte limit: that partial batch is left for
/// the next fetch, which starts at it. Returns how many whole batches were read.
///
/// Errors name what is wrong (a CRC mismatch, a record that runs past its batch); the caller
/// adds which partition and offset.
pub fn for_each_record(data: &[u8], mut each: impl FnMut(RecordRef<'_>)) -> Result<usize, String> {
    walk_batches(data, &mut |body, _, header| {
        read_batch_records(header, body, &mut each)
    })
}

/// Calls `each` with an owned [`FetchedRecord`] for every record of every whole batch in
/// `data`, as [`for_each_record`]; keys and values are slices of `data` (or of a batch's
/// decompressed bytes), not copies.
pub fn read_records(data: &Bytes, mut each: impl FnMut(FetchedRecord)) -> Result<usize, String> {
    walk_batches(data, &mut |body, decompressed, header| {
        // An uncompressed batch's records are views of `data` itself; a decompressed one's
        // are views of the buffer it was decompressed into.
        let buffer = decompressed.unwrap_or(data);
        read_batch_records(header, body, &mut |r| each(r.to_fetched(buffer)))
    })
}

/// What [`walk_batches`] calls for each batch: its records' bytes, the buffer they were
/// decompressed into (a compressed batch), and its header.
type OnBatch<'f> = dyn FnMut(&[u8], Option<&Bytes>, &BatchHeader) -> Result<(), String> + 'f;

/// The whole batches of `data` in order: checks each one's CRC, decompresses it if need be,
/// and calls `batch` with the bytes of its records (and, for a compressed batch, the buffer
/// they were decompressed into). Returns how many whole batches there were.
fn walk_batches(data: &[u8], batch: &mut OnBatch<'_>) -> Result<usize, String> {
    let mut at = 0;
    let mut batches = 0;
    while data.len() - at >= BATCH_HEADER_SIZE {
        let header = BatchHeader::parse(&data[at..]).map_err(|e| e.to_string())?;
        let end = at + header.total_size();
        if end > data.len() {
            break;
        }
        verify_crc(&data[at..end]).map_err(|e| e.to_string())?;
        let body = &data[at + BATCH_HEADER_SIZE..end];
        match header.attributes.compression {
            Compression::None => batch(body, None, &header)?,
            codec => {
                let records = Bytes::from(decompress(codec, body).map_err(|e| e.to_string())?);
                batch(&records, Some(&records), &header)?;
            }
        }
        batches += 1;
        at = end;
    }
    Ok(batches)
}

/// The offset to fetch from after `data` was read from `position`: past the last whole batch
/// that reaches the position (its last offset + 1), else `position` itself. Only the batch
/// headers are read — this is how the consumer knows where its next fetch starts before it
/// reads the records (see `Consumer::poll_each`). The same answer as moving a
/// [`crate::fetch_position::Position`] record by record, unless compaction removed a batch's
/// last records (then this one is ahead, as Kafka's consumer is: it moves to the batch's end).
pub fn next_fetch_offset(data: &[u8], position: i64) -> i64 {
    let mut at = 0;
    let mut next = position;
    while data.len() - at >= BATCH_HEADER_SIZE {
        let Ok(header) = BatchHeader::parse(&data[at..]) else {
            break;
        };
        let end = at + header.total_size();
        if end > data.len() {
            break;
        }
        next = next.max(header.last_offset() + 1);
        at = end;
    }
    next
}

/// `len` bytes off the front of `cursor`. Called three times per record: `#[inline]`, and
/// the message of the rare error built out of line (`#[cold]`) so it does not weigh on it.
#[inline]
fn take<'a>(cursor: &mut &'a [u8], len: usize, what: &str) -> Result<&'a [u8], String> {
    if cursor.len() < len {
        return Err(too_short(what, len, cursor.len()));
    }
    let (taken, rest) = cursor.split_at(len);
    *cursor = rest;
    Ok(taken)
}

#[cold]
fn too_short(what: &str, len: usize, left: usize) -> String {
    format!("{what} needs {len} bytes, {left} are left")
}

/// A varint length and that many bytes, or `None` for length −1 (Kafka's null).
#[inline]
fn nullable<'a>(cursor: &mut &'a [u8], what: &str) -> Result<Option<&'a [u8]>, String> {
    let len = get_varint(cursor).map_err(|e| e.to_string())?;
    if len < 0 {
        return Ok(None);
    }
    take(cursor, len as usize, what).map(Some)
}

/// One header: a UTF-8 key (a null key reads as empty) and a nullable value.
fn read_header<'a>(cursor: &mut &'a [u8]) -> Result<(&'a str, Option<&'a [u8]>), String> {
    let key = nullable(cursor, "a header key")?.unwrap_or_default();
    let key = std::str::from_utf8(key).map_err(|_| "a header key that is not UTF-8".to_string())?;
    Ok((key, nullable(cursor, "a header value")?))
}

/// The records of one batch; `body` holds exactly its records (decompressed if need be).
/// The record layout is lab 01's `record.rs`: length, attributes, timestamp delta, offset
/// delta, key, value, headers.
fn read_batch_records<'a>(
    header: &BatchHeader,
    body: &'a [u8],
    each: &mut impl FnMut(RecordRef<'a>),
) -> Result<(), String> {
    let mut cursor = body;
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
        let record = take(&mut cursor, len as usize, "a record")?;
        let mut r: &[u8] = &record[1..]; // after the attributes byte, unused in v2 records
        let timestamp_delta = get_varlong(&mut r).map_err(|e| e.to_string())?;
        let offset_delta = get_varint(&mut r).map_err(|e| e.to_string())?;
        let key = nullable(&mut r, "a record key")?;
        let value = nullable(&mut r, "a record value")?;
        let count = get_varint(&mut r).map_err(|e| e.to_string())?.max(0) as usize;
        // Check the headers now, so that `RecordRef::headers` cannot meet a bad one later.
        let headers = HeadersRef { count, bytes: r };
        for _ in 0..count {
            read_header(&mut r)?;
        }
        each(RecordRef {
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
