//! Jute, ZooKeeper's serialization (`zookeeper-jute/src/main/resources/zookeeper.jute`):
//! every record is its fields in order, big-endian, with
//!
//! ```text
//! int 4 bytes | long 8 bytes | boolean 1 byte
//! buffer      int length (−1 = null), then the bytes
//! ustring     int length (−1 = null), then UTF-8
//! vector<T>   int count (−1 = null), then the elements
//! ```
//! Unlike Kafka's protocol there are no versions: a record's layout never changes (new fields go
//! into new records). Frames on the wire are an int length then the record(s).

use crate::error::{Error, Result};

/// Reads jute values from the front of a slice.
#[derive(Debug, Clone)]
pub struct InputArchive<'a> {
    buf: &'a [u8],
}

impl<'a> InputArchive<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        InputArchive { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        // BEGIN SOLUTION step 1: split off n bytes, or Error::Truncated saying which value was cut short
        // ko: n바이트를 떼어 내세요. 모자라면 어느 값이 잘렸는지 밝힌 Error::Truncated입니다
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

    pub fn read_int(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(
            self.take(4, "an int")?.try_into().expect("4 bytes"),
        ))
    }

    pub fn read_long(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(
            self.take(8, "a long")?.try_into().expect("8 bytes"),
        ))
    }

    pub fn read_bool(&mut self) -> Result<bool> {
        Ok(self.take(1, "a boolean")?[0] != 0)
    }

    /// A buffer; `None` for length −1.
    pub fn read_buffer(&mut self) -> Result<Option<Vec<u8>>> {
        // BEGIN SOLUTION step 1: an int length, −1 for null (another negative length is Error::BadLength), then that many bytes
        // ko: int 길이를 읽고 −1이면 null(다른 음수 길이는 Error::BadLength), 그다음 그만큼의 바이트를 읽으세요
        let len = self.read_int()?;
        if len == -1 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| Error::BadLength {
            what: "a buffer",
            len,
        })?;
        Ok(Some(self.take(len, "a buffer's bytes")?.to_vec()))
        // END SOLUTION
    }

    /// A ustring; `None` for length −1.
    pub fn read_string(&mut self) -> Result<Option<String>> {
        match self.read_buffer()? {
            None => Ok(None),
            Some(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::NotUtf8),
        }
    }

    /// A ustring that must not be null (paths, schemes).
    pub fn read_path(&mut self) -> Result<String> {
        self.read_string()?
            .ok_or(Error::UnexpectedNull { what: "a string" })
    }

    /// A vector's count; `None` for −1. A count larger than the bytes left is refused before
    /// anything is allocated.
    pub fn read_count(&mut self) -> Result<Option<usize>> {
        let n = self.read_int()?;
        if n == -1 {
            return Ok(None);
        }
        match usize::try_from(n) {
            Ok(n) if n <= self.buf.len() => Ok(Some(n)),
            _ => Err(Error::BadLength {
                what: "a vector",
                len: n,
            }),
        }
    }
}

/// Writes jute values at the end of a buffer.
#[derive(Debug, Default, Clone)]
pub struct OutputArchive {
    pub buf: Vec<u8>,
}

impl OutputArchive {
    pub fn new() -> Self {
        OutputArchive::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn write_int(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn write_long(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn write_bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }

    pub fn write_buffer(&mut self, v: Option<&[u8]>) {
        // BEGIN SOLUTION step 1: −1 for null, else the length and the bytes
        // ko: null이면 −1, 아니면 길이와 바이트를 쓰세요
        match v {
            None => self.write_int(-1),
            Some(b) => {
                self.write_int(b.len() as i32);
                self.buf.extend_from_slice(b);
            }
        }
        // END SOLUTION
    }

    pub fn write_string(&mut self, v: Option<&str>) {
        self.write_buffer(v.map(str::as_bytes));
    }

    /// A whole frame: the int length, then `body`.
    pub fn frame(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + body.len());
        out.extend_from_slice(&(body.len() as i32).to_be_bytes());
        out.extend_from_slice(body);
        out
    }
}
