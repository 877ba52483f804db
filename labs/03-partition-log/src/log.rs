//! The partition log (Kafka's `UnifiedLog`): a directory of segments that behaves as one
//! append-only sequence of offsets.
//!
//! ```text
//! my-topic-0/
//!   00000000000000000000.log  .index  .timeindex     oldest segment: log start offset 0
//!   00000000000000004096.log  .index  .timeindex
//!   00000000000000008191.log  .index  .timeindex     active segment: appends go here
//! ```
//!
//! Only the newest, *active* segment takes appends. When it is full or old enough the log rolls
//! a new one; retention deletes the oldest whole segments. Offsets are assigned here, by the
//! log, at append time: the producer sends its batch with base offset 0 and the log rewrites it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lab01_record_batch::{set_base_offset, verify_crc, BatchHeader, RecordBatch};
use lab02_log_segment::{parse_base_offset, LogSegment, RecoveryReport, SegmentConfig, LOG_SUFFIX};

use crate::cleaner::{
    add_to_offset_map, cleanable_section, filter_batch, keep_record, should_clean, OffsetMap,
};
use crate::cleaner_files::{
    complete_swap, read_checkpoint, recover_swaps, write_checkpoint, write_swap,
};
use crate::config::LogConfig;
use crate::error::{Error, Result};
use crate::retention::{expired_by_age, expired_by_size, SegmentInfo};
use crate::rules::{flush_due, roll_reason, ActiveSegment, IncomingBatch, RollReason};

/// Where an appended batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    pub first_offset: i64,
    pub last_offset: i64,
    /// Why a new segment was rolled for this batch, if one was.
    pub rolled: Option<RollReason>,
}

/// What one cleaning did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanerStats {
    /// Segments rewritten.
    pub segments: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub records_before: usize,
    pub records_after: usize,
    /// Where the next cleaning starts (the new checkpoint).
    pub first_dirty_offset: i64,
}

#[derive(Debug)]
struct Entry {
    segment: LogSegment,
    /// When this process created or opened the segment: the fallback clock for rolling by age.
    created_ms: i64,
}

#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    config: LogConfig,
    /// Segments by base offset; never empty: the last one is the active segment.
    segments: BTreeMap<i64, Entry>,
    log_start_offset: i64,
    /// Every offset below this is fsynced (Kafka's recovery point).
    recovery_point: i64,
    /// Offsets below this were compacted already (the cleaner checkpoint).
    first_dirty_offset: i64,
}

/// The file in a partition's folder that keeps a log start offset moved by DeleteRecords.
pub const LOG_START_OFFSET_FILE: &str = "log-start-offset";

/// Base offsets of the `.log` files in `dir`, in offset order.
pub fn segment_base_offsets(dir: &Path) -> Result<Vec<i64>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    let mut bases = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", dir, e))?;
        if let Some(base) = entry
            .file_name()
            .to_str()
            .and_then(|n| parse_base_offset(n, LOG_SUFFIX))
        {
            bases.push(base);
        }
    }
    bases.sort_unstable();
    Ok(bases)
}

impl Log {
    /// Opens the log in `dir` (created if missing). A new log gets one empty segment at offset
    /// 0; an existing one is loaded and recovered. Returns the recovery report of each segment.
    pub fn open(
        dir: &Path,
        config: LogConfig,
        now_ms: i64,
    ) -> Result<(Log, Vec<(i64, RecoveryReport)>)> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        let mut log = Log {
            dir: dir.to_path_buf(),
            config,
            segments: BTreeMap::new(),
            log_start_offset: 0,
            recovery_point: 0,
            first_dirty_offset: 0,
        };
        // A crash in the middle of a cleaning (step 6) left a copy behind: finish or drop it.
        recover_swaps(dir)?;
        let bases = segment_base_offsets(dir)?;
        if bases.is_empty() {
            log.add_segment(0, now_ms)?;
            return Ok((log, Vec::new()));
        }
        let reports = log.load(&bases, now_ms)?;
        log.first_dirty_offset = read_checkpoint(dir)?.unwrap_or(0);
        log.restore_log_start_offset()?;
        Ok((log, reports))
    }

    fn segment_config(&self) -> SegmentConfig {
        SegmentConfig {
            index_interval_bytes: self.config.index_interval_bytes,
        }
    }

    fn add_segment(&mut self, base_offset: i64, now_ms: i64) -> Result<()> {
        let segment = LogSegment::create(&self.dir, base_offset, &self.segment_config())?;
        self.segments.insert(
            base_offset,
            Entry {
                segment,
                created_ms: now_ms,
            },
        );
        Ok(())
    }

    /// Opens the segments whose base offsets are `bases` (sorted), oldest first, recovering
    /// each. Segments must not overlap. If recovery cut a segment short, the segments after it
    /// would leave a hole in the offsets: delete them, as Kafka does. Then set the log start
    /// offset and the recovery point from what is there.
    fn load(&mut self, bases: &[i64], now_ms: i64) -> Result<Vec<(i64, RecoveryReport)>> {
        // BEGIN SOLUTION step 3: open each segment in order (OverlappingSegments if one starts too early), drop those after a cut, set start offset and recovery point
        // ko: 세그먼트를 순서대로 열고(너무 일찍 시작하면 OverlappingSegments), 잘린 곳 뒤의 세그먼트는 버리고, 시작 오프셋과 복구 지점을 정하기
        let config = self.segment_config();
        let mut reports = Vec::new();
        let mut previous_end: Option<i64> = None;
        for (i, &base) in bases.iter().enumerate() {
            let (segment, report) = LogSegment::open(&self.dir, base, &config)?;
            if let Some(end) = previous_end {
                if base < end {
                    return Err(Error::OverlappingSegments {
                        base_offset: base,
                        previous_end: end,
                    });
                }
            }
            previous_end = Some(segment.next_offset());
            let cut = report.truncated_bytes > 0;
            reports.push((base, report));
            self.segments.insert(
                base,
                Entry {
                    segment,
                    created_ms: now_ms,
                },
            );
            if cut {
                for &later in &bases[i + 1..] {
                    let (segment, _) = LogSegment::open(&self.dir, later, &config)?;
                    segment.delete()?;
                }
                break;
            }
        }
        self.log_start_offset = bases[0];
        self.recovery_point = self.log_end_offset();
        Ok(reports)
        // END SOLUTION
    }

    fn active(&self) -> &Entry {
        self.segments
            .values()
            .next_back()
            .expect("a log always has an active segment")
    }

    fn active_mut(&mut self) -> &mut Entry {
        self.segments
            .values_mut()
            .next_back()
            .expect("a log always has an active segment")
    }

    /// Starts a new active segment at the log end offset. The old one is fsynced first, so a
    /// rolled segment is always durable (Kafka schedules that flush in the background).
    pub fn roll(&mut self, now_ms: i64) -> Result<()> {
        let end = self.log_end_offset();
        if self.active().segment.base_offset() == end {
            return Ok(()); // the active segment is empty: nothing to roll
        }
        self.active().segment.flush()?;
        self.recovery_point = self.recovery_point.max(end);
        self.add_segment(end, now_ms)
    }

    /// Appends one batch as a producer sent it. The log checks its CRC, gives it the next
    /// offsets by rewriting its base offset in place, rolls a new segment first if the rules say
    /// so, and fsyncs when `log.flush.interval.messages` is reached.
    pub fn append(&mut self, batch: &mut [u8], now_ms: i64) -> Result<AppendInfo> {
        // BEGIN SOLUTION step 2: check the batch (Batch, RecordBatchTooLarge), assign offsets from the log end, roll if due, append, flush if due
        // ko: 배치를 확인(Batch, RecordBatchTooLarge)하고 로그 끝부터 오프셋을 부여하고, 필요하면 롤링, 추가, 필요하면 플러시하기
        let header = BatchHeader::parse(batch)?;
        verify_crc(batch)?;
        if batch.len() as u64 > self.config.segment_bytes {
            return Err(Error::RecordBatchTooLarge {
                size: batch.len(),
                segment_bytes: self.config.segment_bytes,
            });
        }
        let first_offset = self.log_end_offset();
        set_base_offset(batch, first_offset);
        let incoming = IncomingBatch {
            size: batch.len() as u64,
            max_timestamp: header.max_timestamp,
            last_offset: first_offset + i64::from(header.last_offset_delta),
        };
        let active = self.active();
        let state = ActiveSegment {
            base_offset: active.segment.base_offset(),
            size: active.segment.size(),
            first_batch_timestamp: active.segment.first_batch_timestamp(),
            created_ms: active.created_ms,
        };
        let rolled = roll_reason(&state, &incoming, now_ms, &self.config);
        if rolled.is_some() {
            self.roll(now_ms)?;
        }
        self.active_mut().segment.append(batch)?;
        if flush_due(self.unflushed_messages(), &self.config) {
            self.flush()?;
        }
        Ok(AppendInfo {
            first_offset,
            last_offset: incoming.last_offset,
            rolled,
        })
        // END SOLUTION
    }

    /// Whole batches from the one holding `offset`, up to `max_bytes` (at least one batch).
    /// `None` at the log end offset (nothing new yet); an error outside the log's range.
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<Option<Vec<u8>>> {
        // BEGIN SOLUTION step 2: check the range (OffsetOutOfRange), then read from the segment holding the offset, or the next ones
        // ko: 범위를 확인(OffsetOutOfRange)한 뒤 오프셋이 든 세그먼트나 그다음 세그먼트들에서 읽기
        let end = self.log_end_offset();
        if offset < self.log_start_offset || offset > end {
            return Err(Error::OffsetOutOfRange {
                offset,
                log_start_offset: self.log_start_offset,
                log_end_offset: end,
            });
        }
        let from = self
            .segments
            .range(..=offset)
            .next_back()
            .map_or(self.log_start_offset, |(base, _)| *base);
        for entry in self.segments.range(from..).map(|(_, e)| e) {
            if let Some(bytes) = entry.segment.read(offset, max_bytes)? {
                return Ok(Some(bytes));
            }
        }
        Ok(None)
        // END SOLUTION
    }

    /// The first offset whose timestamp is at or after `timestamp`, or `None` if all are older.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<i64>> {
        for entry in self.segments.values() {
            if entry.segment.max_timestamp() >= timestamp {
                return Ok(entry.segment.find_offset_by_timestamp(timestamp)?);
            }
        }
        Ok(None)
    }

    /// Deletes the oldest segments that retention allows: first by age (`log.retention.hours`),
    /// then by size (`log.retention.bytes`), never the active segment. Moves the log start
    /// offset to the first segment left. Returns how many segments were deleted.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<usize> {
        // BEGIN SOLUTION step 4: count expired segments by age, then by size among the rest, delete them, move the start offset
        // ko: 기간으로, 그다음 남은 것 중 크기로 만료된 세그먼트를 세어 지우고 시작 오프셋을 옮기기
        let infos = self.segments();
        let by_age = expired_by_age(&infos, self.config.retention_ms, now_ms);
        let by_size = expired_by_size(&infos[by_age..], self.config.retention_bytes);
        let doomed: Vec<i64> = infos[..by_age + by_size]
            .iter()
            .map(|s| s.base_offset)
            .collect();
        for base in &doomed {
            if let Some(entry) = self.segments.remove(base) {
                entry.segment.delete()?;
            }
        }
        let first = *self
            .segments
            .keys()
            .next()
            .expect("the active segment is never deleted");
        self.log_start_offset = self.log_start_offset.max(first);
        Ok(doomed.len())
        // END SOLUTION
    }

    /// Compacts the log once, if `cleanup.policy` includes `compact` and the dirty ratio
    /// reaches `min.cleanable.dirty.ratio` (see `cleaner.rs`): maps each key of the dirty
    /// section to its latest offset, rewrites every segment below the first uncleanable offset
    /// keeping only the records `keep_record` accepts (through [`Log::replace_segment`]), then
    /// stores the new first dirty offset. The active segment is never touched. `None` when
    /// there was nothing to do.
    pub fn clean(&mut self, now_ms: i64) -> Result<Option<CleanerStats>> {
        // BEGIN SOLUTION step 6: decide with cleanable_section and should_clean, map the dirty section's keys, rewrite each cleanable segment, store the checkpoint
        // ko: cleanable_section과 should_clean으로 정하고, 더러운 구간의 키를 맵에 담고, 정리할 세그먼트마다 다시 쓰고, 체크포인트를 저장하기
        if !self.config.cleanup_policy.compact {
            return Ok(None);
        }
        let section = cleanable_section(
            &self.segments(),
            self.first_dirty_offset,
            self.config.min_compaction_lag_ms,
            now_ms,
        );
        if !should_clean(&section, self.config.min_cleanable_dirty_ratio) {
            return Ok(None);
        }
        let bases: Vec<i64> = self
            .segments
            .range(..section.first_uncleanable_offset)
            .map(|(base, _)| *base)
            .collect();
        let mut latest = OffsetMap::new();
        for &base in &bases {
            for (_, batch) in self.segment_batches(base)? {
                if batch.base_offset + i64::from(batch.last_offset_delta)
                    >= section.first_dirty_offset
                {
                    add_to_offset_map(&mut latest, &batch);
                }
            }
        }
        let horizon = now_ms - self.config.delete_retention_ms;
        let mut stats = CleanerStats {
            segments: 0,
            bytes_before: 0,
            bytes_after: 0,
            records_before: 0,
            records_after: 0,
            first_dirty_offset: section.first_uncleanable_offset,
        };
        for base in bases {
            let mut cleaned = Vec::new();
            for (bytes, batch) in self.segment_batches(base)? {
                stats.bytes_before += bytes.len() as u64;
                stats.records_before += batch.records.len();
                let kept = filter_batch(&batch, |r, offset, ts| {
                    keep_record(
                        r.key.as_deref(),
                        offset,
                        r.value.is_none(),
                        ts,
                        &latest,
                        horizon,
                    )
                });
                let Some(kept) = kept else { continue };
                stats.records_after += kept.records.len();
                if kept.records.len() == batch.records.len() {
                    cleaned.extend_from_slice(&bytes);
                } else {
                    cleaned.extend(kept.encode_compressed()?);
                }
            }
            stats.bytes_after += cleaned.len() as u64;
            stats.segments += 1;
            self.replace_segment(base, &cleaned)?;
        }
        self.first_dirty_offset = section.first_uncleanable_offset;
        write_checkpoint(&self.dir, self.first_dirty_offset)?;
        Ok(Some(stats))
        // END SOLUTION
    }

    /// Every batch of the segment at `base_offset`, as bytes and decoded (any codec). Given.
    pub fn segment_batches(&self, base_offset: i64) -> Result<Vec<(Vec<u8>, RecordBatch)>> {
        let Some(entry) = self.segments.get(&base_offset) else {
            return Ok(Vec::new());
        };
        let size = entry.segment.size() as usize;
        let Some(all) = entry.segment.read(base_offset, size.max(1))? else {
            return Ok(Vec::new());
        };
        let mut batches = Vec::new();
        let mut rest = &all[..];
        while !rest.is_empty() {
            let size = BatchHeader::parse(rest)?.total_size().min(rest.len());
            batches.push((
                rest[..size].to_vec(),
                RecordBatch::decode_any(&rest[..size])?,
            ));
            rest = &rest[size..];
        }
        Ok(batches)
    }

    /// Replaces the (non-active) segment at `base_offset` by `cleaned`, its cleaned batches,
    /// crash-safely (see `cleaner_files.rs`): `.cleaned`, then `.swap`, then over the `.log`;
    /// reopening the segment rebuilds its indexes. Given.
    pub fn replace_segment(&mut self, base_offset: i64, cleaned: &[u8]) -> Result<()> {
        let created_ms = match self.segments.get(&base_offset) {
            Some(entry) => entry.created_ms,
            None => return Ok(()),
        };
        write_swap(&self.dir, base_offset, cleaned)?;
        // Close the old segment's files before its `.log` is replaced.
        self.segments.remove(&base_offset);
        complete_swap(&self.dir, base_offset)?;
        let (segment, _) = LogSegment::open(&self.dir, base_offset, &self.segment_config())?;
        self.segments.insert(
            base_offset,
            Entry {
                segment,
                created_ms,
            },
        );
        Ok(())
    }

    /// Cuts the log so that it ends at `offset` (Kafka's `Log.truncateTo`): what a follower
    /// does when its leader's log diverges from its own after a failover (lab 13). Segments
    /// starting at or after `offset` are deleted; the one holding it loses the batch holding
    /// `offset` and everything after — a batch is never split, so the new log end may be a
    /// little below `offset` when `offset` falls inside a batch. An `offset` at or past the
    /// log end changes nothing. Below the log start, the log is emptied and starts again at
    /// `offset` (`truncateFullyAndStartAt`). Returns the new log end offset.
    pub fn truncate_to(&mut self, offset: i64, now_ms: i64) -> Result<i64> {
        if offset >= self.log_end_offset() {
            return Ok(self.log_end_offset());
        }
        let offset = offset.max(0);
        let from = if offset < self.log_start_offset {
            i64::MIN
        } else {
            offset
        };
        let doomed: Vec<i64> = self.segments.range(from..).map(|(b, _)| *b).collect();
        for base in doomed {
            if let Some(entry) = self.segments.remove(&base) {
                entry.segment.delete()?;
            }
        }
        match self.segments.values_mut().next_back() {
            Some(entry) => entry.segment.truncate_to(offset)?,
            None => {
                self.add_segment(offset, now_ms)?;
                self.log_start_offset = offset;
                self.store_log_start_offset()?;
            }
        }
        let end = self.log_end_offset();
        self.recovery_point = self.recovery_point.min(end);
        self.first_dirty_offset = self.first_dirty_offset.min(end);
        Ok(end)
    }

    /// Offsets below this were compacted already (the cleaner checkpoint).
    pub fn first_dirty_offset(&self) -> i64 {
        self.first_dirty_offset
    }

    /// Moves the log start offset up to `offset` (never down, never past the log end offset) and
    /// deletes the segments that now lie wholly below it: what DeleteRecords asks (Kafka's
    /// `maybeIncrementLogStartOffset`, then `deleteLogStartOffsetBreachedSegments`). The records
    /// of the first segment left below the new start stay on disk but can no longer be read.
    /// The new start is stored in the partition's folder, so a restart keeps it. Returns the
    /// log start offset after the move.
    pub fn increment_log_start_offset(&mut self, offset: i64) -> Result<i64> {
        let offset = offset.min(self.log_end_offset());
        if offset <= self.log_start_offset {
            return Ok(self.log_start_offset);
        }
        self.log_start_offset = offset;
        self.store_log_start_offset()?;
        // A segment may go when the next one starts at or below the new start.
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        for pair in bases.windows(2) {
            if pair[1] > offset {
                break;
            }
            if let Some(entry) = self.segments.remove(&pair[0]) {
                entry.segment.delete()?;
            }
        }
        Ok(self.log_start_offset)
    }

    /// Where the log start offset is kept when it lies inside a segment. Kafka keeps one
    /// `log-start-offset-checkpoint` file per log directory for all its partitions; this log keeps
    /// its own, next to its segments.
    fn log_start_offset_path(&self) -> PathBuf {
        self.dir.join(LOG_START_OFFSET_FILE)
    }

    fn store_log_start_offset(&self) -> Result<()> {
        let path = self.log_start_offset_path();
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{}\n", self.log_start_offset))
            .map_err(|e| Error::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename", &tmp, e))
    }

    /// After loading: a stored log start offset inside the first segment wins over the segment's
    /// base offset; one outside the log (its segments are gone) is ignored.
    fn restore_log_start_offset(&mut self) -> Result<()> {
        let path = self.log_start_offset_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io("read", &path, e)),
        };
        if let Ok(stored) = text.trim().parse::<i64>() {
            if stored > self.log_start_offset && stored <= self.log_end_offset() {
                self.log_start_offset = stored;
            }
        }
        Ok(())
    }

    /// New settings for an open log (a topic's config changed, or lab 07 makes
    /// `__consumer_offsets` compacted); they apply from the next append, retention or cleaning.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    /// fsyncs every segment holding offsets at or above the recovery point, then moves the
    /// recovery point to the log end offset: everything appended so far survives a crash.
    pub fn flush(&mut self) -> Result<()> {
        // BEGIN SOLUTION step 5: fsync the segments from the one holding the recovery point on, then advance it
        // ko: 복구 지점이 든 세그먼트부터 fsync하고 복구 지점을 옮기기
        let end = self.log_end_offset();
        let from = self
            .segments
            .range(..=self.recovery_point)
            .next_back()
            .map_or(self.log_start_offset, |(base, _)| *base);
        for entry in self.segments.range(from..).map(|(_, e)| e) {
            entry.segment.flush()?;
        }
        self.recovery_point = end;
        Ok(())
        // END SOLUTION
    }

    /// Deletes every segment and the directory, as when a topic is deleted.
    pub fn delete(self) -> Result<()> {
        for (_, entry) in self.segments {
            entry.segment.delete()?;
        }
        std::fs::remove_dir_all(&self.dir).map_err(|e| Error::io("delete", &self.dir, e))
    }

    /// Every segment, oldest first.
    pub fn segments(&self) -> Vec<SegmentInfo> {
        self.segments
            .values()
            .map(|e| SegmentInfo {
                base_offset: e.segment.base_offset(),
                size: e.segment.size(),
                max_timestamp: e.segment.max_timestamp(),
            })
            .collect()
    }

    /// The first offset still in the log.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next record will get.
    pub fn log_end_offset(&self) -> i64 {
        self.active().segment.next_offset()
    }

    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// Messages appended since the last fsync (Kafka: log end offset − recovery point).
    pub fn unflushed_messages(&self) -> u64 {
        (self.log_end_offset() - self.recovery_point).max(0) as u64
    }

    /// Total bytes in all segments.
    pub fn size(&self) -> u64 {
        self.segments.values().map(|e| e.segment.size()).sum()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }
}
