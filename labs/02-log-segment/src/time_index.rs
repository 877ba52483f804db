//! The time index (Kafka's `TimeIndex`): from a timestamp to an offset to start searching at.
//!
//! ```text
//! entry (12 bytes, big-endian):  timestamp i64 | relative offset u32
//! ```
//!
//! Record timestamps come from producers and need not grow with offsets, so an entry says: "up
//! to this offset, the largest timestamp seen is this". Entries are added next to offset-index
//! entries, and only when the largest timestamp grew, so both fields always increase and a
//! binary search works. It serves `ListOffsets` by timestamp ("give me the first offset at or
//! after 09:00") and time-based retention.

use std::path::Path;

use crate::error::{Error, Result};
use crate::index_file::IndexFile;

pub const ENTRY_SIZE: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampOffset {
    pub timestamp: i64,
    pub offset: i64,
}

#[derive(Debug)]
pub struct TimeIndex {
    base_offset: i64,
    /// Timestamp and relative offset of each entry; both increase.
    entries: Vec<(i64, u32)>,
    file: IndexFile,
}

/// The entries in a time index file's bytes, or `None` if they cannot be a time index: a size
/// that is not a multiple of 12, or timestamps or offsets that do not increase.
pub fn parse_entries(bytes: &[u8]) -> Option<Vec<(i64, u32)>> {
    // BEGIN SOLUTION step 3: read 12-byte big-endian entries and check that both fields increase
    // ko: 12바이트 빅엔디언 엔트리를 읽고 두 필드가 모두 증가하는지 확인하기
    if !bytes.len().is_multiple_of(ENTRY_SIZE) {
        return None;
    }
    let entries: Vec<(i64, u32)> = bytes
        .chunks_exact(ENTRY_SIZE)
        .map(|e| {
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&e[..8]);
            let relative = u32::from_be_bytes([e[8], e[9], e[10], e[11]]);
            (i64::from_be_bytes(ts), relative)
        })
        .collect();
    let increasing = entries
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1);
    increasing.then_some(entries)
    // END SOLUTION
}

impl TimeIndex {
    /// Opens the file at `path`; an invalid file is opened empty and reported as `false`.
    pub fn open(path: &Path, base_offset: i64) -> Result<(TimeIndex, bool)> {
        let mut file = IndexFile::open(path)?;
        let parsed = parse_entries(&file.read_all()?);
        let valid = parsed.is_some();
        let index = TimeIndex {
            base_offset,
            entries: parsed.unwrap_or_default(),
            file,
        };
        Ok((index, valid))
    }

    /// Adds `(timestamp, offset)` if `timestamp` is larger than the last entry's and `offset`
    /// is after it; otherwise does nothing. Returns whether an entry was written.
    pub fn maybe_append(&mut self, timestamp: i64, offset: i64) -> Result<bool> {
        // BEGIN SOLUTION step 3: skip unless both timestamp and offset grow, then write 12 bytes
        // ko: 타임스탬프와 오프셋이 둘 다 커질 때만 12바이트를 쓰고, 아니면 건너뛰기
        let relative = u32::try_from(offset - self.base_offset).map_err(|_| {
            Error::RelativeOffsetOverflow {
                offset,
                base_offset: self.base_offset,
            }
        })?;
        if let Some(&(last_ts, last_rel)) = self.entries.last() {
            if timestamp <= last_ts || relative <= last_rel {
                return Ok(false);
            }
        }
        let mut entry = [0u8; ENTRY_SIZE];
        entry[..8].copy_from_slice(&timestamp.to_be_bytes());
        entry[8..].copy_from_slice(&relative.to_be_bytes());
        self.file.append(&entry)?;
        self.entries.push((timestamp, relative));
        Ok(true)
        // END SOLUTION
    }

    /// The last entry whose timestamp is *strictly below* `timestamp`. Every record before its
    /// offset has a timestamp below the target too, so a search for the first record at or
    /// after `timestamp` can start there. `None`: start at the beginning of the segment.
    pub fn lookup_before(&self, timestamp: i64) -> Option<TimestampOffset> {
        // BEGIN SOLUTION step 3: binary search for the last entry with a timestamp below the target
        // ko: 타임스탬프가 목표보다 작은 마지막 엔트리를 이진 탐색으로 찾기
        let after = self.entries.partition_point(|&(ts, _)| ts < timestamp);
        let &(ts, relative) = self.entries.get(after.checked_sub(1)?)?;
        Some(TimestampOffset {
            timestamp: ts,
            offset: self.base_offset + i64::from(relative),
        })
        // END SOLUTION
    }

    /// Drops every entry at or after `offset`.
    pub fn truncate_to(&mut self, offset: i64) -> Result<()> {
        let relative = offset - self.base_offset;
        self.entries.retain(|&(_, r)| i64::from(r) < relative);
        let bytes: Vec<u8> = self
            .entries
            .iter()
            .flat_map(|&(ts, r)| ts.to_be_bytes().into_iter().chain(r.to_be_bytes()))
            .collect();
        self.file.rewrite(&bytes)
    }

    /// Replaces every entry, as after rebuilding the index from the log.
    pub fn reset(&mut self, entries: Vec<TimestampOffset>) -> Result<()> {
        self.entries.clear();
        self.file.rewrite(&[])?;
        for e in entries {
            self.maybe_append(e.timestamp, e.offset)?;
        }
        // A rebuilt index is on disk at once, not when the next entries fill the buffer.
        self.file.write_pending()
    }

    pub fn entries(&self) -> Vec<TimestampOffset> {
        self.entries
            .iter()
            .map(|&(timestamp, r)| TimestampOffset {
                timestamp,
                offset: self.base_offset + i64::from(r),
            })
            .collect()
    }

    pub fn flush(&self) -> Result<()> {
        self.file.flush()
    }

    pub fn delete(self) -> Result<()> {
        self.file.delete()
    }
}
