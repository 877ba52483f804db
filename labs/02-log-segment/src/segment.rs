//! A log segment (Kafka's `LogSegment`): one `.log` file of record batches and its two indexes.
//!
//! ```text
//! 00000000000000000000.log        batch | batch | batch | ...   (exactly Kafka's FileRecords)
//! 00000000000000000000.index      (relative offset, position) every ~4 KiB of log
//! 00000000000000000000.timeindex  (largest timestamp so far, relative offset) beside them
//! ```
//!
//! The segment only appends: the `.log` grows at its end, which is the fastest thing a disk
//! does, and the OS page cache keeps recent batches in memory for consumers that are close
//! behind. Reading any offset costs an index lookup plus a short forward scan of batch headers.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use lab01_record_batch::{BatchHeader, Compression, RecordBatch, BATCH_HEADER_SIZE};

use crate::error::{Error, Result};
use crate::file_names::{file_name, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX};
use crate::offset_index::{OffsetIndex, OffsetPosition};
use crate::recovery::{self, read_at};
use crate::time_index::{TimeIndex, TimestampOffset};

/// Positions in the offset index are 4 bytes, so a segment can hold at most this much.
pub const MAX_SEGMENT_BYTES: u64 = u32::MAX as u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentConfig {
    /// `index.interval.bytes`: add an index entry after at least this many bytes of log.
    pub index_interval_bytes: u64,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            index_interval_bytes: 4096,
        }
    }
}

/// What opening a segment found and repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    pub batches: usize,
    pub valid_bytes: u64,
    /// Bytes cut off the end of the `.log`; 0 after a clean shutdown.
    pub truncated_bytes: u64,
    pub reason: Option<String>,
    /// Whether the `.index` / `.timeindex` on disk were missing, damaged or stale and rewritten.
    pub rebuilt_index: bool,
    pub rebuilt_time_index: bool,
}

/// Kafka's rule for when to add index entries, and the largest timestamp so far. Kept apart
/// from the files so that an append and a recovery replaying the log index exactly alike.
#[derive(Debug, Clone)]
pub struct Indexer {
    interval: u64,
    bytes_since_last_entry: u64,
    /// Largest timestamp seen so far and the last offset of the batch that had it; −1 if none.
    pub max_timestamp: i64,
    pub offset_of_max_timestamp: i64,
}

impl Indexer {
    pub fn new(interval: u64) -> Indexer {
        Indexer {
            interval,
            bytes_since_last_entry: 0,
            max_timestamp: -1,
            offset_of_max_timestamp: -1,
        }
    }

    /// Notes a batch appended at `position`, and says which index entries to add, if any.
    /// Kafka's `LogSegment.append`: first track the largest timestamp; then, if more than
    /// `interval` bytes were appended since the last entry, index this batch (by its *last*
    /// offset and its start position) and the largest timestamp; then count this batch's bytes.
    pub fn on_batch(
        &mut self,
        header: &BatchHeader,
        position: u32,
    ) -> Option<(OffsetPosition, TimestampOffset)> {
        // BEGIN SOLUTION step 4: update the max timestamp, emit entries once more than interval bytes passed, count the bytes
        // ko: 최대 타임스탬프를 갱신하고, interval보다 많은 바이트가 지났으면 엔트리를 내고, 바이트 수를 세기
        if header.max_timestamp > self.max_timestamp {
            self.max_timestamp = header.max_timestamp;
            self.offset_of_max_timestamp = header.last_offset();
        }
        let entries = (self.bytes_since_last_entry > self.interval).then(|| {
            self.bytes_since_last_entry = 0;
            (
                OffsetPosition {
                    offset: header.last_offset(),
                    position,
                },
                TimestampOffset {
                    timestamp: self.max_timestamp,
                    offset: self.offset_of_max_timestamp,
                },
            )
        });
        self.bytes_since_last_entry += header.total_size() as u64;
        entries
        // END SOLUTION
    }
}

#[derive(Debug)]
pub struct LogSegment {
    base_offset: i64,
    log_path: PathBuf,
    log: File,
    index: OffsetIndex,
    time_index: TimeIndex,
    indexer: Indexer,
    size: u64,
    /// One past the last offset in the segment; the base offset while it is empty.
    next_offset: i64,
    /// The largest timestamp of the first batch: Kafka rolls by time from it (`segment.ms`).
    first_batch_timestamp: Option<i64>,
}

fn paths(dir: &Path, base_offset: i64) -> [PathBuf; 3] {
    [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].map(|s| dir.join(file_name(base_offset, s)))
}

impl LogSegment {
    /// Creates a new, empty segment in `dir`. Fails if its `.log` exists already.
    pub fn create(dir: &Path, base_offset: i64, config: &SegmentConfig) -> Result<LogSegment> {
        let [log_path, index_path, time_index_path] = paths(dir, base_offset);
        let log = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&log_path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Error::SegmentExists {
                    path: log_path.clone(),
                },
                _ => Error::io("create", &log_path)(e),
            })?;
        // A new segment has nothing to recover; stale index files of the same name are emptied.
        let (mut index, _) = OffsetIndex::open(&index_path, base_offset)?;
        index.reset(Vec::new())?;
        let (mut time_index, _) = TimeIndex::open(&time_index_path, base_offset)?;
        time_index.reset(Vec::new())?;
        Ok(LogSegment::empty(
            base_offset,
            log_path,
            log,
            index,
            time_index,
            config,
        ))
    }

    /// A segment over these files with nothing counted yet: a new one as it is, an opened one
    /// before recovery fills it in.
    fn empty(
        base_offset: i64,
        log_path: PathBuf,
        log: File,
        index: OffsetIndex,
        time_index: TimeIndex,
        config: &SegmentConfig,
    ) -> LogSegment {
        LogSegment {
            base_offset,
            log_path,
            log,
            index,
            time_index,
            indexer: Indexer::new(config.index_interval_bytes),
            size: 0,
            next_offset: base_offset,
            first_batch_timestamp: None,
        }
    }

    /// Opens an existing segment and recovers it: checks every batch, cuts a torn or corrupt
    /// tail, and rebuilds the indexes if they do not match the log.
    pub fn open(
        dir: &Path,
        base_offset: i64,
        config: &SegmentConfig,
    ) -> Result<(LogSegment, RecoveryReport)> {
        let [log_path, index_path, time_index_path] = paths(dir, base_offset);
        let log = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&log_path)
            .map_err(Error::io("open", &log_path))?;
        let (index, index_valid) = OffsetIndex::open(&index_path, base_offset)?;
        let (time_index, time_valid) = TimeIndex::open(&time_index_path, base_offset)?;
        let mut segment = LogSegment::empty(base_offset, log_path, log, index, time_index, config);
        let mut report = segment.recover()?;
        report.rebuilt_index |= !index_valid;
        report.rebuilt_time_index |= !time_valid;
        Ok((segment, report))
    }

    /// Scans the log, truncates it after the last good batch, and rebuilds all in-memory state
    /// and both indexes from what is left.
    fn recover(&mut self) -> Result<RecoveryReport> {
        let file_len = self
            .log
            .metadata()
            .map_err(Error::io("stat", &self.log_path))?
            .len();
        let old_index = self.index.entries();
        let old_time_index = self.time_index.entries();
        let mut indexer = Indexer::new(self.indexer.interval);
        let (mut offsets, mut times) = (Vec::new(), Vec::new());
        let mut next_offset = self.base_offset;
        let mut first_batch_timestamp = None;
        let scan = recovery::scan(
            &self.log,
            &self.log_path,
            file_len,
            self.base_offset,
            |header, position| {
                let position = u32::try_from(position).map_err(|_| Error::SegmentFull {
                    limit: MAX_SEGMENT_BYTES,
                })?;
                if let Some((offset_entry, time_entry)) = indexer.on_batch(header, position) {
                    offsets.push(offset_entry);
                    times.push(time_entry);
                }
                first_batch_timestamp.get_or_insert(header.max_timestamp);
                next_offset = header.last_offset() + 1;
                Ok(())
            },
        )?;
        if scan.valid_bytes < file_len {
            self.log
                .set_len(scan.valid_bytes)
                .map_err(Error::io("truncate", &self.log_path))?;
            self.log
                .sync_all()
                .map_err(Error::io("fsync", &self.log_path))?;
        }
        self.index.reset(offsets)?;
        self.time_index.reset(times)?;
        self.indexer = indexer;
        self.size = scan.valid_bytes;
        self.next_offset = next_offset;
        self.first_batch_timestamp = first_batch_timestamp;
        Ok(RecoveryReport {
            batches: scan.batches,
            valid_bytes: scan.valid_bytes,
            truncated_bytes: file_len - scan.valid_bytes,
            reason: scan.problem,
            rebuilt_index: self.index.entries() != old_index,
            rebuilt_time_index: self.time_index.entries() != old_time_index,
        })
    }

    /// Appends one whole batch whose offsets are already assigned and above every offset in
    /// the segment. The log (lab 03) checks the CRC before calling this.
    pub fn append(&mut self, batch: &[u8]) -> Result<()> {
        // BEGIN SOLUTION step 4: check size and offsets (SizeMismatch, OffsetNotIncreasing), index it if due, write it at the end, update the state
        // ko: 크기와 오프셋을 확인(SizeMismatch, OffsetNotIncreasing)하고, 때가 되면 인덱싱하고, 끝에 쓰고, 상태를 갱신하기
        let header = BatchHeader::parse(batch)?;
        if header.total_size() != batch.len() {
            return Err(Error::SizeMismatch {
                declared: header.total_size(),
                given: batch.len(),
            });
        }
        if header.base_offset < self.next_offset {
            return Err(Error::OffsetNotIncreasing {
                offset: header.base_offset,
                last: self.next_offset - 1,
            });
        }
        let end = self.size + batch.len() as u64;
        if end > MAX_SEGMENT_BYTES {
            return Err(Error::SegmentFull {
                limit: MAX_SEGMENT_BYTES,
            });
        }
        let position = self.size as u32;
        if let Err(e) = self.log.write_all(batch) {
            // A partial write (a full disk) must not leave half a batch behind for the next
            // append to land after: cut the file back to what the segment counts.
            let _ = self.log.set_len(self.size);
            return Err(Error::io("append to", &self.log_path)(e));
        }
        // The log first, then its index: an index entry never points past the end of the log.
        if let Some((offset_entry, time_entry)) = self.indexer.on_batch(&header, position) {
            self.index
                .append(offset_entry.offset, offset_entry.position)?;
            self.time_index
                .maybe_append(time_entry.timestamp, time_entry.offset)?;
        }
        self.size = end;
        self.next_offset = header.last_offset() + 1;
        self.first_batch_timestamp
            .get_or_insert(header.max_timestamp);
        Ok(())
        // END SOLUTION
    }

    fn header_at(&self, position: u64) -> Result<BatchHeader> {
        let bytes = read_at(&self.log, &self.log_path, position, BATCH_HEADER_SIZE)?;
        Ok(BatchHeader::parse(&bytes)?)
    }

    /// The position of the first batch whose last offset is at or after `offset`, scanning
    /// forward from the index entry before it; `None` if there is none.
    fn find_batch(&self, offset: i64) -> Result<Option<(u64, BatchHeader)>> {
        let mut position = self
            .index
            .lookup(offset)
            .map_or(0, |e| u64::from(e.position));
        while position < self.size {
            let header = self.header_at(position)?;
            if header.last_offset() >= offset {
                return Ok(Some((position, header)));
            }
            position += header.total_size() as u64;
        }
        Ok(None)
    }

    /// Whole batches starting with the one that holds `start_offset`, as many as fit in
    /// `max_bytes` but always at least one (so a batch larger than `max_bytes` can still be
    /// read, as Kafka does since KIP-74). `None` if the segment has nothing at or after it.
    pub fn read(&self, start_offset: i64, max_bytes: usize) -> Result<Option<Vec<u8>>> {
        // BEGIN SOLUTION step 4: find the batch holding the offset, then take whole batches up to max_bytes, at least one
        // ko: 오프셋이 든 배치를 찾고, max_bytes까지 배치를 통째로(최소 하나) 담기
        let Some((start, header)) = self.find_batch(start_offset)? else {
            return Ok(None);
        };
        // One read of everything that may fit (but at least the first batch), then count whole
        // batches in memory: one system call per fetch, not one per batch header.
        let first = header.total_size();
        let available = (self.size - start) as usize;
        let len = first.max(max_bytes.min(available));
        let mut bytes = read_at(&self.log, &self.log_path, start, len)?;
        let mut end = first;
        while bytes.len() - end >= BATCH_HEADER_SIZE {
            let next_end = end + BatchHeader::parse(&bytes[end..])?.total_size();
            if next_end > bytes.len() {
                break;
            }
            end = next_end;
        }
        bytes.truncate(end);
        Ok(Some(bytes))
        // END SOLUTION
    }

    /// The first offset whose record timestamp is at or after `timestamp` (`ListOffsets` by
    /// time), or `None` if every record is older.
    pub fn find_offset_by_timestamp(&self, timestamp: i64) -> Result<Option<i64>> {
        // BEGIN SOLUTION step 5: start from the time index, scan headers for the first batch reaching the time, then its first such record
        // ko: 타임 인덱스에서 시작해 그 시각에 닿는 첫 배치를 헤더로 찾고, 그 안에서 그런 첫 레코드를 찾기
        if self.indexer.max_timestamp < timestamp {
            return Ok(None);
        }
        let start_offset = self
            .time_index
            .lookup_before(timestamp)
            .map_or(self.base_offset, |e| e.offset);
        let mut position = self
            .index
            .lookup(start_offset)
            .map_or(0, |e| u64::from(e.position));
        while position < self.size {
            let header = self.header_at(position)?;
            if header.max_timestamp >= timestamp {
                // A compressed batch is not opened here: its base offset is a safe answer (a
                // real broker decompresses it to find the exact record).
                if header.attributes.compression != Compression::None {
                    return Ok(Some(header.base_offset));
                }
                let bytes = read_at(&self.log, &self.log_path, position, header.total_size())?;
                let batch = RecordBatch::decode(&bytes)?;
                let found = batch
                    .records
                    .iter()
                    .find(|r| batch.base_timestamp + r.timestamp_delta >= timestamp)
                    .map_or(header.base_offset, |r| {
                        header.base_offset + i64::from(r.offset_delta)
                    });
                return Ok(Some(found));
            }
            position += header.total_size() as u64;
        }
        Ok(None)
        // END SOLUTION
    }

    /// Removes every batch from the one holding `offset` on, as a follower does when it must
    /// drop records its leader does not have.
    pub fn truncate_to(&mut self, offset: i64) -> Result<()> {
        if let Some((position, _)) = self.find_batch(offset)? {
            self.log
                .set_len(position)
                .map_err(Error::io("truncate", &self.log_path))?;
            self.recover()?;
        }
        Ok(())
    }

    /// fsync of the log and both indexes: after this, a crash loses nothing appended before.
    pub fn flush(&self) -> Result<()> {
        self.log
            .sync_data()
            .map_err(Error::io("fsync", &self.log_path))?;
        self.index.flush()?;
        self.time_index.flush()
    }

    /// Deletes the segment's three files.
    pub fn delete(self) -> Result<()> {
        drop(self.log);
        std::fs::remove_file(&self.log_path).map_err(Error::io("delete", &self.log_path))?;
        self.index.delete()?;
        self.time_index.delete()
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
    /// Largest record timestamp in the segment; −1 while it is empty.
    pub fn max_timestamp(&self) -> i64 {
        self.indexer.max_timestamp
    }
    pub fn first_batch_timestamp(&self) -> Option<i64> {
        self.first_batch_timestamp
    }
    pub fn index(&self) -> &OffsetIndex {
        &self.index
    }
    pub fn time_index(&self) -> &TimeIndex {
        &self.time_index
    }
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }
}
