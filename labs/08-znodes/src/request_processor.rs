//! The request chain, run by one task: every request of every connection passes here, in
//! arrival order — ZooKeeper's `PrepRequestProcessor` → `SyncRequestProcessor` (here behind a
//! [`Proposer`]) → `FinalRequestProcessor`.
//!
//! The task takes all the requests that are waiting (a batch) and, for the batch:
//! 1. **prep**: each request becomes a transaction with its zxid, a read, or a ready answer;
//! 2. **propose**: the batch's transactions go to the proposer — standalone, one append and one
//!    fsync for all of them (group commit: concurrent writers share an fsync); in lab 10, a
//!    quorum's acknowledgements;
//! 3. **commit/final**: in order, each transaction changes the committed state and each read is
//!    answered from it; the watch events a change fires are queued before its answer;
//! 4. only then are the answers sent: no client sees a write that is not on disk.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::acl::Id;
use crate::cnxn_factory::Shared;
use crate::code::Code;
use crate::packet::{event_frame, reply_frame};
use crate::prep_request_processor::{PrepRequestProcessor, Prepped, Request};
use crate::proposer::Proposer;
use crate::proto::{ConnectRequest, ConnectResponse, Op, OpResult};
use crate::txn::{LoggedTxn, Txn};

/// A connection's outgoing packets: answers and watch events, in order.
pub type Outbox = mpsc::UnboundedSender<Vec<u8>>;

/// A request waiting for the chain, with where its answer goes.
#[derive(Debug)]
pub enum Submitted {
    Connect {
        request: ConnectRequest,
        now_ms: i64,
        reply: oneshot::Sender<ConnectResponse>,
    },
    Op {
        session: i64,
        xid: i32,
        op: Op,
        /// The ids of the connection when it sent the request.
        auth: Vec<Id>,
        now_ms: i64,
        out: Outbox,
    },
    /// From the expiry tick (`cnxn_factory.rs`).
    Expire { session: i64, now_ms: i64 },
    /// A session opened by a follower for its client (lab 10); nobody here waits for it.
    CreateSession {
        session: i64,
        timeout_ms: i32,
        now_ms: i64,
    },
}

impl Submitted {
    /// What the prep stage sees of this request, and when it was made.
    pub fn request(&self) -> (Request<'_>, i64) {
        match self {
            Submitted::Connect {
                request, now_ms, ..
            } => (Request::Connect(request), *now_ms),
            Submitted::Op {
                session,
                op,
                auth,
                now_ms,
                ..
            } => (
                Request::Op {
                    session: *session,
                    op,
                    auth,
                },
                *now_ms,
            ),
            Submitted::Expire { session, now_ms } => {
                (Request::Expire { session: *session }, *now_ms)
            }
            Submitted::CreateSession {
                session,
                timeout_ms,
                now_ms,
            } => (
                Request::CreateSession {
                    session: *session,
                    timeout_ms: *timeout_ms,
                },
                *now_ms,
            ),
        }
    }
}

/// A request of the batch at the commit stage: its transaction, or what prep made of it.
enum Step<'a> {
    Txn(&'a LoggedTxn),
    Other(Prepped),
}

/// A batch's output, in the order it must leave: (session, its connection if known, packet).
type Frames = Vec<(i64, Option<Outbox>, Vec<u8>)>;

/// Runs the chain until every sender is gone or the proposer fails (then `shared.failed` is
/// set and nothing more is answered: ZooKeeper exits on a failed log write too).
pub async fn run_chain(
    shared: Arc<Shared>,
    mut requests: mpsc::UnboundedReceiver<Submitted>,
    mut proposer: Box<dyn Proposer>,
) {
    let mut prep = PrepRequestProcessor::new(&shared.server());
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1_000 {
            match requests.try_recv() {
                Ok(s) => batch.push(s),
                Err(_) => break,
            }
        }
        let now_ms = batch.iter().map(|s| s.request().1).max().unwrap_or(0);
        // 1. prep. The transactions move into their own list, for the proposer; a request's
        //    place in the batch keeps `None` for "my transaction is next in that list".
        let mut txns = Vec::new();
        let prepped: Vec<Option<Prepped>> = {
            let mut server = shared.server();
            batch
                .iter()
                .map(|s| {
                    let (request, now) = s.request();
                    match prep.prep(&mut server.sessions, request, now) {
                        Prepped::Txn(mut t) => {
                            // The header names the request it came from (TxnHeader.cxid).
                            if let Submitted::Op { xid, .. } = s {
                                t.cxid = *xid;
                            }
                            txns.push(t);
                            None
                        }
                        other => Some(other),
                    }
                })
                .collect()
        };
        // 2. propose (the lock is not held: four-letter words still answer meanwhile)
        if let Err(e) = proposer.propose(&txns).await {
            fail(&shared, &e);
            break;
        }
        // 3. commit and final
        let mut frames = Frames::new();
        let mut connected = Vec::new();
        {
            let mut server = shared.server();
            let mut committing = txns.iter();
            for (submitted, prepped) in batch.into_iter().zip(prepped) {
                // Transactions commit in zxid order: the batch's order.
                let step = match prepped {
                    Some(p) => Step::Other(p),
                    None => committing
                        .next()
                        .map_or(Step::Other(Prepped::Nothing), Step::Txn),
                };
                let (zxid, result) = match &step {
                    Step::Txn(t) => (t.zxid, server.commit(t)),
                    Step::Other(Prepped::Read) => match &submitted {
                        Submitted::Op {
                            session, op, auth, ..
                        } => (server.zxid, server.read(*session, auth, op)),
                        _ => (server.zxid, Err(Code::SystemError)),
                    },
                    Step::Other(Prepped::Answer(Err(Code::SessionExpired))) => {
                        (0, Err(Code::SessionExpired))
                    }
                    Step::Other(Prepped::Answer(result)) => (server.zxid, result.clone()),
                    Step::Other(_) => (server.zxid, Ok(OpResult::Empty)),
                };
                for (session, kind, path) in server.take_notifications() {
                    frames.push((session, None, event_frame(kind, &path)));
                }
                match submitted {
                    Submitted::Op {
                        session,
                        xid,
                        op,
                        out,
                        ..
                    } => {
                        let xid = if matches!(op, Op::Ping) { -2 } else { xid };
                        frames.push((session, Some(out), reply_frame(xid, zxid, &result)));
                    }
                    Submitted::Connect { reply, .. } => {
                        let response = match step {
                            Step::Other(Prepped::Connected(r)) => r,
                            Step::Txn(LoggedTxn {
                                txn:
                                    Txn::CreateSession {
                                        session,
                                        timeout_ms,
                                    },
                                ..
                            }) => ConnectResponse {
                                protocol_version: 0,
                                time_out: *timeout_ms,
                                session_id: *session,
                                passwd: crate::session::session_passwd(*session),
                            },
                            _ => crate::server::session_expired_response(),
                        };
                        connected.push((reply, response));
                    }
                    Submitted::Expire { .. } | Submitted::CreateSession { .. } => {}
                }
            }
            prep.committed(server.zxid);
            if let Err(e) = proposer.committed(&server, now_ms) {
                fail(&shared, &e);
                break;
            }
        }
        // 4. answers, in order
        for (reply, response) in connected {
            let _ = reply.send(response);
        }
        let outboxes = shared.outboxes();
        for (session, out, frame) in frames {
            let target = out.as_ref().or_else(|| outboxes.get(&session));
            if let Some(out) = target {
                let _ = out.send(frame);
            }
        }
    }
}

fn fail(shared: &Shared, e: &std::io::Error) {
    tracing::error!("cannot write the transaction log: {e}; stopping, as ZooKeeper does");
    shared
        .failed
        .store(true, std::sync::atomic::Ordering::Relaxed);
}
