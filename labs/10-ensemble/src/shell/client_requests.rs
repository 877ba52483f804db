//! The clients of an ensemble member (ZooKeeper's `FollowerRequestProcessor` and
//! `CommitProcessor`, as far as a member's own clients see them): a new session and every write
//! or `sync` go to the quorum core, and their answers wait for the commit; reads are answered
//! from the tree at once — unless the same session still waits for a write, then after it, so
//! that a client always reads its own writes.

use lab08_znodes::code::Code;
use lab08_znodes::jute::OutputArchive;
use lab08_znodes::packet::reply_frame;
use lab08_znodes::proto::{ConnectResponse, Op, OpResult};
use lab08_znodes::request_processor::Submitted;
use lab08_znodes::server::session_expired_response;
use lab08_znodes::session::session_passwd;

use crate::messages::{Request, SessionId, OP_CREATE_SESSION};
use crate::ready::ClientReply;
use crate::shell::pending::{Pending, WaitingRead};
use crate::shell::quorum_peer_main::QuorumPeerMain;

impl QuorumPeerMain {
    pub(super) fn client_request(&mut self, request: Submitted) {
        match request {
            Submitted::Connect { request, reply, .. } => {
                if !self.serving {
                    return; // dropping `reply` closes the connection
                }
                if request.session_id == 0 {
                    let session = self.next_session;
                    self.next_session += 1;
                    let timeout_ms = self
                        .shared
                        .server()
                        .sessions
                        .negotiate_timeout(request.time_out);
                    let submitted = self.peer.submit(Request {
                        session,
                        cxid: 0,
                        kind: OP_CREATE_SESSION,
                        data: timeout_ms.to_be_bytes().to_vec(),
                    });
                    if submitted.is_ok() {
                        self.pending
                            .insert((session, 0), Pending::Connect { reply, timeout_ms });
                    }
                } else {
                    // A client moving here with its session: known and not closing here, and
                    // its password is the one every server derives.
                    let id = request.session_id;
                    let known = {
                        let server = self.shared.server();
                        server
                            .sessions
                            .get(id)
                            .filter(|_| {
                                request.passwd == session_passwd(id)
                                    && !server.sessions.is_closing(id)
                            })
                            .map(|s| s.timeout_ms)
                    };
                    let response = match known {
                        Some(time_out) if self.peer.touch(id) => ConnectResponse {
                            protocol_version: 0,
                            time_out,
                            session_id: id,
                            passwd: session_passwd(id),
                        },
                        _ => session_expired_response(),
                    };
                    let _ = reply.send(response);
                }
            }
            Submitted::Op {
                session,
                xid,
                op,
                auth,
                out,
                ..
            } => {
                if !self.serving {
                    return;
                }
                if !self.peer.touch(session) {
                    let _ = out.send(reply_frame(xid, 0, &Err(Code::SessionExpired)));
                    return;
                }
                if matches!(op, Op::Ping) {
                    let zxid = self.shared.server().zxid;
                    let _ = out.send(reply_frame(-2, zxid, &Ok(OpResult::Empty)));
                    return;
                }
                if op.is_write() || matches!(op, Op::Sync { .. } | Op::CloseSession) {
                    let mut data = OutputArchive::new();
                    op.write(&mut data);
                    let r = Request {
                        session,
                        cxid: xid,
                        kind: op.kind(),
                        data: data.into_bytes(),
                    };
                    if self.peer.submit(r).is_ok() {
                        self.pending
                            .insert((session, xid), Pending::Op { op, auth, out });
                    }
                    return;
                }
                let read = WaitingRead { xid, op, auth, out };
                if self.session_waits(session) {
                    self.waiting_reads
                        .entry(session)
                        .or_default()
                        .push_back(read);
                } else {
                    self.answer_read(session, read);
                }
            }
            // Only the leader's core expires sessions, for the whole ensemble.
            Submitted::Expire { .. } | Submitted::CreateSession { .. } => {}
        }
    }

    pub(super) fn session_waits(&self, session: SessionId) -> bool {
        self.pending.keys().any(|(s, _)| *s == session)
    }

    pub(super) fn answer_read(&mut self, session: SessionId, read: WaitingRead) {
        let mut server = self.shared.server();
        let result = server.read(session, &read.auth, &read.op);
        let _ = read.out.send(reply_frame(read.xid, server.zxid, &result));
    }

    /// The reads a session queued behind its writes, now that none is waiting.
    pub(super) fn release_reads(&mut self, session: SessionId) {
        if self.session_waits(session) {
            return;
        }
        if let Some(reads) = self.waiting_reads.remove(&session) {
            for read in reads {
                self.answer_read(session, read);
            }
        }
    }

    pub(super) fn reply(&mut self, reply: ClientReply) {
        let (session, cxid, zxid, synced) = match reply {
            ClientReply::Committed {
                session,
                cxid,
                zxid,
            } => (session, cxid, zxid, false),
            ClientReply::Synced {
                session,
                cxid,
                zxid,
            } => (session, cxid, zxid, true),
            ClientReply::Lost { session, cxid } => {
                self.pending.remove(&(session, cxid));
                return;
            }
        };
        match self.pending.remove(&(session, cxid)) {
            Some(Pending::Connect { reply, timeout_ms }) => {
                let response = match self.results.remove(&zxid.0) {
                    Some(Ok(_)) | None => ConnectResponse {
                        protocol_version: 0,
                        time_out: timeout_ms,
                        session_id: session,
                        passwd: session_passwd(session),
                    },
                    Some(Err(_)) => session_expired_response(),
                };
                let _ = reply.send(response);
            }
            Some(Pending::Op { op, auth, out }) => {
                let result = if synced {
                    self.shared.server().read(session, &auth, &op)
                } else {
                    self.results
                        .remove(&zxid.0)
                        .unwrap_or(Err(Code::SystemError))
                };
                let _ = out.send(reply_frame(cxid, zxid.0, &result));
                if matches!(op, Op::CloseSession) {
                    self.shared.outboxes().remove(&session);
                }
            }
            None => {}
        }
        self.release_reads(session);
    }
}
