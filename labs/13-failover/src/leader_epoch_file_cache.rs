//! Step 1: the leader epoch cache (Kafka's `kafka.server.epoch.LeaderEpochFileCache`): for
//! every leader epoch this replica's log holds records of, the offset of the first of them.
//!
//! ```text
//! log:     0 1 2 3 | 4 5 6 | 7 8        batches carry their partition leader epoch
//! epoch:   0 0 0 0 | 2 2 2 | 3 3
//! cache:   (0, 0)  (2, 4)  (3, 7)       epoch 1's leader wrote nothing that survived here
//! ```
//!
//! With it a follower can ask a new leader "where does *my* last epoch end in *your* log?"
//! (OffsetsForLeaderEpoch, step 2) and cut its own log exactly where the two diverge
//! (step 3), which the high watermark cannot tell (KIP-101). The entries are kept in epoch
//! order; both the epochs and the start offsets only go up.
//!
//! This cache is pure: methods that change it return `true` when it changed, and the shell
//! then writes [`LeaderEpochFileCache::entries`] with `LeaderEpochCheckpointFile` (Kafka
//! flushes inside the cache; the order is the same: change, then write, then go on).

use crate::error::{Error, Result};

/// Kafka's `UNDEFINED_EPOCH`: no epoch (an old message format, or an empty cache).
pub const UNDEFINED_EPOCH: i32 = -1;
/// Kafka's `UNDEFINED_EPOCH_OFFSET`: no offset for the epoch asked about.
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

/// One entry: `epoch` started at `start_offset` (Kafka's `EpochEntry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

impl EpochEntry {
    pub fn new(epoch: i32, start_offset: i64) -> EpochEntry {
        EpochEntry {
            epoch,
            start_offset,
        }
    }
}

/// The cache of one partition replica.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderEpochFileCache {
    /// In epoch order, epochs and start offsets both strictly increasing.
    entries: Vec<EpochEntry>,
}

impl LeaderEpochFileCache {
    /// An empty cache (a new replica, or a deleted checkpoint).
    pub fn new() -> LeaderEpochFileCache {
        LeaderEpochFileCache::default()
    }

    /// The cache as read back from a checkpoint. The file's entries must already be ordered;
    /// `LeaderEpochCheckpointFile::read` checks that.
    pub fn from_entries(entries: Vec<EpochEntry>) -> LeaderEpochFileCache {
        LeaderEpochFileCache { entries }
    }

    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    /// The newest entry, if any (`latestEntry`).
    pub fn latest_entry(&self) -> Option<EpochEntry> {
        self.entries.last().copied()
    }

    /// The newest epoch, or `UNDEFINED_EPOCH` (`latestEpoch`).
    pub fn latest_epoch(&self) -> i32 {
        self.latest_entry().map_or(UNDEFINED_EPOCH, |e| e.epoch)
    }

    /// `assign(epoch, startOffset)`, called for every batch appended, with the batch's
    /// partition leader epoch and base offset. Only a new epoch — or an old one now starting
    /// earlier, after a truncation — changes anything: first every entry that the new one would
    /// make non-monotonic (an epoch ≥ the new epoch, or a start offset ≥ the new offset) goes,
    /// then the new entry is added (`maybeTruncateNonMonotonicEntries`). Returns whether the
    /// cache changed (then write the checkpoint).
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> Result<bool> {
        // BEGIN SOLUTION step 1: refuse negative values; do nothing for the latest epoch at the same or a later offset; else drop the entries from the end that are not below the new one in both epoch and offset, and push it
        // ko: 음수는 거절하고, 최신 에포크가 같은 오프셋이나 그 뒤에서 다시 오면 아무것도 하지 않으며, 아니면 에포크와 오프셋 둘 다 새 항목보다 작지 않은 끝 쪽 항목들을 지우고 새 항목을 넣으세요
        if epoch < 0 || start_offset < 0 {
            return Err(Error::BadEpochEntry {
                epoch,
                start_offset,
            });
        }
        let update_needed = match self.latest_entry() {
            Some(last) => epoch != last.epoch || start_offset < last.start_offset,
            None => true,
        };
        if !update_needed {
            return Ok(false);
        }
        while let Some(last) = self.entries.last() {
            if last.epoch >= epoch || last.start_offset >= start_offset {
                self.entries.pop();
            } else {
                break;
            }
        }
        self.entries.push(EpochEntry::new(epoch, start_offset));
        Ok(true)
        // END SOLUTION
    }

    /// `endOffsetFor(requestedEpoch)`: the largest epoch ≤ `requested_epoch` this replica
    /// knows, and the offset where it ends — the start offset of the next known epoch, or
    /// `log_end_offset` for the latest epoch. Kafka 2.6's cases:
    /// - `UNDEFINED_EPOCH` asked, or an empty cache: `(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`;
    /// - the latest epoch: `(epoch, log_end_offset)`;
    /// - an epoch above every known one: `(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`;
    /// - an epoch below every known one: `(requested_epoch, start of the first epoch)`;
    /// - otherwise `(largest known epoch ≤ requested, start of the first epoch > requested)`.
    pub fn end_offset_for(&self, requested_epoch: i32, log_end_offset: i64) -> (i32, i64) {
        // BEGIN SOLUTION step 1: follow the five cases of the doc comment in order
        // ko: 문서 주석의 다섯 경우를 순서대로 따르세요
        let undefined = (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        if requested_epoch == UNDEFINED_EPOCH {
            return undefined;
        }
        let Some(latest) = self.latest_entry() else {
            return undefined;
        };
        if latest.epoch == requested_epoch {
            return (requested_epoch, log_end_offset);
        }
        let Some(higher) = self.entries.iter().find(|e| e.epoch > requested_epoch) else {
            return undefined;
        };
        match self
            .entries
            .iter()
            .rev()
            .find(|e| e.epoch <= requested_epoch)
        {
            None => (requested_epoch, higher.start_offset),
            Some(floor) => (floor.epoch, higher.start_offset),
        }
        // END SOLUTION
    }

    /// `truncateFromEnd(endOffset)`: the log was cut to end at `end_offset` (a follower's
    /// truncation); entries that start at or after it go. A negative offset changes nothing.
    /// Returns whether the cache changed.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> bool {
        // BEGIN SOLUTION step 1: drop the entries starting at or after end_offset, if end_offset is not negative
        // ko: end_offset가 음수가 아니면 그 위치나 그 뒤에서 시작하는 항목들을 지우세요
        if end_offset < 0 {
            return false;
        }
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        self.entries.len() != before
        // END SOLUTION
    }

    /// `truncateFromStart(startOffset)`: the log's start moved to `start_offset` (retention,
    /// DeleteRecords). Entries starting at or before it go, but the last of them stays, moved
    /// to `start_offset`: its epoch still covers the records from there. Returns whether the
    /// cache changed.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> bool {
        // BEGIN SOLUTION step 1: remove the entries starting at or before start_offset and put back the last removed one at start_offset
        // ko: start_offset 이하에서 시작하는 항목들을 지우고, 지운 것 중 마지막을 start_offset에서 시작하도록 되돌려 넣으세요
        let removed = self
            .entries
            .iter()
            .take_while(|e| e.start_offset <= start_offset)
            .count();
        if removed == 0 {
            return false;
        }
        let last_removed = self.entries[removed - 1];
        self.entries.drain(..removed);
        self.entries
            .insert(0, EpochEntry::new(last_removed.epoch, start_offset));
        true
        // END SOLUTION
    }
}
