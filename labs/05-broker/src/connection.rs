//! One client connection: read frames, answer each request in order, write the responses.
//!
//! Clients pipeline: librdkafka sends several requests before reading any answer. Kafka
//! promises the answers in request order per connection, which this loop keeps by handling one
//! request at a time. A bad frame (a 2 GiB size, bytes that are not a request) ends this
//! connection with a log line; the broker and every other connection carry on.

use std::sync::Arc;
use std::time::Duration;

use lab04_protocol_codec::{
    decode_request, encode_response, frame, unsupported_response, ApiVersionsResponse, Request,
    RequestBody,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::error::Result;
use crate::extension::{all_apis, Extension};
use crate::shared::{now_ms, Shared};

/// Answers one request; `None` when no answer is due (acks 0) or possible (a version we cannot
/// parse: the connection is closed).
pub async fn handle(
    shared: &Shared,
    ext: &impl Extension,
    request: Request,
    peer: &str,
) -> Option<Vec<u8>> {
    let header = request.header;
    let version = header.api_version;
    match request.body {
        RequestBody::ApiVersions(_) => Some(encode_response(&header, |e| {
            ApiVersionsResponse::for_apis(&all_apis(ext)).encode(e, version)
        })),
        RequestBody::Later(body) => {
            let answered = ext.apis().iter().any(|a| a.code() == header.api_key);
            if !answered {
                tracing::warn!(
                    api_key = header.api_key,
                    version,
                    "an API this broker does not answer; closing the connection"
                );
                return None;
            }
            ext.handle(shared, &header, &body, peer).await
        }
        RequestBody::Metadata(m) => {
            let response = shared.broker().metadata(&m, now_ms());
            match response {
                Ok(r) => Some(encode_response(&header, |e| r.encode(e, version))),
                Err(err) => {
                    tracing::error!("metadata: {err}");
                    None
                }
            }
        }
        RequestBody::Produce(p) => {
            let response = shared.broker().produce(&p, now_ms());
            shared.appended.notify_waiters();
            (p.acks != 0).then(|| encode_response(&header, |e| response.encode(e, version)))
        }
        RequestBody::Fetch(f) => {
            // BEGIN SOLUTION step 6: fetch now; while fewer than min_bytes came back and max_wait has not passed, wait for an append and fetch again
            let deadline = Instant::now() + Duration::from_millis(f.max_wait_ms.max(0) as u64);
            loop {
                // Ask to be woken *before* looking, so an append between the look and the
                // wait is not missed.
                let appended = shared.appended.notified();
                tokio::pin!(appended);
                appended.as_mut().enable();
                let (response, bytes) = shared.broker().fetch(&f);
                if bytes >= f.min_bytes.max(0) as usize || Instant::now() >= deadline {
                    break Some(encode_response(&header, |e| response.encode(e, version)));
                }
                tokio::select! {
                    _ = appended => {}
                    _ = tokio::time::sleep_until(deadline) => {}
                }
            }
            // END SOLUTION
        }
        RequestBody::InitProducerId(_) => {
            let response = shared.broker().init_producer_id(now_ms());
            Some(encode_response(&header, |e| response.encode(e, version)))
        }
        RequestBody::ListOffsets(l) => {
            let response = shared.broker().list_offsets(&l);
            Some(encode_response(&header, |e| response.encode(e, version)))
        }
        RequestBody::Unsupported => {
            let answer = unsupported_response(&header, &all_apis(ext));
            if answer.is_none() {
                tracing::warn!(
                    api_key = header.api_key,
                    version,
                    "unsupported API or version; closing the connection"
                );
            }
            answer
        }
    }
}

/// Serves one connection until the client closes it or sends something unreadable.
pub async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    ext: Arc<impl Extension>,
) -> Result<()> {
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let max = shared.broker().config().socket_request_max_bytes;
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024);
    loop {
        // BEGIN SOLUTION step 6: answer every whole frame in the buffer in order, then read more; stop on a bad frame or when the client closes
        while let Some(n) = match frame::check(&buf, max) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(%peer, "closing the connection: {e}");
                return Ok(());
            }
        } {
            let request = decode_request(&buf[4..n]);
            let frame_prefix: Option<[u8; 4]> = buf.get(4..8).and_then(|p| p.try_into().ok());
            buf.drain(..n);
            let request = match request {
                Ok(r) => r,
                Err(e) => {
                    // Name the API and version (the frame's first bytes) to help find the bug.
                    let key = frame_prefix.map(|p| i16::from_be_bytes([p[0], p[1]]));
                    let version = frame_prefix.map(|p| i16::from_be_bytes([p[2], p[3]]));
                    tracing::warn!(%peer, ?key, ?version, "closing the connection: unreadable request: {e}");
                    return Ok(());
                }
            };
            // Requests with no answer: acks 0 (carry on), or one we could not read (close).
            let must_answer = !matches!(&request.body, RequestBody::Produce(p) if p.acks == 0);
            match handle(&shared, ext.as_ref(), request, &peer).await {
                Some(response) => {
                    stream
                        .write_all(&response)
                        .await
                        .map_err(|source| crate::error::Error::Io {
                            op: "write to",
                            path: peer.clone(),
                            source,
                        })?
                }
                None if must_answer => return Ok(()),
                None => {}
            }
        }
        let mut chunk = [0u8; 64 * 1024];
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|source| crate::error::Error::Io {
                op: "read from",
                path: peer.clone(),
                source,
            })?;
        if n == 0 {
            if !buf.is_empty() {
                tracing::info!(%peer, bytes = buf.len(), "client closed the connection in the middle of a request");
            }
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        // END SOLUTION
    }
}
