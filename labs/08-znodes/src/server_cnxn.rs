//! One client connection — ZooKeeper's `ServerCnxn`: a four-letter word or the connect
//! handshake, then a loop that reads requests and hands them to the chain. Answers and watch
//! events leave through one queue, written by one task, so a client always sees a watch event
//! before any answer that shows the change.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::acl::{authenticate, Id};
use crate::cnxn_factory::{now_ms, Shared};
use crate::code::Code;
use crate::four_letter::four_letter_word;
use crate::jute::{InputArchive, OutputArchive};
use crate::packet::{frame, read_packet, reply_frame};
use crate::proto::{ConnectRequest, Op, OpResult};
use crate::request_processor::Submitted;

/// Serves one client until it closes, closes its session, or sends something unreadable.
pub async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    // A four-letter word arrives where the first length prefix would.
    let mut first = [0u8; 4];
    if stream.peek(&mut first).await.is_ok_and(|n| n == 4) {
        if let Some(answer) = std::str::from_utf8(&first)
            .ok()
            .and_then(|w| four_letter_word(w, &shared))
        {
            // Take the word off the socket before answering, as ZooKeeper does: a socket closed
            // with unread bytes sends a reset instead of a plain close, and a client such as nc
            // that sees the reset first may drop the answer it has not printed yet.
            let _ = stream.read_exact(&mut first).await;
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
    }
    let connect = match read_packet(&mut stream).await {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(%peer, "closing the connection: {e}");
            return;
        }
    };
    let request = match ConnectRequest::read(&mut InputArchive::new(&connect)) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(%peer, "closing the connection: not a ZooKeeper connect request: {e}");
            return;
        }
    };
    // A new session is a transaction: it goes through the chain like a write.
    let asked = request.session_id;
    let (reply, answer) = oneshot::channel();
    if !shared.submit(Submitted::Connect {
        request,
        now_ms: now_ms(),
        reply,
    }) {
        return;
    }
    let Ok(response) = answer.await else {
        return; // the chain stopped (the journal failed)
    };
    let mut o = OutputArchive::new();
    response.write(&mut o);
    if stream.write_all(&frame(&o.into_bytes())).await.is_err() || response.time_out == 0 {
        if response.time_out == 0 {
            tracing::info!(%peer, session = format!("0x{asked:x}"), "session expired or unknown; told the client");
        }
        return;
    }
    let session = response.session_id;
    // Every connection is `ip:<its address>`; auth packets add more ids (step 7).
    let peer_ip = peer.parse::<std::net::SocketAddr>().ok().map(|a| a.ip());
    let mut auth: Vec<Id> = peer_ip
        .iter()
        .map(|ip| Id::new("ip", &ip.to_string()))
        .collect();
    tracing::debug!(%peer, session = format!("0x{session:x}"), timeout = response.time_out, "session established");
    let (out, mut outbox) = mpsc::unbounded_channel::<Vec<u8>>();
    shared.outboxes().insert(session, out.clone());
    let (mut reader, mut writer) = stream.into_split();
    let shared_w = shared.clone();
    let writing = tokio::spawn(async move {
        while let Some(frame) = outbox.recv().await {
            if writer.write_all(&frame).await.is_err() {
                break;
            }
            shared_w.sent.fetch_add(1, Ordering::Relaxed);
        }
        let _ = writer.shutdown().await;
    });
    loop {
        let read = tokio::select! {
            read = read_packet(&mut reader) => read,
            // The server leaves its role (lab 10): the client reconnects elsewhere.
            _ = shared.closed() => break,
        };
        let packet = match read {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(%peer, "closing the connection: {e}");
                break;
            }
        };
        shared.received.fetch_add(1, Ordering::Relaxed);
        let mut i = InputArchive::new(&packet);
        let (xid, kind) = match (i.read_int(), i.read_int()) {
            (Ok(x), Ok(k)) => (x, k),
            _ => {
                tracing::warn!(%peer, "closing the connection: a request without a header");
                break;
            }
        };
        if xid == AUTH_XID {
            match authenticate_packet(&mut i, peer_ip, shared.config.super_digest.as_deref()) {
                Some(ids) => {
                    tracing::info!(%peer, session = format!("0x{session:x}"), "auth success");
                    auth.extend(ids);
                    let _ = out.send(reply_frame(AUTH_XID, 0, &Ok(OpResult::Empty)));
                    continue;
                }
                None => {
                    // As ZooKeeper: answer AUTHFAILED, then close the connection (the session
                    // stays until it expires; the client will not use it again).
                    tracing::warn!(%peer, session = format!("0x{session:x}"), "authentication failed; closing the connection");
                    let _ = out.send(reply_frame(AUTH_XID, 0, &Err(Code::AuthFailed)));
                    break;
                }
            }
        }
        let op = match Op::read(kind, &mut i) {
            Ok(op) => op,
            Err(e) => {
                tracing::warn!(%peer, xid, kind, "closing the connection: unreadable request: {e}");
                break;
            }
        };
        let closing = matches!(op, Op::CloseSession);
        let submitted = Submitted::Op {
            session,
            xid,
            op,
            auth: auth.clone(),
            now_ms: now_ms(),
            out: out.clone(),
        };
        if !shared.submit(submitted) || closing {
            break;
        }
    }
    // This connection is done: stop routing the session's events here (a reconnect may have
    // replaced it already), and let the writer finish what is queued.
    {
        let mut outboxes = shared.outboxes();
        if outboxes.get(&session).is_some_and(|o| o.same_channel(&out)) {
            outboxes.remove(&session);
        }
    }
    drop(out);
    let _ = writing.await;
}

/// The xid of an auth packet, and of its answer.
pub const AUTH_XID: i32 = -4;

/// An auth packet's body (`AuthPacket`: type int, scheme ustring, auth buffer), and the ids it
/// gives; `None` for AUTHFAILED (an unknown scheme, or a body that does not parse).
fn authenticate_packet(
    i: &mut InputArchive<'_>,
    peer: Option<std::net::IpAddr>,
    super_digest: Option<&str>,
) -> Option<Vec<Id>> {
    let _type = i.read_int().ok()?;
    let scheme = i.read_string().ok()??;
    let auth = i.read_buffer().ok()?.unwrap_or_default();
    authenticate(&scheme, &auth, peer, super_digest)
}
