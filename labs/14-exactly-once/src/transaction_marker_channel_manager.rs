//! Given: the markers a coordinator still has to write — Kafka 2.6's
//! `TransactionMarkerChannelManager`, without its network thread.
//!
//! Once a transaction is decided (PrepareCommit or PrepareAbort is durable) every partition in
//! it must get a marker. Markers wait here, one per partition, until the shell drains them into
//! one WriteTxnMarkers request per partition leader. A partition whose leader is unknown keeps
//! its marker queued (Kafka's "markers without leader" queue) until a later drain.

use std::collections::BTreeMap;

use crate::messages::write_txn_markers::{WritableTxnMarker, WriteTxnMarkersRequest};
use crate::transaction_metadata::TopicPartition;

/// One marker to write to one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMarker {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// true: commit, false: abort.
    pub commit: bool,
    pub coordinator_epoch: i32,
    pub partition: TopicPartition,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionMarkerChannelManager {
    queue: Vec<PendingMarker>,
}

impl TransactionMarkerChannelManager {
    pub fn add(&mut self, marker: PendingMarker) {
        self.queue.push(marker);
    }

    /// Forgets every queued marker of a transactional id (its coordinator was fenced).
    pub fn remove_markers_for_txn_id(&mut self, transactional_id: &str) {
        self.queue
            .retain(|m| m.transactional_id != transactional_id);
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Takes the markers whose partition has a leader and groups them into one request per
    /// leader (broker id), one `WritableTxnMarker` per producer, decision and partition set.
    pub fn drain(
        &mut self,
        leader_of: impl Fn(&TopicPartition) -> Option<i32>,
    ) -> Vec<(i32, WriteTxnMarkersRequest)> {
        let mut per_broker: BTreeMap<i32, Vec<PendingMarker>> = BTreeMap::new();
        let mut kept = Vec::new();
        for m in self.queue.drain(..) {
            match leader_of(&m.partition) {
                Some(b) => per_broker.entry(b).or_default().push(m),
                None => kept.push(m),
            }
        }
        self.queue = kept;
        per_broker
            .into_iter()
            .map(|(broker, ms)| {
                let mut markers: Vec<WritableTxnMarker> = Vec::new();
                for m in ms {
                    let same = |w: &WritableTxnMarker| {
                        w.producer_id == m.producer_id
                            && w.producer_epoch == m.producer_epoch
                            && w.transaction_result == m.commit
                            && w.coordinator_epoch == m.coordinator_epoch
                    };
                    let (topic, p) = m.partition.clone();
                    let idx = match markers.iter().position(same) {
                        Some(i) => i,
                        None => {
                            markers.push(WritableTxnMarker {
                                producer_id: m.producer_id,
                                producer_epoch: m.producer_epoch,
                                transaction_result: m.commit,
                                topics: Vec::new(),
                                coordinator_epoch: m.coordinator_epoch,
                            });
                            markers.len() - 1
                        }
                    };
                    let topics = &mut markers[idx].topics;
                    match topics.iter_mut().find(|(t, _)| *t == topic) {
                        Some((_, parts)) => parts.push(p),
                        None => topics.push((topic, vec![p])),
                    }
                }
                (broker, WriteTxnMarkersRequest { markers })
            })
            .collect()
    }
}
