//! Variable-length integers, as Kafka's `ByteUtils` writes them inside records.
//!
//! Most numbers inside a record are small: an offset delta of 3, a key length of 8. A fixed
//! 4- or 8-byte field would waste most of its bytes, so Kafka (like protobuf) writes 7 bits per
//! byte, lowest first, and sets the top bit of every byte but the last:
//!
//! ```text
//! 300 = 0b1_0010_1100  ->  1010_1100 0000_0010  =  ac 02
//!                          ^ more    ^ last
//! ```
//!
//! Signed numbers are first *zig-zag* mapped (0→0, −1→1, 1→2, −2→3, …) so that −1, which is
//! all ones in two's complement, still takes one byte: Kafka writes −1 for a null key or value.

use crate::error::{Error, Result};

/// Zig-zag: interleaves negative and positive numbers so small magnitudes stay small.
#[inline]
pub fn zigzag_encode(n: i64) -> u64 {
    // BEGIN SOLUTION step 1: map signed to unsigned so that small magnitudes stay small
    // ko: 작은 크기의 수가 작게 남도록 부호 있는 수를 부호 없는 수로 바꾸기
    ((n << 1) ^ (n >> 63)) as u64
    // END SOLUTION
}

/// The inverse of [`zigzag_encode`].
#[inline]
pub fn zigzag_decode(n: u64) -> i64 {
    // BEGIN SOLUTION step 1: undo the zig-zag mapping
    // ko: 지그재그 변환을 되돌리기
    ((n >> 1) as i64) ^ -((n & 1) as i64)
    // END SOLUTION
}

/// Writes `value` 7 bits at a time, lowest first, with the top bit set on all bytes but the last.
///
/// `#[inline]`, as the writers below: a producer writes six or more varints per record, most of
/// one byte, and a call across crates for each was a tenth of its `send`.
#[inline]
pub fn put_unsigned_varint(buf: &mut Vec<u8>, value: u64) {
    // BEGIN SOLUTION step 1: write 7 bits per byte, lowest first, top bit means more follows
    // ko: 바이트마다 하위 7비트부터 쓰고, 뒤에 더 있으면 최상위 비트를 켜기
    let mut v = value;
    while v >= 0x80 {
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
    // END SOLUTION
}

/// Reads an unsigned varint of at most `max_bytes` bytes, advancing `buf` past it.
fn get_unsigned(buf: &mut &[u8], max_bytes: usize) -> Result<u64> {
    // BEGIN SOLUTION step 1: read 7 bits per byte until a byte without the top bit: Truncated, VarintTooLong, VarintOverflow if the 10th byte is above 1
    // ko: 최상위 비트가 꺼진 바이트까지 7비트씩 읽기: Truncated, VarintTooLong, 10번째 바이트가 1보다 크면 VarintOverflow
    let mut value: u64 = 0;
    for i in 0..max_bytes {
        let Some((&byte, rest)) = buf.split_first() else {
            return Err(Error::Truncated {
                what: "a varint",
                needed: i + 1,
                available: i,
            });
        };
        *buf = rest;
        // The tenth byte of a 64-bit varint may only carry the one bit that is left.
        if i == 9 && byte & 0x7f > 1 {
            return Err(Error::VarintOverflow { bits: 64 });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Error::VarintTooLong { max_bytes })
    // END SOLUTION
}

/// Reads an unsigned varint (at most 10 bytes, enough for 64 bits).
pub fn get_unsigned_varint(buf: &mut &[u8]) -> Result<u64> {
    get_unsigned(buf, 10)
}

/// Writes a signed 32-bit varint (Kafka's `writeVarint`): zig-zag, then 7 bits per byte.
#[inline]
pub fn put_varint(buf: &mut Vec<u8>, value: i32) {
    put_unsigned_varint(buf, zigzag_encode(i64::from(value)));
}

/// Reads a signed 32-bit varint (at most 5 bytes).
///
/// `#[inline]` and the one-byte case first: a consumer reads five varints per record (length,
/// offset delta, key and value lengths, header count), and nearly all of them are below 64 and
/// so one byte long. Read in place, without a call, they cost a few instructions each.
#[inline]
pub fn get_varint(buf: &mut &[u8]) -> Result<i32> {
    if let Some((&byte, rest)) = buf.split_first() {
        if byte & 0x80 == 0 {
            *buf = rest;
            return Ok(zigzag_decode(u64::from(byte)) as i32);
        }
    }
    let n = zigzag_decode(get_unsigned(buf, 5)?);
    i32::try_from(n).map_err(|_| Error::VarintOverflow { bits: 32 })
}

/// Writes a signed 64-bit varint (Kafka's `writeVarlong`).
#[inline]
pub fn put_varlong(buf: &mut Vec<u8>, value: i64) {
    put_unsigned_varint(buf, zigzag_encode(value));
}

/// Reads a signed 64-bit varint (at most 10 bytes); one byte read in place, as [`get_varint`].
#[inline]
pub fn get_varlong(buf: &mut &[u8]) -> Result<i64> {
    if let Some((&byte, rest)) = buf.split_first() {
        if byte & 0x80 == 0 {
            *buf = rest;
            return Ok(zigzag_decode(u64::from(byte)));
        }
    }
    Ok(zigzag_decode(get_unsigned(buf, 10)?))
}
