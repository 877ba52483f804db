//! The election port (3888) — ZooKeeper's `QuorumCnxManager`: one TCP connection per pair of
//! servers, carrying notifications both ways.
//!
//! Two servers may call each other at once; only the connection opened by the **larger** sid
//! survives. So a server keeps calling every smaller sid itself (and calls back one that called
//! it), while for a larger sid it only sends its initial message — the larger one hangs up and
//! calls back. Until a connection is there, only the newest notification for that server is
//! kept (ZooKeeper's send queue holds one), because an older vote is worth nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::messages::{Notification, Sid};
use crate::shell::convert::{notification_from_wire, notification_to_wire};
use crate::wire::election::{encode_frame, ElectionStreamDecoder, FromPeer, InitialMessage};

/// A notification that arrived, or the election traffic's end.
pub type Inbound = mpsc::UnboundedSender<(Sid, Notification)>;

#[derive(Default)]
struct Links {
    /// The open connection to each server: its outgoing frames.
    open: HashMap<Sid, mpsc::UnboundedSender<Vec<u8>>>,
    /// The newest frame for a server without a connection.
    waiting: HashMap<Sid, Vec<u8>>,
    /// The larger sids being told that we are here.
    knocking: HashSet<Sid>,
}

#[derive(Clone)]
pub struct ElectionLinks {
    my_id: Sid,
    /// This server's election address, as its `server.N` line gives it.
    my_address: String,
    peers: Arc<HashMap<Sid, String>>,
    links: Arc<Mutex<Links>>,
    inbound: Inbound,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ElectionLinks {
    /// Starts listening on `listener` and calling every smaller sid. `peers` maps every other
    /// server to its `host:electionPort`.
    pub fn start(
        my_id: Sid,
        my_address: String,
        peers: HashMap<Sid, String>,
        listener: TcpListener,
        inbound: Inbound,
    ) -> ElectionLinks {
        let links = ElectionLinks {
            my_id,
            my_address,
            peers: Arc::new(peers),
            links: Arc::default(),
            inbound,
        };
        let accepting = links.clone();
        tokio::spawn(async move { accepting.accept_loop(listener).await });
        for &sid in links.peers.keys() {
            if sid < my_id {
                let caller = links.clone();
                tokio::spawn(async move { caller.keep_calling(sid).await });
            }
        }
        links
    }

    /// Sends a notification to `to` (kept for later while there is no connection).
    pub fn send(&self, to: Sid, n: &Notification) {
        let frame = encode_frame(&notification_to_wire(n));
        let mut links = lock(&self.links);
        if let Some(tx) = links.open.get(&to) {
            if tx.send(frame.clone()).is_ok() {
                return;
            }
            links.open.remove(&to);
        }
        links.waiting.insert(to, frame);
        // A larger sid calls us once it hears from us: knock.
        let knock = to > self.my_id && links.knocking.insert(to);
        drop(links);
        if knock {
            let knocker = self.clone();
            tokio::spawn(async move { knocker.knock(to).await });
        }
    }

    async fn accept_loop(self, listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let links = self.clone();
                    tokio::spawn(async move { links.accepted(stream).await });
                }
                Err(e) => {
                    tracing::warn!("election port: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// A server called us: keep the connection if it has the larger sid, else call it back.
    async fn accepted(self, mut stream: TcpStream) {
        let mut decoder = ElectionStreamDecoder::accepted();
        let mut buf = Vec::new();
        let hello = loop {
            match decoder.decode(&buf) {
                Ok(Some((FromPeer::Hello(h), used))) => {
                    buf.drain(..used);
                    break h;
                }
                Ok(Some(_)) | Err(_) => {
                    tracing::warn!(
                        "election port: a connection without a valid initial message; closing it"
                    );
                    return;
                }
                Ok(None) => {}
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        };
        let sid = hello.sid;
        if !self.peers.contains_key(&sid) {
            tracing::warn!(
                sid,
                "election port: a server that is not in zoo.cfg called; closing"
            );
            return;
        }
        if sid < self.my_id {
            // The smaller sid hangs up on us in ZooKeeper's rule; we call it back ourselves
            // (`keep_calling` is already doing so).
            return;
        }
        self.run_connection(sid, stream, decoder, buf).await;
    }

    /// A smaller sid's connection is ours to keep open: call it, and call again when it drops.
    async fn keep_calling(self, sid: Sid) {
        let Some(address) = self.peers.get(&sid).cloned() else {
            return;
        };
        loop {
            if let Ok(Ok(mut stream)) =
                tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&address)).await
            {
                let _ = stream.set_nodelay(true);
                let hello = InitialMessage::new(self.my_id, &self.my_address).encode();
                if stream.write_all(&hello).await.is_ok() {
                    self.clone()
                        .run_connection(sid, stream, ElectionStreamDecoder::opened(), Vec::new())
                        .await;
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Tells a larger sid that we are here, until it has called back or nothing waits for
    /// it any more: it hangs up and calls back.
    async fn knock(self, sid: Sid) {
        let Some(address) = self.peers.get(&sid).cloned() else {
            return;
        };
        loop {
            {
                let mut links = lock(&self.links);
                if links.open.contains_key(&sid) || !links.waiting.contains_key(&sid) {
                    links.knocking.remove(&sid);
                    return;
                }
            }
            if let Ok(Ok(mut stream)) =
                tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&address)).await
            {
                let hello = InitialMessage::new(self.my_id, &self.my_address).encode();
                let _ = stream.write_all(&hello).await;
                // Wait for the hang-up, bounded: the call back comes on another connection.
                let mut sink = [0u8; 64];
                let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut sink)).await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Runs one live connection to `sid` until it breaks.
    async fn run_connection(
        self,
        sid: Sid,
        stream: TcpStream,
        mut decoder: ElectionStreamDecoder,
        mut buf: Vec<u8>,
    ) {
        let (mut reader, mut writer) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        {
            let mut links = lock(&self.links);
            if let Some(frame) = links.waiting.remove(&sid) {
                let _ = tx.send(frame);
            }
            links.open.insert(sid, tx.clone());
        }
        tracing::debug!(sid, "election connection up");
        let writing = tokio::spawn(async move {
            while let Some(frame) = rx.recv().await {
                if writer.write_all(&frame).await.is_err() {
                    break;
                }
            }
        });
        'read: loop {
            loop {
                match decoder.decode(&buf) {
                    Ok(Some((FromPeer::Notification(n), used))) => {
                        buf.drain(..used);
                        let _ = self.inbound.send((sid, notification_from_wire(n)));
                    }
                    Ok(Some((FromPeer::Hello(_), used))) => {
                        buf.drain(..used);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(sid, "election connection: {e}; closing it");
                        break 'read;
                    }
                }
            }
            let mut chunk = [0u8; 8192];
            match reader.read(&mut chunk).await {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => break,
            }
        }
        {
            let mut links = lock(&self.links);
            if links.open.get(&sid).is_some_and(|t| t.same_channel(&tx)) {
                links.open.remove(&sid);
            }
        }
        writing.abort();
        tracing::debug!(sid, "election connection down");
    }
}
