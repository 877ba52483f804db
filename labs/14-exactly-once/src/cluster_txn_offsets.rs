//! Given: TxnOffsetCommit at a group's coordinator in a cluster (Kafka's
//! `GroupCoordinator.handleTxnCommitOffsets`): NOT_COORDINATOR at a broker that does not lead
//! the group's `__consumer_offsets` partition; else the offsets are written there as the
//! producer's transactional batch (`txn_offsets`) and answered once the partition's high
//! watermark passed them — replicated, as Kafka's acks=all append — so a coordinator that
//! dies after answering leaves them to its successor, which applies them at the marker.

use lab05_broker::shared::now_ms;

use crate::cluster_transactions::{ClusterTransactions, APPEND_TIMEOUT};
use crate::errors::Errors;
use crate::messages::txn_offset_commit::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use crate::txn_offsets::{store_txn_offsets, txn_offset_commit_response};

const OFFSETS_TOPIC: &str = lab07_consumer_groups::offsets::OFFSETS_TOPIC;

impl ClusterTransactions {
    pub(crate) async fn txn_offset_commit(
        &self,
        r: TxnOffsetCommitRequest,
    ) -> TxnOffsetCommitResponse {
        if !self.group_service.is_coordinator(&r.group_id) {
            return txn_offset_commit_response(r, Errors::NotCoordinator);
        }
        let stored = {
            let mut broker = self.shared().broker();
            store_txn_offsets(&mut broker, &self.groups, &r, now_ms())
        };
        self.shared().appended.notify_waiters();
        let error = match stored {
            Ok((partition, end)) => match self.replicated(partition, end).await {
                true => Errors::None,
                // Kafka's DelayedProduce answers REQUEST_TIMED_OUT; the producer retries.
                false => Errors::RequestTimedOut,
            },
            Err(e) => e,
        };
        txn_offset_commit_response(r, error)
    }

    /// Waits until `__consumer_offsets`-`partition`'s high watermark reaches `end`, woken by
    /// lab 05's `appended` (followers' fetches move it); false after [`APPEND_TIMEOUT`].
    async fn replicated(&self, partition: i32, end: i64) -> bool {
        let deadline = tokio::time::Instant::now() + APPEND_TIMEOUT;
        loop {
            let notified = self.shared().appended.notified();
            tokio::pin!(notified);
            // Registered before the look, so a wake-up between the two is not lost.
            notified.as_mut().enable();
            let hw = self
                .shared()
                .broker()
                .partition(OFFSETS_TOPIC, partition)
                .map(|p| p.high_watermark());
            match hw {
                Some(hw) if hw >= end => return true,
                Some(_) => {}
                None => return false,
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return false;
            }
        }
    }
}
