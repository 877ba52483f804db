//! What a member owes its clients: the requests it took and has not answered yet, and the reads
//! that wait behind their session's writes.

use lab08_znodes::acl::Id;
use lab08_znodes::proto::{ConnectResponse, Op};
use lab08_znodes::request_processor::Outbox;
use tokio::sync::oneshot;

/// A client request this server took and has not answered yet.
pub(super) enum Pending {
    Connect {
        reply: oneshot::Sender<ConnectResponse>,
        timeout_ms: i32,
    },
    Op {
        op: Op,
        auth: Vec<Id>,
        out: Outbox,
    },
}

/// A read waiting behind its session's writes.
pub(super) struct WaitingRead {
    pub(super) xid: i32,
    pub(super) op: Op,
    pub(super) auth: Vec<Id>,
    pub(super) out: Outbox,
}
