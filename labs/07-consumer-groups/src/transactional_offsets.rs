//! Given: offsets committed inside a producer's transaction (KIP-98's TxnOffsetCommit, sent by
//! lab 14's transactional producer) — Kafka's `GroupMetadataManager`
//! `pendingTransactionalOffsetCommits` and `handleTxnCompletion`.
//!
//! The group coordinator writes them to the group's `__consumer_offsets` partition at once,
//! as ordinary offset records in a *transactional* batch (the producer's id and epoch in the
//! batch header). They count only when the transaction coordinator's marker lands in that
//! same partition: COMMIT makes them the group's offsets, ABORT drops them.
//!
//! ```text
//! __consumer_offsets-p:  [txn batch pid 7: g/t-0 → 42]  [g/t-1 → 9]  [COMMIT marker pid 7]
//!                         pending under pid 7            committed     pid 7's pending applied
//! ```
//!
//! Because both the offsets and the marker are in the log, a coordinator that loads the
//! partition (after a restart, or when it becomes the partition's leader) replays them the
//! same way and ends in the same state: nothing waits only in the memory of a broker that may
//! die.
//!
//! Shortcut, labelled: a transactional commit applied at its marker overwrites the key even
//! if a plain OffsetCommit of the same key came after it (Kafka compares their positions in
//! the log and keeps the later one).

use std::collections::BTreeMap;

use crate::group_metadata_manager::OffsetRecord;
use crate::offsets::{OffsetKey, OffsetValue};

/// The offsets waiting for their transaction's marker, by producer id, then by the
/// `__consumer_offsets` partition they were written to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PendingTxnOffsets {
    by_producer: BTreeMap<i64, BTreeMap<i32, BTreeMap<OffsetKey, Option<OffsetValue>>>>,
}

impl PendingTxnOffsets {
    /// Records of `producer_id`'s open transaction, written to partition `partition`; a later
    /// record of the same key replaces the earlier one.
    pub fn add(&mut self, producer_id: i64, partition: i32, records: Vec<OffsetRecord>) {
        let pending = self
            .by_producer
            .entry(producer_id)
            .or_default()
            .entry(partition)
            .or_default();
        pending.extend(records);
    }

    /// `producer_id`'s marker landed in `partition`: the records it closes, to apply when it
    /// commits (none when it aborts, or when nothing was pending).
    pub fn complete(
        &mut self,
        producer_id: i64,
        partition: i32,
        commit: bool,
    ) -> Vec<OffsetRecord> {
        let Some(partitions) = self.by_producer.get_mut(&producer_id) else {
            return Vec::new();
        };
        let records = partitions.remove(&partition).unwrap_or_default();
        if partitions.is_empty() {
            self.by_producer.remove(&producer_id);
        }
        match commit {
            true => records.into_iter().collect(),
            false => Vec::new(),
        }
    }

    /// Forgets what was pending in `partition` (another broker coordinates it now, or it is
    /// about to be replayed).
    pub fn unload(&mut self, partition: i32) {
        for partitions in self.by_producer.values_mut() {
            partitions.remove(&partition);
        }
        self.by_producer
            .retain(|_, partitions| !partitions.is_empty());
    }

    /// Whether `group` has offsets waiting for a marker.
    pub fn has_pending(&self, group: &str) -> bool {
        self.by_producer
            .values()
            .flat_map(|ps| ps.values())
            .any(|records| records.keys().any(|k| k.group == group))
    }
}

/// A control record's key (`ControlRecordType`: version int16, type int16): `Some(true)` for
/// COMMIT (1), `Some(false)` for ABORT (0), `None` for anything else.
pub fn marker_commits(control_key: &[u8]) -> Option<bool> {
    let kind = control_key.get(2..4)?;
    match i16::from_be_bytes([kind[0], kind[1]]) {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}
