//! The request chain without a network or a disk: prep, then commit at once — what
//! `request_processor.rs` does for a batch, one request at a time. For tests, tools and
//! simulations (lab 10's tests drive servers this way); each call returns the transaction, so a
//! caller can journal it.

use crate::acl::Id;
use crate::code::Code;
use crate::prep_request_processor::{PrepRequestProcessor, Prepped, Request};
use crate::proto::{ConnectRequest, ConnectResponse, Op, OpResult};
use crate::server::{session_expired_response, ZkServer};
use crate::txn::{LoggedTxn, Txn};

#[derive(Debug)]
pub struct Standalone {
    pub server: ZkServer,
    pub prep: PrepRequestProcessor,
}

impl Standalone {
    pub fn new(server: ZkServer) -> Standalone {
        let prep = PrepRequestProcessor::new(&server);
        Standalone { server, prep }
    }

    /// A connect handshake; the createSession transaction if a session was created.
    pub fn connect(
        &mut self,
        request: &ConnectRequest,
        now_ms: i64,
    ) -> (ConnectResponse, Option<LoggedTxn>) {
        match self.step(Request::Connect(request), now_ms) {
            (Prepped::Connected(r), _) => (r, None),
            (Prepped::Txn(t), _) => match &t.txn {
                Txn::CreateSession {
                    session,
                    timeout_ms,
                } => (
                    ConnectResponse {
                        protocol_version: 0,
                        time_out: *timeout_ms,
                        session_id: *session,
                        passwd: crate::session::session_passwd(*session),
                    },
                    Some(t),
                ),
                _ => (session_expired_response(), Some(t)),
            },
            _ => (session_expired_response(), None),
        }
    }

    /// One operation of `session`: the zxid for the reply header, the answer, and the
    /// transaction if it was a write. The connection has no ids: only `world:anyone` entries
    /// let it through (see [`Standalone::submit_as`]).
    pub fn submit(
        &mut self,
        session: i64,
        op: &Op,
        now_ms: i64,
    ) -> (i64, Result<OpResult, Code>, Option<LoggedTxn>) {
        self.submit_as(session, &[], op, now_ms)
    }

    /// [`Standalone::submit`] from a connection with ids `auth` (e.g. `ip:127.0.0.1` and the
    /// digest ids its auth packets gave).
    pub fn submit_as(
        &mut self,
        session: i64,
        auth: &[Id],
        op: &Op,
        now_ms: i64,
    ) -> (i64, Result<OpResult, Code>, Option<LoggedTxn>) {
        match self.step(Request::Op { session, op, auth }, now_ms) {
            (Prepped::Txn(t), result) => (t.zxid, result, Some(t)),
            (Prepped::Read, _) => (self.server.zxid, self.server.read(session, auth, op), None),
            (Prepped::Answer(Err(Code::SessionExpired)), _) => (0, Err(Code::SessionExpired), None),
            (Prepped::Answer(result), _) => (self.server.zxid, result, None),
            (_, result) => (self.server.zxid, result, None),
        }
    }

    /// Closes the sessions silent past their timeout at `now_ms`: their transactions.
    pub fn expire(&mut self, now_ms: i64) -> Vec<LoggedTxn> {
        let due = self.server.sessions.expire_due(now_ms);
        due.into_iter()
            .filter_map(
                |session| match self.step(Request::Expire { session }, now_ms) {
                    (Prepped::Txn(t), _) => Some(t),
                    _ => None,
                },
            )
            .collect()
    }

    /// Preps one request and commits its transaction, if any.
    fn step(&mut self, request: Request<'_>, now_ms: i64) -> (Prepped, Result<OpResult, Code>) {
        let prepped = self.prep.prep(&mut self.server.sessions, request, now_ms);
        let result = match &prepped {
            Prepped::Txn(t) => {
                let r = self.server.commit(t);
                self.prep.committed(t.zxid);
                r
            }
            _ => Ok(OpResult::Empty),
        };
        (prepped, result)
    }
}
