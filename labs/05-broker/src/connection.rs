//! A Kafka connection: the socket, a read buffer, and lab 04's framing — the one place that
//! turns a byte stream into whole frames and back. The broker serves clients with it
//! (`server.rs`), lab 06's client reads its answers with it.
//!
//! TCP delivers a stream, not messages: one read may hold half a request or three of them.
//! [`Connection::read_frame`] keeps what it read in the buffer until a whole frame is there
//! (lab 04's `frame::check` says so), and hands out exactly one frame at a time. It is
//! cancel-safe: bytes read stay in the buffer if the future is dropped inside a `select!`, so
//! no frame is ever torn.

use bytes::{Buf, BytesMut};
use lab04_protocol_codec::frame;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{Error, Result};

pub struct Connection<S> {
    stream: S,
    /// Bytes read and not yet handed out as frames.
    buf: BytesMut,
    /// The largest frame accepted (`socket.request.max.bytes` on a broker).
    max_frame: usize,
    /// Who is at the other end, for error messages.
    peer: String,
}

impl<S> Connection<S> {
    pub fn new(stream: S, max_frame: usize, peer: impl Into<String>) -> Connection<S> {
        Connection {
            stream,
            buf: BytesMut::with_capacity(64 * 1024),
            max_frame,
            peer: peer.into(),
        }
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }

    fn io(&self, op: &'static str, source: std::io::Error) -> Error {
        Error::Io {
            op,
            path: self.peer.clone(),
            source,
        }
    }
}

impl<S: AsyncRead + Unpin> Connection<S> {
    /// The next whole frame, without its 4-byte size. `Ok(None)`: the other side closed the
    /// connection between frames. An error for a bad size prefix (negative, over the limit),
    /// a read error, or a close in the middle of a frame.
    ///
    /// The frame is split off the read buffer, not copied out of it: a produce request's
    /// record batches or a fetch response's records (up to a megabyte or more) reach their
    /// decoder in the very bytes the socket filled. `freeze()` it for a shared `Bytes`.
    pub async fn read_frame(&mut self) -> Result<Option<BytesMut>> {
        // BEGIN SOLUTION step 6: return the first whole frame in the buffer, or read more until there is one; None when the client closes between frames
        // ko: 버퍼의 첫 완전한 프레임을 돌려주거나, 그런 프레임이 생길 때까지 더 읽기. 프레임 사이에서 닫히면 None
        loop {
            if let Some(n) = frame::check(&self.buf, self.max_frame)? {
                let mut whole = self.buf.split_to(n);
                whole.advance(4);
                return Ok(Some(whole));
            }
            // Make room for the whole frame at once when its size is known (checked against
            // the limit by `frame::check` above), so a big frame is not moved again and again
            // as the buffer grows; else for at least a good read.
            let wanted = match self.buf.get(..4) {
                Some(size) => {
                    4 + i32::from_be_bytes([size[0], size[1], size[2], size[3]]).max(0) as usize
                }
                None => 0,
            };
            let room = wanted.saturating_sub(self.buf.len()).max(4096);
            if self.buf.capacity() - self.buf.len() < room {
                self.buf.reserve(room.max(64 * 1024));
            }
            let n = match self.stream.read_buf(&mut self.buf).await {
                Ok(n) => n,
                Err(e) => return Err(self.io("read from", e)),
            };
            if n == 0 {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let reason = std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("closed in the middle of a frame ({} bytes)", self.buf.len()),
                );
                return Err(self.io("read from", reason));
            }
        }
        // END SOLUTION
    }
}

impl<S: AsyncWrite + Unpin> Connection<S> {
    /// Writes one whole frame (size prefix included, as lab 04's `frame` and
    /// `encode_response` build it).
    pub async fn write_frame(&mut self, frame: &[u8]) -> Result<()> {
        match self.stream.write_all(frame).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.io("write to", e)),
        }
    }
}
