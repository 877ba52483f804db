//! What the roles share — the settings, the database, the outbox and the clock — and what a
//! role's step says about the role. The leader and the follower (`leader.rs`, `follower.rs`)
//! work on a [`Ctx`]; the peer (`peer.rs`) owns it and switches roles.

use std::collections::VecDeque;

use crate::config::QuorumConfig;
use crate::messages::{Message, QuorumPacket, SessionId, Sid, OP_CLOSE_SESSION, OP_CREATE_SESSION};
use crate::quorum_verifier::QuorumMaj;
use crate::ready::{ClientReply, Outgoing, Ready};
use crate::session_tracker::SessionTracker;
use crate::zk_database::{create_session_timeout, ZkDatabase};
use crate::zxid::Zxid;

/// What a role's step or tick says about the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Back to LOOKING, for this reason (ZooKeeper logs it when it shuts a role down).
    StepDown(&'static str),
}

/// What the roles share: the settings, the database, the outbox and the clock.
#[derive(Debug)]
pub struct Ctx {
    pub config: QuorumConfig,
    pub quorum: QuorumMaj,
    pub db: ZkDatabase,
    pub out: Ready,
    /// Ticks since start.
    pub now: u64,
    /// This server's clients' writes waiting for their commit, as (session, cxid).
    pub pending_writes: VecDeque<(SessionId, i32)>,
    pub tracker: SessionTracker,
}

impl Ctx {
    pub fn my_id(&self) -> Sid {
        self.config.my_id
    }

    pub fn send(&mut self, to: Sid, packet: QuorumPacket) {
        self.out.messages.push(Outgoing {
            to,
            msg: Message::Quorum(packet),
        });
    }

    /// Applies the log up to `upto` (known committed): the state machine gets each
    /// transaction, this server's clients get their answers, the leader's tracker its sessions.
    pub fn commit_to(&mut self, upto: Zxid) {
        let done = self.db.apply_to(upto, &mut self.out.apply);
        for t in done {
            let h = &t.header;
            match h.kind {
                OP_CREATE_SESSION => {
                    self.tracker
                        .add(h.client_id, create_session_timeout(&t.record), self.now)
                }
                OP_CLOSE_SESSION => self.tracker.remove(h.client_id),
                _ => {}
            }
            if let Some(i) = self
                .pending_writes
                .iter()
                .position(|(s, c)| *s == h.client_id && *c == h.cxid)
            {
                self.pending_writes.remove(i);
                self.out.replies.push(ClientReply::Committed {
                    session: h.client_id,
                    cxid: h.cxid,
                    zxid: h.zxid,
                });
            }
        }
    }
}
