//! Given: steps 1–3 in a running broker — every partition's [`LeaderEpochFileCache`], kept in
//! its `leader-epoch-checkpoint` file, behind lab 12's [`LeaderEpochs`] hooks (Kafka 2.6 keeps
//! one cache inside each `Log`).
//!
//! ```text
//! log.dirs/orders-0/00000000000000000000.log …
//!                  /leader-epoch-checkpoint     0 / 2 / "0 0" / "2 4"
//! ```
//!
//! - A cache is loaded the first time its partition is touched (and [`LeaderEpochCaches::load_all`]
//!   touches them all at start): from the checkpoint, cut to the log as it was recovered
//!   (`truncateFromEnd(logEndOffset)`, `truncateFromStart(logStartOffset)`). A missing file
//!   or one that does not parse is rebuilt from the epochs the log's batches carry — the
//!   cure the checkpoint's error message names, done for the reader, and said in the log.
//! - Every change is written at once, atomically (step 1's file: tmp, fsync, rename), before
//!   the broker goes on: a change written late could let a restarted follower ask with an
//!   epoch its log no longer has.
//!
//! The caches are a `std::sync::Mutex` and not a Tokio one: nothing async happens while it is
//! held. It may be taken under the broker's lock, never the other way round.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lab01_record_batch::BatchHeader;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::partition::Reader;
use lab05_broker::Partition;
use lab12_replication::{EpochEndOffset, LeaderEpochs, Truncation};

use crate::fetcher_truncation::{offset_truncation_state, LeaderEpochAnswer};
use crate::last_offset_for_leader_epoch::{last_offset_for_leader_epoch, LocalReplicaState};
use crate::leader_epoch_checkpoint_file::LeaderEpochCheckpointFile;
use crate::leader_epoch_file_cache::LeaderEpochFileCache;

/// Every partition's cache, by partition directory.
#[derive(Default)]
pub struct LeaderEpochCaches {
    caches: Mutex<BTreeMap<PathBuf, LeaderEpochFileCache>>,
}

impl LeaderEpochCaches {
    pub fn new() -> Arc<LeaderEpochCaches> {
        Arc::new(LeaderEpochCaches::default())
    }

    /// Loads the caches of `partitions` (a broker's start).
    pub fn load_all<'a>(&self, partitions: impl IntoIterator<Item = &'a Partition>) {
        for p in partitions {
            self.with_cache(p, |_| ((), false));
        }
    }

    /// A copy of the cache of `partition` (tests and tools).
    pub fn cache(&self, partition: &Partition) -> LeaderEpochFileCache {
        self.with_cache(partition, |c| (c.clone(), false))
    }

    /// The leader's answer to one partition of OffsetsForLeaderEpoch (step 2), by the
    /// partition's state on this broker.
    pub fn last_offset_for_leader_epoch(
        &self,
        partition: &Partition,
        broker_id: i32,
        current_leader_epoch: i32,
        leader_epoch: i32,
    ) -> (ErrorCode, i32, i64) {
        let state = partition.state();
        self.with_cache(partition, |cache| {
            let local = LocalReplicaState {
                is_leader: state.leader_id == broker_id,
                leader_epoch: state.leader_epoch,
                cache,
                log_end_offset: partition.log_end_offset(),
            };
            let current = (current_leader_epoch >= 0).then_some(current_leader_epoch);
            (
                last_offset_for_leader_epoch(&local, current, leader_epoch),
                false,
            )
        })
    }

    /// Runs `change` on the cache of `partition` (loading it first), and writes the checkpoint
    /// if `change` says the cache changed.
    fn with_cache<T>(
        &self,
        partition: &Partition,
        change: impl FnOnce(&mut LeaderEpochFileCache) -> (T, bool),
    ) -> T {
        let dir = partition.log().dir().to_path_buf();
        let mut caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        // A cache with entries always has its file: without one, the partition's directory was
        // deleted (the topic too) and maybe created again — forget what was known of it.
        let file = LeaderEpochCheckpointFile::new(&dir);
        if caches
            .get(&dir)
            .is_some_and(|c| !c.entries().is_empty() && !file.path().exists())
        {
            caches.remove(&dir);
        }
        let cache = caches.entry(dir.clone()).or_insert_with(|| load(partition));
        let (out, changed) = change(cache);
        if changed {
            if let Err(e) = file.write(cache.entries()) {
                tracing::error!("writing the leader epoch checkpoint: {e}");
            }
        }
        out
    }
}

/// The cache of `partition` from its checkpoint, cut to its log; rebuilt from the log's
/// batches when the file is missing or does not parse.
pub fn load(partition: &Partition) -> LeaderEpochFileCache {
    let file = LeaderEpochCheckpointFile::new(partition.log().dir());
    let (log_start, log_end) = (partition.log_start_offset(), partition.log_end_offset());
    let mut cache = match file.read() {
        Ok(entries) if !entries.is_empty() || log_end == log_start => {
            LeaderEpochFileCache::from_entries(entries)
        }
        Ok(_) => rebuild_from_log(partition),
        Err(e) => {
            tracing::warn!("{e}; rebuilding the leader epoch cache from the log's batches");
            rebuild_from_log(partition)
        }
    };
    // The log may have lost its tail in recovery, or its head to retention.
    cache.truncate_from_end(log_end);
    cache.truncate_from_start(log_start);
    if let Err(e) = file.write(cache.entries()) {
        tracing::error!("writing the leader epoch checkpoint: {e}");
    }
    cache
}

/// The cache as the log's batches say: each batch's partition leader epoch at its base offset
/// (Kafka rebuilds it the same way when it recovers segments). Batches without an epoch (−1,
/// written before leader epochs) add nothing.
pub fn rebuild_from_log(partition: &Partition) -> LeaderEpochFileCache {
    let mut cache = LeaderEpochFileCache::new();
    let mut offset = partition.log_start_offset();
    while offset < partition.log_end_offset() {
        let Ok(Some(bytes)) = partition.read(offset, 1 << 20, Reader::Follower(-1)) else {
            break;
        };
        let mut at = 0;
        let before = offset;
        while let Ok(header) = BatchHeader::parse(&bytes[at..]) {
            if header.partition_leader_epoch >= 0 {
                let _ = cache.assign(header.partition_leader_epoch, header.base_offset);
            }
            offset = header.last_offset() + 1;
            at += header.total_size();
            if header.total_size() == 0 || at >= bytes.len() {
                break;
            }
        }
        if offset <= before {
            break;
        }
    }
    cache
}

impl LeaderEpochs for LeaderEpochCaches {
    fn on_become_leader(&self, partition: &Partition, leader_epoch: i32) {
        let leo = partition.log_end_offset();
        self.with_cache(partition, |cache| {
            ((), cache.assign(leader_epoch, leo).unwrap_or(false))
        });
    }

    fn on_follower_append(&self, partition: &Partition, epoch: i32, base_offset: i64) {
        if epoch < 0 {
            return; // a batch written before leader epochs
        }
        self.with_cache(partition, |cache| {
            ((), cache.assign(epoch, base_offset).unwrap_or(false))
        });
    }

    fn latest_epoch(&self, partition: &Partition) -> Option<i32> {
        self.with_cache(partition, |cache| {
            (crate::fetcher_truncation::epoch_to_ask(cache), false)
        })
    }

    fn truncation(&self, partition: &Partition, answer: EpochEndOffset) -> Option<Truncation> {
        let error = if answer.error_code == 0 {
            ErrorCode::None
        } else {
            ErrorCode::UnknownServerError
        };
        let answer = LeaderEpochAnswer::EndOffset {
            error,
            leader_epoch: answer.leader_epoch,
            end_offset: answer.end_offset,
        };
        let (leo, hw) = (partition.log_end_offset(), partition.high_watermark());
        self.with_cache(partition, |cache| {
            let state = offset_truncation_state(answer, cache, leo, hw);
            let t = state.map(|s| Truncation {
                offset: s.offset,
                completed: s.truncation_completed,
            });
            (t, false)
        })
    }

    fn on_truncated(&self, partition: &Partition, end_offset: i64) {
        self.with_cache(partition, |cache| ((), cache.truncate_from_end(end_offset)));
    }
}
