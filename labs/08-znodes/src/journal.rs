//! Where transactions are made durable before anyone hears "done" — ZooKeeper's
//! `SyncRequestProcessor` and its `FileTxnSnapLog`. Lab 09 implements it with a transaction log
//! and snapshots; without one (lab 08 alone) the server keeps everything in memory.

use crate::server::ZkServer;
use crate::txn::LoggedTxn;

pub trait Journal: Send {
    /// Appends `txns` (in zxid order) and fsyncs: when this returns they survive a crash.
    fn append(&mut self, txns: &[LoggedTxn]) -> std::io::Result<()>;

    /// Called after the final stage committed transactions, with the committed state and the
    /// time: the place for a snapshot every `snapCount` transactions and for
    /// `autopurge.purgeInterval`.
    fn committed(&mut self, server: &ZkServer, now_ms: i64) -> std::io::Result<()>;
}
