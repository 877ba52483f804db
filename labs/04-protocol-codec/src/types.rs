//! The protocol's primitive types (Kafka's `Readable`/`Writable`), decoded over a byte slice
//! and encoded into a `Vec`. No I/O here: the connection hands us whole frames.
//!
//! ```text
//! int8 int16 int32 int64     big-endian, fixed size
//! string                     int16 length, then UTF-8; nullable: length −1 is null
//! bytes                      int32 length, then bytes; nullable: −1
//! [T] array                  int32 count, then the elements; nullable: −1
//! uuid                       16 bytes
//!
//! "flexible" versions (KIP-482) use compact forms, which save bytes on short values:
//! compact string / bytes     unsigned varint length + 1, then the bytes; 0 is null
//! compact array              unsigned varint count + 1; 0 is null
//! tagged fields              unsigned varint count, then (tag uvarint, size uvarint, bytes)…
//! ```
//!
//! Tagged fields are how new optional fields are added without a new version: an old reader
//! skips tags it does not know, which is why [`Decoder::skip_tagged_fields`] must read them all.

use lab01_record_batch::varint::{get_unsigned_varint, put_unsigned_varint};

use crate::error::{Error, Result};

/// Reads primitive values from the front of a byte slice.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Fails unless every byte was read: a body with bytes left over was read at the wrong
    /// version.
    pub fn finish(&self) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                extra: self.buf.len(),
            })
        }
    }

    /// The next `n` bytes; `what` names them in the error.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        // BEGIN SOLUTION step 2: split off n bytes, or report how many were missing (Truncated)
        // ko: n바이트를 떼어 내거나, 모자란 바이트 수를 알리기(Truncated)
        if self.buf.len() < n {
            return Err(Error::Truncated {
                what,
                needed: n,
                available: self.buf.len(),
            });
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
        // END SOLUTION
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn i8(&mut self) -> Result<i8> {
        Ok(i8::from_be_bytes(self.array("an int8")?))
    }
    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array("an int16")?))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array("an int32")?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array("an int64")?))
    }
    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.i8()? != 0)
    }
    pub fn uuid(&mut self) -> Result<[u8; 16]> {
        self.array("a uuid")
    }

    /// An unsigned varint that fits in 32 bits, as lengths and counts are.
    pub fn uvarint(&mut self) -> Result<u32> {
        let value = get_unsigned_varint(&mut self.buf)?;
        u32::try_from(value).map_err(|_| Error::NegativeLength {
            what: "unsigned varint over 32 bits",
            value: -1,
        })
    }

    fn utf8(&mut self, len: usize) -> Result<String> {
        let bytes = self.take(len, "a string")?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::NotUtf8)
    }

    /// The length (or count) in front of a string, bytes or an array; `None` for null. Classic
    /// versions write an int16 (strings) or int32 (bytes, arrays) with −1 for null; flexible
    /// versions an unsigned varint of length + 1, with 0 for null.
    fn length(&mut self, flexible: bool, int32: bool, what: &'static str) -> Result<Option<usize>> {
        // BEGIN SOLUTION step 2: read the length in the form the version uses, map the null marker to None; other negatives are NegativeLength
        // ko: 버전에 맞는 형태로 길이를 읽고 null 표시는 None으로 바꾸기. 그 밖의 음수는 NegativeLength
        let n = if flexible {
            i64::from(self.uvarint()?) - 1
        } else if int32 {
            i64::from(self.i32()?)
        } else {
            i64::from(self.i16()?)
        };
        match n {
            -1 => Ok(None),
            n if n < 0 => Err(Error::NegativeLength { what, value: n }),
            n => Ok(Some(n as usize)),
        }
        // END SOLUTION
    }

    /// A string, or null.
    pub fn nullable_string(&mut self, flexible: bool) -> Result<Option<String>> {
        match self.length(flexible, false, "string length")? {
            Some(len) => self.utf8(len).map(Some),
            None => Ok(None),
        }
    }

    /// A string that may not be null.
    pub fn string(&mut self, flexible: bool) -> Result<String> {
        self.nullable_string(flexible)?
            .ok_or(Error::UnexpectedNull { what: "string" })
    }

    /// Bytes, or null.
    pub fn nullable_bytes(&mut self, flexible: bool) -> Result<Option<&'a [u8]>> {
        match self.length(flexible, true, "bytes length")? {
            Some(len) => self.take(len, "bytes").map(Some),
            None => Ok(None),
        }
    }

    /// An array's element count, `None` for a null array. Refuses a count larger than the bytes
    /// left (every element takes at least one byte), so a lying count cannot make us reserve
    /// gigabytes.
    pub fn array_len(&mut self, flexible: bool) -> Result<Option<usize>> {
        // BEGIN SOLUTION step 2: read the count, and refuse a count the remaining bytes cannot hold (Truncated)
        // ko: 개수를 읽고, 남은 바이트에 다 들어갈 수 없는 개수는 거부하기(Truncated)
        let len = self.length(flexible, true, "array length")?;
        if let Some(n) = len.filter(|n| *n > self.buf.len()) {
            return Err(Error::Truncated {
                what: "array elements",
                needed: n,
                available: self.buf.len(),
            });
        }
        Ok(len)
        // END SOLUTION
    }

    /// Reads the tagged-field section of a flexible structure and skips every field: none of
    /// the fields this lab reads are tagged. Returns how many there were.
    pub fn skip_tagged_fields(&mut self) -> Result<usize> {
        // BEGIN SOLUTION step 2: read the count, then for each a tag and a size, and skip that many bytes
        // ko: 개수를 읽고, 각각 태그와 크기를 읽은 뒤 그만큼 건너뛰기
        let count = self.uvarint()? as usize;
        for _ in 0..count {
            let _tag = self.uvarint()?;
            let size = self.uvarint()? as usize;
            self.take(size, "a tagged field")?;
        }
        Ok(count)
        // END SOLUTION
    }
}

/// Reads a classic (non-flexible) array: its count, then each element with `read`. A null
/// array reads as empty.
pub fn read_array<T>(
    d: &mut Decoder<'_>,
    mut read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = d.array_len(false)?.unwrap_or(0);
    (0..n).map(|_| read(d)).collect()
}

/// Writes primitive values at the end of a buffer.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    pub buf: Vec<u8>,
}

impl Encoder {
    pub fn new() -> Self {
        Encoder::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn i8(&mut self, v: i8) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub fn bool(&mut self, v: bool) {
        self.i8(i8::from(v));
    }
    pub fn uuid(&mut self, v: [u8; 16]) {
        self.buf.extend_from_slice(&v);
    }
    pub fn uvarint(&mut self, v: u32) {
        put_unsigned_varint(&mut self.buf, u64::from(v));
    }

    /// A nullable string in the classic or the compact form.
    pub fn nullable_string(&mut self, v: Option<&str>, flexible: bool) {
        // BEGIN SOLUTION step 2: write -1 or 0 for null, else the length in the right form and the bytes
        // ko: null이면 -1이나 0, 아니면 알맞은 형태의 길이와 바이트를 쓰기
        match (v, flexible) {
            (None, true) => self.uvarint(0),
            (None, false) => self.i16(-1),
            (Some(s), true) => {
                self.uvarint(s.len() as u32 + 1);
                self.buf.extend_from_slice(s.as_bytes());
            }
            (Some(s), false) => {
                self.i16(s.len() as i16);
                self.buf.extend_from_slice(s.as_bytes());
            }
        }
        // END SOLUTION
    }

    pub fn string(&mut self, v: &str, flexible: bool) {
        self.nullable_string(Some(v), flexible);
    }

    /// An array's count (`None`: a null array) in the classic or the compact form.
    pub fn array_len(&mut self, len: Option<usize>, flexible: bool) {
        // BEGIN SOLUTION step 2: write -1 or 0 for null, else the count, plus one when compact
        // ko: null이면 -1이나 0, 아니면 개수(압축형이면 1을 더해)를 쓰기
        match (len, flexible) {
            (None, true) => self.uvarint(0),
            (None, false) => self.i32(-1),
            (Some(n), true) => self.uvarint(n as u32 + 1),
            (Some(n), false) => self.i32(n as i32),
        }
        // END SOLUTION
    }

    /// Nullable bytes: an int32 length (−1 for null) or, compact, a uvarint length + 1 (0 for
    /// null), then the bytes.
    pub fn nullable_bytes(&mut self, v: Option<&[u8]>, flexible: bool) {
        match (v, flexible) {
            (None, true) => self.uvarint(0),
            (None, false) => self.i32(-1),
            (Some(b), true) => {
                self.uvarint(b.len() as u32 + 1);
                self.buf.extend_from_slice(b);
            }
            (Some(b), false) => {
                self.i32(b.len() as i32);
                self.buf.extend_from_slice(b);
            }
        }
    }

    pub fn bytes(&mut self, v: &[u8], flexible: bool) {
        self.nullable_bytes(Some(v), flexible);
    }

    /// An empty tagged-field section, in flexible versions only.
    pub fn no_tagged_fields(&mut self, flexible: bool) {
        if flexible {
            self.uvarint(0);
        }
    }
}
