//! Framing: every Kafka request and response is a 4-byte big-endian size, then that many bytes.
//!
//! ```text
//! size int32 | request header | request body
//! ```
//!
//! TCP delivers a stream, not messages: one read may hold half a request or three of them.
//! [`check`] looks at the buffered bytes and says whether a whole frame is there, *without*
//! copying or allocating, so a client that sends a size of 2 GiB is refused before the broker
//! reserves a byte for it (`socket.request.max.bytes`, default 100 MiB).

use crate::error::{Error, Result};

/// Kafka's default `socket.request.max.bytes`.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 104_857_600;

/// `Ok(Some(n))`: the first `n` bytes of `buf` are one whole frame (size prefix included).
/// `Ok(None)`: incomplete, read more. `Err`: the size is negative or over `max`.
pub fn check(buf: &[u8], max: usize) -> Result<Option<usize>> {
    // BEGIN SOLUTION step 1: read the 4-byte size if it is there, refuse negative (NegativeLength) or oversized (FrameTooLarge) ones, then see if the body is there
    // ko: 4바이트 크기가 있으면 읽고, 음수(NegativeLength)나 너무 큰 값(FrameTooLarge)은 거부한 뒤 본문이 다 왔는지 보기
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let size = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    if size < 0 {
        return Err(Error::NegativeLength {
            what: "frame size",
            value: i64::from(size),
        });
    }
    if size as usize > max {
        return Err(Error::FrameTooLarge {
            size: i64::from(size),
            max,
        });
    }
    let total = 4 + size as usize;
    Ok((buf.len() >= total).then_some(total))
    // END SOLUTION
}

/// A frame: the size of `body`, big-endian, then `body`.
pub fn frame(body: &[u8]) -> Vec<u8> {
    // BEGIN SOLUTION step 1: prefix the body with its length as a big-endian i32
    // ko: 본문 앞에 그 길이를 빅엔디언 i32로 붙이기
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
    // END SOLUTION
}
