//! The quorum port (2888) — ZooKeeper's `Leader` accept loop with one `LearnerHandler` per
//! learner, and a follower's `Learner.connectToLeader`: QuorumPackets back to back, no frame.
//!
//! A leader listens and learns who called from the first packet (FOLLOWERINFO's server id); a
//! follower calls its leader. Each connection gets a number, so that the end of an old
//! connection is never mistaken for the end of its successor.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab08_znodes::acl::Id;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::messages::{QuorumPacket, Sid};
use crate::shell::convert::{packet_from_wire, snap_with_image};
use crate::wire::packets::{FromLeader, LeaderStreamDecoder};
use crate::wire::quorum_packet::{self as wire, PacketType};

/// What the quorum connections report to the main loop.
#[derive(Debug)]
pub enum QuorumEvent {
    Packet {
        sid: Sid,
        conn: u64,
        packet: QuorumPacket,
        /// A REQUEST's client ids.
        auth: Vec<Id>,
    },
    Closed {
        sid: Sid,
        conn: u64,
    },
}

type Conns = Arc<Mutex<HashMap<Sid, (u64, mpsc::UnboundedSender<Vec<u8>>)>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct QuorumLinks {
    conns: Conns,
    next_conn: Arc<AtomicU64>,
    events: mpsc::UnboundedSender<QuorumEvent>,
    tasks: Vec<JoinHandle<()>>,
}

impl QuorumLinks {
    pub fn new(events: mpsc::UnboundedSender<QuorumEvent>) -> QuorumLinks {
        QuorumLinks {
            conns: Arc::default(),
            next_conn: Arc::new(AtomicU64::new(1)),
            events,
            tasks: Vec::new(),
        }
    }

    /// Ends every connection and the accept loop (the role ended).
    pub fn close_all(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        lock(&self.conns).clear();
    }

    /// Whether a connection to `sid` is registered (for a follower: its leader).
    pub fn is_open(&self, sid: Sid) -> Option<u64> {
        lock(&self.conns).get(&sid).map(|(conn, _)| *conn)
    }

    /// Queues bytes for `sid`; false when there is no connection to it.
    pub fn send(&self, to: Sid, bytes: Vec<u8>) -> bool {
        lock(&self.conns)
            .get(&to)
            .is_some_and(|(_, tx)| tx.send(bytes).is_ok())
    }

    /// Leading: accept learners on `listener`; only the sids in `voters` are let in.
    pub fn lead(&mut self, listener: TcpListener, voters: Vec<Sid>) {
        let conns = self.conns.clone();
        let next = self.next_conn.clone();
        let events = self.events.clone();
        self.tasks.push(tokio::spawn(async move {
            // Aborted with the accept loop: a role's learner handlers end with the role.
            let mut handlers: Vec<AbortOnDrop> = Vec::new();
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        let conn = next.fetch_add(1, Ordering::Relaxed);
                        handlers.retain(|h| !h.0.is_finished());
                        handlers.push(AbortOnDrop(tokio::spawn(learner_handler(
                            stream,
                            conn,
                            conns.clone(),
                            events.clone(),
                            voters.clone(),
                        ))));
                    }
                    Err(e) => {
                        tracing::warn!("quorum port: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }

    /// Following: call the leader at `address`, trying for `limit`.
    pub fn follow(&mut self, leader: Sid, address: String, limit: Duration) {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        // Registered at once: what the core sends before the call connects waits in `tx`.
        lock(&self.conns).insert(leader, (conn, tx));
        let conns = self.conns.clone();
        let events = self.events.clone();
        self.tasks.push(tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + limit;
            let stream = loop {
                match tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&address))
                    .await
                {
                    Ok(Ok(s)) => break Some(s),
                    _ if tokio::time::Instant::now() >= deadline => break None,
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            };
            match stream {
                Some(stream) => {
                    let _ = stream.set_nodelay(true);
                    follower_connection(stream, leader, conn, rx, events.clone()).await;
                }
                None => tracing::warn!(leader, %address, "cannot reach the leader's quorum port"),
            }
            let mut c = lock(&conns);
            if c.get(&leader).is_some_and(|(n, _)| *n == conn) {
                c.remove(&leader);
            }
            drop(c);
            let _ = events.send(QuorumEvent::Closed { sid: leader, conn });
        }));
    }
}

/// A task that stops when its handle is dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Writes what arrives on `rx` to `writer` until either ends. Packets queued together (a
/// batch of proposals, their commits) go out in one write rather than one system call each.
fn spawn_writer(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        const MAX_WRITE: usize = 1 << 20;
        while let Some(mut bytes) = rx.recv().await {
            while bytes.len() < MAX_WRITE {
                match rx.try_recv() {
                    Ok(more) => bytes.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
    })
}

/// The leader's side of one learner (`LearnerHandler`).
async fn learner_handler(
    stream: TcpStream,
    conn: u64,
    conns: Conns,
    events: mpsc::UnboundedSender<QuorumEvent>,
    voters: Vec<Sid>,
) {
    let (mut reader, writer) = stream.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let writing = spawn_writer(writer, rx);
    let mut sid = None;
    let mut buf = Vec::new();
    'read: loop {
        loop {
            match wire::QuorumPacket::decode(&buf) {
                Ok(Some((packet, used))) => {
                    buf.drain(..used);
                    let Ok(Some((packet, auth))) = packet_from_wire(packet, true) else {
                        tracing::warn!(
                            ?sid,
                            "quorum port: a packet the leader cannot read; closing"
                        );
                        break 'read;
                    };
                    if sid.is_none() {
                        let from = match &packet {
                            QuorumPacket::FollowerInfo { info, .. }
                            | QuorumPacket::ObserverInfo { info, .. } => info.serverid,
                            _ => {
                                tracing::warn!(
                                    "quorum port: a learner must start with FOLLOWERINFO; closing"
                                );
                                break 'read;
                            }
                        };
                        if !voters.contains(&from) {
                            tracing::warn!(
                                sid = from,
                                "quorum port: not a server of zoo.cfg; closing"
                            );
                            break 'read;
                        }
                        sid = Some(from);
                        lock(&conns).insert(from, (conn, tx.clone()));
                    }
                    let sid = sid.expect("set above");
                    if events
                        .send(QuorumEvent::Packet {
                            sid,
                            conn,
                            packet,
                            auth,
                        })
                        .is_err()
                    {
                        break 'read;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(?sid, "quorum port: {e}; closing the learner's connection");
                    break 'read;
                }
            }
        }
        let mut chunk = vec![0u8; 64 * 1024];
        match reader.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    writing.abort();
    if let Some(sid) = sid {
        let mut c = lock(&conns);
        if c.get(&sid).is_some_and(|(n, _)| *n == conn) {
            c.remove(&sid);
        }
        drop(c);
        let _ = events.send(QuorumEvent::Closed { sid, conn });
    }
}

/// A follower's connection to its leader (`Learner`): the SNAP image is read with its packet.
async fn follower_connection(
    stream: TcpStream,
    leader: Sid,
    conn: u64,
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<QuorumEvent>,
) {
    let (mut reader, writer) = stream.into_split();
    let writing = spawn_writer(writer, rx);
    let mut decoder = LeaderStreamDecoder::new();
    let mut snap_zxid = None;
    let mut buf = Vec::new();
    'read: loop {
        loop {
            let packet = match decoder.decode(&buf) {
                Ok(Some((item, used))) => {
                    buf.drain(..used);
                    match item {
                        FromLeader::Packet(p) if p.kind == PacketType::Snap => {
                            snap_zxid = Some(p.zxid);
                            continue;
                        }
                        FromLeader::Packet(p) => match packet_from_wire(p, false) {
                            Ok(Some((packet, _))) => packet,
                            Ok(None) => continue,
                            Err(e) => {
                                tracing::warn!(leader, "a packet from the leader: {e}; closing");
                                break 'read;
                            }
                        },
                        FromLeader::Snapshot(image) => {
                            snap_with_image(snap_zxid.take().unwrap_or_default(), &image)
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(leader, "the leader's stream: {e}; closing");
                    break 'read;
                }
            };
            let event = QuorumEvent::Packet {
                sid: leader,
                conn,
                packet,
                auth: Vec::new(),
            };
            if events.send(event).is_err() {
                break 'read;
            }
        }
        let mut chunk = vec![0u8; 64 * 1024];
        match reader.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    writing.abort();
}
