//! Packet framing, written once for the server and the client: every ZooKeeper packet is an int
//! length, then that many bytes (a jute record). The server's replies start with a
//! `ReplyHeader`; a watch event is a reply with xid −1.
//!
//! ```text
//! packet:  length int (0 ..= jute.maxbuffer) | body
//! reply:   xid int | zxid long | err int, then the result's record if err = 0
//! event:   xid −1 | zxid −1 | err 0 | type int | state int (3: SyncConnected) | path ustring
//! ```

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::code::Code;
use crate::jute::OutputArchive;
use crate::proto::OpResult;
use crate::watch::EventType;

/// `jute.maxbuffer`: ZooKeeper's default limit for one packet (1 MiB − 1).
pub const MAX_PACKET: usize = 0xfffff;

/// Reads one length-prefixed packet; `Ok(None)` when the peer closed before a new packet.
/// A length outside `0..=MAX_PACKET` is an `InvalidData` error: the stream cannot be trusted
/// after it, so the caller closes the connection.
pub async fn read_packet(
    stream: &mut (impl AsyncRead + Unpin),
) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = i32::from_be_bytes(len);
    if n < 0 || n as usize > MAX_PACKET {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("packet length {n} is outside 0..{MAX_PACKET} (jute.maxbuffer)"),
        ));
    }
    let mut body = vec![0u8; n as usize];
    stream.read_exact(&mut body).await?;
    Ok(Some(body))
}

/// A whole packet: the int length, then `body`.
pub fn frame(body: &[u8]) -> Vec<u8> {
    OutputArchive::frame(body)
}

/// A reply header and, for success, the result record, framed.
pub fn reply_frame(xid: i32, zxid: i64, result: &Result<OpResult, Code>) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.write_int(xid);
    o.write_long(zxid);
    match result {
        Ok(r) => {
            o.write_int(0);
            r.write(&mut o);
        }
        Err(code) => o.write_int(code.code()),
    }
    frame(&o.into_bytes())
}

/// A watch event: reply header with xid −1, then type, state (3: SyncConnected) and path.
pub fn event_frame(kind: EventType, path: &str) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.write_int(-1);
    o.write_long(-1);
    o.write_int(0);
    o.write_int(kind as i32);
    o.write_int(3);
    o.write_string(Some(path));
    frame(&o.into_bytes())
}
