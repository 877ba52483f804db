//! Log compaction (Kafka's `LogCleaner`): the second retention policy. Instead of deleting
//! old segments whole, the cleaner keeps the **latest record of every key** and drops the
//! older ones, so the log stays a complete changelog: replaying it from the start gives the
//! current value of every key. Kafka's own `__consumer_offsets` is such a log, one record per
//! (group, topic, partition); a table's changelog is another.
//!
//! ```text
//!            clean section        dirty section          active segment
//! offsets  | 0 ........ 99 | 100 ............ 249 | 250 ........ (appends)
//!            cleaned before   written since           never cleaned
//!                           ^ first dirty offset    ^ first uncleanable offset
//! ```
//!
//! One cleaning: (1) build a map key → offset of its latest record over the dirty section;
//! (2) rewrite every segment below the first uncleanable offset, keeping a record only if no
//! later record has its key; (3) remember the new first dirty offset in the cleaner checkpoint.
//! Offsets never change: a cleaned log has gaps, and a fetch from an offset in a gap gets the
//! next batch that is left. A tombstone (a null value) means "key deleted"; it is kept until it
//! is older than `delete.retention.ms`, so a consumer that is behind still sees the delete.
//!
//! Kafka cleans only when enough of the log is dirty (`min.cleanable.dirty.ratio`), because a
//! cleaning rewrites the whole clean section too. These rules are pure functions here; the
//! file work is `Log::clean`.

use std::collections::HashMap;

use lab01_record_batch::{Record, RecordBatch, TimestampType};

use crate::retention::SegmentInfo;

/// Which part of a log the cleaner may rewrite, and how dirty it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanableSection {
    /// Offsets below this were cleaned before (the cleaner checkpoint).
    pub first_dirty_offset: i64,
    /// The cleaner stops here: the active segment's base offset, or earlier when
    /// `min.compaction.lag.ms` protects newer segments.
    pub first_uncleanable_offset: i64,
    /// Bytes of the whole segments below the first dirty offset.
    pub clean_bytes: u64,
    /// Bytes of the segments from the first dirty to the first uncleanable offset.
    pub dirty_bytes: u64,
}

impl CleanableSection {
    /// dirty / (clean + dirty); 0 for an empty section.
    pub fn dirty_ratio(&self) -> f64 {
        let total = self.clean_bytes + self.dirty_bytes;
        if total == 0 {
            return 0.0;
        }
        self.dirty_bytes as f64 / total as f64
    }
}

/// key → offset of its latest record in the dirty section (Kafka's `SkimpyOffsetMap`, which
/// keeps 16-byte hashes of the keys to fit in `log.cleaner.dedupe.buffer.size`; we keep them
/// whole).
pub type OffsetMap = HashMap<Vec<u8>, i64>;

/// Kafka's `LogCleanerManager.cleanableOffsets` and the bytes on each side. `segments` are
/// the log's, oldest first, the last one active. A segment is uncleanable from the active
/// one, or from the first whose newest record is younger than `min_compaction_lag_ms` (when
/// that lag is positive). A segment is clean when all its offsets are below
/// `first_dirty_offset` (it ends where the next begins), dirty otherwise.
pub fn cleanable_section(
    segments: &[SegmentInfo],
    first_dirty_offset: i64,
    min_compaction_lag_ms: i64,
    now_ms: i64,
) -> CleanableSection {
    // BEGIN SOLUTION step 6: find the first uncleanable offset (active segment, or compaction lag), then add up clean and dirty bytes below it
    // ko: 정리할 수 없는 첫 오프셋(활성 세그먼트 또는 컴팩션 지연)을 찾고, 그 아래의 깨끗한 바이트와 더러운 바이트를 더하기
    let active = segments.len().saturating_sub(1);
    let mut uncleanable = active;
    if min_compaction_lag_ms > 0 {
        if let Some(i) = segments[..active]
            .iter()
            .position(|s| now_ms - s.max_timestamp < min_compaction_lag_ms)
        {
            uncleanable = i;
        }
    }
    let first_uncleanable_offset = segments
        .get(uncleanable)
        .map_or(first_dirty_offset, |s| s.base_offset);
    let first_dirty_offset = first_dirty_offset
        .max(segments.first().map_or(0, |s| s.base_offset))
        .min(first_uncleanable_offset);
    let (mut clean_bytes, mut dirty_bytes) = (0, 0);
    for (i, s) in segments[..uncleanable].iter().enumerate() {
        let end = segments[i + 1].base_offset;
        if end <= first_dirty_offset {
            clean_bytes += s.size;
        } else {
            dirty_bytes += s.size;
        }
    }
    CleanableSection {
        first_dirty_offset,
        first_uncleanable_offset,
        clean_bytes,
        dirty_bytes,
    }
    // END SOLUTION
}

/// Whether to clean now: something is dirty and the dirty ratio reaches the minimum.
pub fn should_clean(section: &CleanableSection, min_cleanable_dirty_ratio: f64) -> bool {
    // BEGIN SOLUTION step 6: clean when there are dirty bytes and the dirty ratio is at least the minimum
    // ko: 더러운 바이트가 있고 더러운 비율이 최솟값 이상이면 정리하기
    section.dirty_bytes > 0 && section.dirty_ratio() >= min_cleanable_dirty_ratio
    // END SOLUTION
}

/// The timestamp a consumer sees for `record`: its own (CreateTime), or the batch's
/// `maxTimestamp` when the broker stamped the batch (LogAppendTime). Given code.
pub fn record_timestamp(batch: &RecordBatch, record: &Record) -> i64 {
    match batch.attributes.timestamp_type {
        TimestampType::LogAppendTime => batch.max_timestamp,
        TimestampType::CreateTime => batch.base_timestamp + record.timestamp_delta,
    }
}

/// Notes every keyed record of `batch` (a batch of the dirty section) in `map`: a later
/// offset replaces an earlier one.
pub fn add_to_offset_map(map: &mut OffsetMap, batch: &RecordBatch) {
    // BEGIN SOLUTION step 6: map each record's key to its offset (base offset + delta), later ones winning
    // ko: 레코드마다 키를 오프셋(기준 오프셋 + 델타)에 대응시키고 나중 것이 이기게 하기
    for record in &batch.records {
        if let Some(key) = &record.key {
            let offset = batch.base_offset + i64::from(record.offset_delta);
            let latest = map.entry(key.clone()).or_insert(offset);
            *latest = (*latest).max(offset);
        }
    }
    // END SOLUTION
}

/// Whether the cleaner keeps the record at `offset` with `key` (`None`: keyless), a null
/// value if `tombstone`, stamped `timestamp`. Dropped: a keyless record (it cannot be
/// compacted, Kafka's cleaner discards it), a record whose key has a later record in `latest`,
/// and a tombstone older than `delete_horizon_ms` (now − `delete.retention.ms`).
pub fn keep_record(
    key: Option<&[u8]>,
    offset: i64,
    tombstone: bool,
    timestamp: i64,
    latest: &OffsetMap,
    delete_horizon_ms: i64,
) -> bool {
    // BEGIN SOLUTION step 6: drop keyless records, records with a later offset for their key, and tombstones older than the horizon
    // ko: 키 없는 레코드, 같은 키의 더 나중 오프셋이 있는 레코드, 기준 시각보다 오래된 툼스톤은 버리기
    let Some(key) = key else {
        return false;
    };
    if latest.get(key).is_some_and(|&newest| offset < newest) {
        return false;
    }
    !(tombstone && timestamp < delete_horizon_ms)
    // END SOLUTION
}

/// `batch` with only the records `keep(record, offset, timestamp)` accepts, each at its own
/// offset (the batch keeps its base offset and last offset delta, as Kafka's cleaner does for
/// batches of format v2); `None` when nothing is left.
pub fn filter_batch(
    batch: &RecordBatch,
    mut keep: impl FnMut(&Record, i64, i64) -> bool,
) -> Option<RecordBatch> {
    // BEGIN SOLUTION step 6: keep the accepted records unchanged (same offset deltas), None if none is kept
    // ko: 받아들인 레코드를 그대로(같은 오프셋 델타로) 남기고, 하나도 없으면 None
    let records: Vec<Record> = batch
        .records
        .iter()
        .filter(|r| {
            let offset = batch.base_offset + i64::from(r.offset_delta);
            keep(r, offset, record_timestamp(batch, r))
        })
        .cloned()
        .collect();
    (!records.is_empty()).then(|| RecordBatch {
        records,
        ..batch.clone()
    })
    // END SOLUTION
}
