//! Given: a cluster's transaction markers, both ends (Kafka's
//! `TransactionMarkerChannelManager` and `KafkaApis.handleWriteTxnMarkersRequest`).
//!
//! ```text
//! coordinator: a decided transaction ──▶ for each partition: its leader by the metadata cache
//!                 led here           ──▶ written at once (TxnShell::write_marker)
//!                 led elsewhere      ──▶ WriteTxnMarkers v0 to that leader (inter-broker
//!                                        listener), one task per request
//!                 answered NONE      ──▶ ticked off; all done ──▶ CompleteCommit/CompleteAbort
//!                 refused/no answer  ──▶ queued again after a pause, for the leader of then
//! leader:      WriteTxnMarkers       ──▶ each partition led here: checked (producer epoch,
//!                                        coordinator epoch) then appended; else
//!                                        NOT_LEADER_OR_FOLLOWER
//! ```

use std::time::Duration;

use lab05_broker::shared::now_ms;
use lab13_failover::controller_client::{decode_body, exchange};

use crate::cluster_transactions::ClusterTransactions;
use crate::errors::Errors;
use crate::messages::write_txn_markers::{self, WriteTxnMarkersRequest, WriteTxnMarkersResponse};
use crate::transaction_metadata::TopicPartition;
use crate::transaction_shell::RemoteMarkers;

/// How long a marker the leader refused (or did not answer) waits before it is sent again.
const MARKER_RETRY_BACKOFF: Duration = Duration::from_millis(500);

impl ClusterTransactions {
    /// The address of broker `id` on the inter-broker listener, by the last UpdateMetadata.
    fn address_of(&self, id: i32) -> Option<String> {
        let cache = self.controller.cache();
        let broker = cache.view.live_brokers.get(&id)?;
        let ep = broker
            .endpoints
            .iter()
            .find(|ep| ep.listener == cache.listener)?;
        Some(format!("{}:{}", ep.host, ep.port))
    }

    /// Sends each WriteTxnMarkers to its leader in a task of its own; the answers go back to
    /// the coordinator (which queues a refused marker again for the leader of then).
    pub(crate) fn send_markers(&self, remote: RemoteMarkers) {
        for (leader, request) in remote {
            let Some(service) = self.me.upgrade() else {
                return;
            };
            let address = self.address_of(leader);
            tokio::spawn(async move {
                let response = match &address {
                    Some(address) => send_write_txn_markers(address, &request).await,
                    None => Err(format!("broker {leader} has no known address")),
                };
                let results = marker_results(&request, response.as_ref().ok());
                if let Err(e) = &response {
                    tracing::warn!("WriteTxnMarkers to broker {leader}: {e}");
                }
                if results.iter().any(|(_, _, e)| *e != Errors::None) {
                    tokio::time::sleep(MARKER_RETRY_BACKOFF).await;
                }
                service.on_marker_results(&results);
            });
        }
    }

    fn on_marker_results(&self, results: &[(i64, TopicPartition, Errors)]) {
        let l = self.leaders();
        let remote = {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            let (answers, remote) = txn.shell.on_marker_results(
                &mut broker,
                &self.groups,
                results,
                now_ms(),
                &l.leader_of(),
            );
            txn.deliver(answers, None);
            remote
        };
        self.shared().appended.notify_waiters();
        self.send_markers(remote);
    }

    /// WriteTxnMarkers at a partition leader: each marker appended to each partition this
    /// broker leads (unless its epochs are older than the last marker's: then
    /// TRANSACTION_COORDINATOR_FENCED or INVALID_PRODUCER_EPOCH); NOT_LEADER_OR_FOLLOWER for
    /// the others (the coordinator asks again).
    pub(crate) fn write_txn_markers(&self, r: &WriteTxnMarkersRequest) -> WriteTxnMarkersResponse {
        let l = self.leaders();
        let mut answer = Vec::new();
        {
            let mut txn = self.txn();
            let mut broker = self.shared().broker();
            for m in &r.markers {
                let mut topics = Vec::new();
                for (topic, partitions) in &m.topics {
                    let mut results = Vec::new();
                    for p in partitions {
                        let tp = (topic.clone(), *p);
                        let error = if l.leaders.get(&tp) != Some(&l.me) {
                            Errors::NotLeaderOrFollower
                        } else {
                            let groups = &self.groups;
                            txn.shell
                                .write_marker(&mut broker, groups, m, topic, *p, now_ms())
                        };
                        results.push((*p, error));
                    }
                    topics.push((topic.clone(), results));
                }
                answer.push((m.producer_id, topics));
            }
        }
        self.shared().appended.notify_waiters();
        WriteTxnMarkersResponse { markers: answer }
    }
}

/// One WriteTxnMarkers (v0) to the leader at `address`.
async fn send_write_txn_markers(
    address: &str,
    request: &WriteTxnMarkersRequest,
) -> Result<WriteTxnMarkersResponse, String> {
    let spec = write_txn_markers::SPEC;
    let body = exchange(address, spec, 0, |e| request.encode(e)).await?;
    decode_body(&body, spec, 0, WriteTxnMarkersResponse::decode)
}

/// Each marker's result by the leader's answer; a marker the answer does not mention (or no
/// answer at all) reads as UNKNOWN_SERVER_ERROR, which sends it again.
fn marker_results(
    request: &WriteTxnMarkersRequest,
    response: Option<&WriteTxnMarkersResponse>,
) -> Vec<(i64, TopicPartition, Errors)> {
    let mut results = Vec::new();
    for m in &request.markers {
        for (topic, partitions) in &m.topics {
            for p in partitions {
                let error = response
                    .and_then(|r| r.markers.iter().find(|(pid, _)| *pid == m.producer_id))
                    .and_then(|(_, topics)| topics.iter().find(|(t, _)| t == topic))
                    .and_then(|(_, ps)| ps.iter().find(|(q, _)| q == p))
                    .map_or(Errors::UnknownServerError, |(_, e)| *e);
                results.push((m.producer_id, (topic.clone(), *p), error));
            }
        }
    }
    results
}
