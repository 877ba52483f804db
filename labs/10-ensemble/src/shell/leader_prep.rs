//! The leader's prep stage for the whole ensemble: every write a member took (its own clients'
//! and the REQUESTs its followers forwarded) becomes a transaction with the next zxid, through
//! lab 08's `PrepRequestProcessor`, and the core proposes it. A write the prep stage refuses
//! still gets a zxid, as an error transaction: the member that took it waits for one.

use lab08_znodes::cnxn_factory::{now_ms, Shared};
use lab08_znodes::code::Code;
use lab08_znodes::jute::InputArchive;
use lab08_znodes::prep_request_processor::{PrepRequestProcessor, Prepped, Request as Prep};
use lab08_znodes::proto::Op;

use crate::messages::{Request, SessionId, OP_CLOSE_SESSION, OP_CREATE_SESSION};
use crate::shell::pending::Pending;
use crate::shell::quorum_peer_main::{to_core, QuorumPeerMain};
use crate::zxid::Zxid;

impl QuorumPeerMain {
    /// Leader: a client request (its own client's or a follower's) becomes a transaction with
    /// the next zxid, and the core proposes it.
    pub(super) fn prep_and_propose(&mut self, request: Request) {
        let auth = match self.pending.get(&(request.session, request.cxid)) {
            Some(Pending::Op { auth, .. }) => auth.clone(),
            _ => self
                .remote_auth
                .remove(&(request.session, request.cxid))
                .unwrap_or_default(),
        };
        let Some(zxid) = self.peer.next_zxid() else {
            return;
        };
        let prep = prep_stage(&mut self.prep, &self.shared, zxid);
        let now = now_ms();
        let mut server = self.shared.server();
        let op = match request.kind {
            OP_CREATE_SESSION | OP_CLOSE_SESSION => None,
            kind => Some(Op::read(kind, &mut InputArchive::new(&request.data))),
        };
        let prepped = match (request.kind, &op) {
            (OP_CREATE_SESSION, _) => {
                let timeout_ms = InputArchive::new(&request.data).read_int().unwrap_or(0);
                prep.prep(
                    &mut server.sessions,
                    Prep::CreateSession {
                        session: request.session,
                        timeout_ms,
                    },
                    now,
                )
            }
            (OP_CLOSE_SESSION, _) => prep.prep(
                &mut server.sessions,
                Prep::Op {
                    session: request.session,
                    op: &Op::CloseSession,
                    auth: &auth,
                },
                now,
            ),
            (_, Some(Ok(op))) => prep.prep(
                &mut server.sessions,
                Prep::Op {
                    session: request.session,
                    op,
                    auth: &auth,
                },
                now,
            ),
            _ => Prepped::Answer(Err(Code::MarshallingError)),
        };
        let mut logged = match prepped {
            Prepped::Txn(t) => t,
            Prepped::Answer(Err(code)) => prep.error_txn(request.session, code, now),
            _ => prep.error_txn(request.session, Code::SystemError, now),
        };
        drop(server);
        logged.cxid = request.cxid;
        let txn = to_core(&logged);
        if let Err(e) = self.peer.propose(txn) {
            tracing::warn!("cannot propose 0x{:x}: {e}", logged.zxid);
        }
    }

    /// Leader: the core found `session` silent past its timeout.
    pub(super) fn expire(&mut self, session: SessionId) {
        let Some(zxid) = self.peer.next_zxid() else {
            return;
        };
        let prep = prep_stage(&mut self.prep, &self.shared, zxid);
        let mut server = self.shared.server();
        if let Prepped::Txn(t) = prep.prep(&mut server.sessions, Prep::Expire { session }, now_ms())
        {
            drop(server);
            if let Err(e) = self.peer.propose(to_core(&t)) {
                tracing::warn!("cannot propose the expiry of 0x{session:x}: {e}");
            }
        }
    }
}

/// The leader's prep stage, made on its first write: in step with the tree, numbering from the
/// zxid the core says comes next (the new epoch's first).
fn prep_stage<'a>(
    prep: &'a mut Option<PrepRequestProcessor>,
    shared: &Shared,
    next: Zxid,
) -> &'a mut PrepRequestProcessor {
    prep.get_or_insert_with(|| {
        let mut prep = PrepRequestProcessor::new(&shared.server());
        prep.set_last_zxid(next.0 - 1);
        prep
    })
}
