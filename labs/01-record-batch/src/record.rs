//! One record inside a batch (Kafka's `DefaultRecord`).
//!
//! ```text
//! length            varint    bytes after this field
//! attributes        int8      unused, always 0
//! timestampDelta    varlong   timestamp − the batch's baseTimestamp
//! offsetDelta       varint    offset − the batch's baseOffset
//! keyLength         varint    −1 for a null key
//! key               byte[]
//! valueLength       varint    −1 for a null value
//! value             byte[]
//! headersCount      varint
//!   headerKeyLength varint
//!   headerKey       UTF-8
//!   headerValueLen  varint    −1 for a null value
//!   headerValue     byte[]
//! ```
//!
//! Timestamps and offsets are stored as *deltas* from the batch header: inside one batch they
//! are close together, so a varint delta takes a byte or two where an absolute value took eight.

use crate::error::{Error, Result};
use crate::varint::{get_varint, get_varlong, put_varint, put_varlong};

/// A record header: a string key and an optional byte value, like Kafka's `RecordHeader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

/// One record, with its timestamp and offset relative to the batch it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub attributes: i8,
    pub timestamp_delta: i64,
    pub offset_delta: i32,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

/// Writes a varint length and the bytes, or length −1 for `None` (Kafka's null).
fn put_nullable_bytes(buf: &mut Vec<u8>, bytes: Option<&[u8]>) {
    // BEGIN SOLUTION step 2: write the length as a varint (-1 for null), then the bytes
    // ko: 길이를 varint로(null이면 -1) 쓴 다음 바이트를 쓰기
    match bytes {
        Some(b) => {
            put_varint(buf, b.len() as i32);
            buf.extend_from_slice(b);
        }
        None => put_varint(buf, -1),
    }
    // END SOLUTION
}

/// Reads what [`put_nullable_bytes`] wrote. `what` names the field in error messages.
fn get_nullable_bytes(buf: &mut &[u8], what: &'static str) -> Result<Option<Vec<u8>>> {
    // BEGIN SOLUTION step 2: read a varint length (-1 is null), then that many bytes: InvalidLength below -1, Truncated if short
    // ko: varint 길이(-1은 null)를 읽고 그만큼의 바이트를 읽기: -1보다 작으면 InvalidLength, 모자라면 Truncated
    let len = get_varint(buf)?;
    if len == -1 {
        return Ok(None);
    }
    let len = usize::try_from(len).map_err(|_| Error::InvalidLength {
        field: what,
        value: i64::from(len),
    })?;
    if buf.len() < len {
        return Err(Error::Truncated {
            what,
            needed: len,
            available: buf.len(),
        });
    }
    let (bytes, rest) = buf.split_at(len);
    *buf = rest;
    Ok(Some(bytes.to_vec()))
    // END SOLUTION
}

impl Record {
    /// Writes the record, its length prefix included.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        // BEGIN SOLUTION step 2: encode the body into a scratch buffer, then its varint length and the body
        // ko: 본문을 임시 버퍼에 인코딩한 다음 그 길이(varint)와 본문을 쓰기
        let mut body = Vec::with_capacity(32);
        body.push(self.attributes as u8);
        put_varlong(&mut body, self.timestamp_delta);
        put_varint(&mut body, self.offset_delta);
        put_nullable_bytes(&mut body, self.key.as_deref());
        put_nullable_bytes(&mut body, self.value.as_deref());
        put_varint(&mut body, self.headers.len() as i32);
        for header in &self.headers {
            put_nullable_bytes(&mut body, Some(header.key.as_bytes()));
            put_nullable_bytes(&mut body, header.value.as_deref());
        }
        put_varint(buf, body.len() as i32);
        buf.extend_from_slice(&body);
        // END SOLUTION
    }

    /// Reads one record, length prefix included, and advances `buf` past it. The record must
    /// end exactly where its length says.
    pub fn decode(buf: &mut &[u8]) -> Result<Record> {
        // BEGIN SOLUTION step 2: read the length, then each field from exactly that many bytes: InvalidLength, TrailingBytes, HeaderKeyNotUtf8
        // ko: 길이를 읽고 정확히 그만큼의 바이트에서 필드를 차례로 읽기: InvalidLength, TrailingBytes, HeaderKeyNotUtf8
        let len = get_varint(buf)?;
        let len = usize::try_from(len).map_err(|_| Error::InvalidLength {
            field: "record length",
            value: i64::from(len),
        })?;
        if buf.len() < len {
            return Err(Error::Truncated {
                what: "a record",
                needed: len,
                available: buf.len(),
            });
        }
        let (mut body, rest) = buf.split_at(len);
        *buf = rest;

        let (&attributes, after) = body.split_first().ok_or(Error::Truncated {
            what: "record attributes",
            needed: 1,
            available: 0,
        })?;
        body = after;
        let timestamp_delta = get_varlong(&mut body)?;
        let offset_delta = get_varint(&mut body)?;
        let key = get_nullable_bytes(&mut body, "a record key")?;
        let value = get_nullable_bytes(&mut body, "a record value")?;
        let count = get_varint(&mut body)?;
        if count < 0 {
            return Err(Error::InvalidLength {
                field: "header count",
                value: i64::from(count),
            });
        }
        // Each header takes at least two bytes, so a count larger than that is a lie: checking
        // first keeps a corrupt count from reserving gigabytes.
        if count as usize > body.len() / 2 {
            return Err(Error::InvalidLength {
                field: "header count",
                value: i64::from(count),
            });
        }
        let mut headers = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let key =
                get_nullable_bytes(&mut body, "a header key")?.ok_or(Error::InvalidLength {
                    field: "header key length",
                    value: -1,
                })?;
            let key = String::from_utf8(key).map_err(|_| Error::HeaderKeyNotUtf8)?;
            let value = get_nullable_bytes(&mut body, "a header value")?;
            headers.push(Header { key, value });
        }
        if !body.is_empty() {
            return Err(Error::TrailingBytes { extra: body.len() });
        }
        Ok(Record {
            attributes: attributes as i8,
            timestamp_delta,
            offset_delta,
            key,
            value,
            headers,
        })
        // END SOLUTION
    }
}
