//! The offset index (Kafka's `OffsetIndex`): where in the `.log` to start looking for an offset.
//!
//! ```text
//! entry (8 bytes, big-endian):  relative offset u32 | position u32
//! ```
//!
//! *Relative* offset: offset − the segment's base offset, so 4 bytes are enough and an entry
//! takes 8 bytes instead of 12. *Sparse*: the segment adds an entry only every
//! `index.interval.bytes` (4096) of log, so the index of a 1 GiB segment is about 2 MiB and fits
//! in memory. A lookup finds the last entry at or before the wanted offset by binary search; the
//! reader then scans at most ~4 KiB of batch headers forward from that position.

use std::path::Path;

use crate::error::{Error, Result};
use crate::index_file::IndexFile;

pub const ENTRY_SIZE: usize = 8;

/// One index entry, with the offset made absolute again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetPosition {
    pub offset: i64,
    pub position: u32,
}

#[derive(Debug)]
pub struct OffsetIndex {
    base_offset: i64,
    /// Relative offset and position of each entry, in increasing order of both.
    entries: Vec<(u32, u32)>,
    file: IndexFile,
}

/// The entries in an index file's bytes, or `None` if they cannot be an index: a size that is
/// not a multiple of 8, or offsets or positions that do not increase.
pub fn parse_entries(bytes: &[u8]) -> Option<Vec<(u32, u32)>> {
    // BEGIN SOLUTION step 2: read 8-byte big-endian entries and check that both fields increase
    // ko: 8바이트 빅엔디언 엔트리를 읽고 두 필드가 모두 증가하는지 확인하기
    if !bytes.len().is_multiple_of(ENTRY_SIZE) {
        return None;
    }
    let entries: Vec<(u32, u32)> = bytes
        .chunks_exact(ENTRY_SIZE)
        .map(|e| {
            let relative = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
            let position = u32::from_be_bytes([e[4], e[5], e[6], e[7]]);
            (relative, position)
        })
        .collect();
    let increasing = entries
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1);
    increasing.then_some(entries)
    // END SOLUTION
}

impl OffsetIndex {
    /// Opens the index file at `path`. Returns the index and whether its bytes were valid; an
    /// invalid file is opened empty, and the segment rebuilds it from the log.
    pub fn open(path: &Path, base_offset: i64) -> Result<(OffsetIndex, bool)> {
        let mut file = IndexFile::open(path)?;
        let parsed = parse_entries(&file.read_all()?);
        let valid = parsed.is_some();
        let index = OffsetIndex {
            base_offset,
            entries: parsed.unwrap_or_default(),
            file,
        };
        Ok((index, valid))
    }

    /// Adds an entry: the batch holding `offset` starts at `position` in the `.log`.
    pub fn append(&mut self, offset: i64, position: u32) -> Result<()> {
        // BEGIN SOLUTION step 2: make the offset relative, check it fits in u32 (RelativeOffsetOverflow) and grows (OffsetNotIncreasing), write 8 bytes
        // ko: 오프셋을 상대값으로 바꾸고 u32에 들어가는지(RelativeOffsetOverflow), 커지는지(OffsetNotIncreasing) 확인한 뒤 8바이트 쓰기
        let relative = offset - self.base_offset;
        let relative = u32::try_from(relative).map_err(|_| Error::RelativeOffsetOverflow {
            offset,
            base_offset: self.base_offset,
        })?;
        if let Some(&(last, _)) = self.entries.last() {
            if relative <= last {
                return Err(Error::OffsetNotIncreasing {
                    offset,
                    last: self.base_offset + i64::from(last),
                });
            }
        }
        let mut entry = [0u8; ENTRY_SIZE];
        entry[..4].copy_from_slice(&relative.to_be_bytes());
        entry[4..].copy_from_slice(&position.to_be_bytes());
        self.file.append(&entry)?;
        self.entries.push((relative, position));
        Ok(())
        // END SOLUTION
    }

    /// The last entry whose offset is at or before `offset`, or `None` if every entry is after it
    /// (then the search starts at position 0).
    pub fn lookup(&self, offset: i64) -> Option<OffsetPosition> {
        // BEGIN SOLUTION step 2: binary search for the last entry with an offset at or below the target
        // ko: 오프셋이 목표 이하인 마지막 엔트리를 이진 탐색으로 찾기
        let relative = offset - self.base_offset;
        let after = self
            .entries
            .partition_point(|&(r, _)| i64::from(r) <= relative);
        let &(r, position) = self.entries.get(after.checked_sub(1)?)?;
        Some(OffsetPosition {
            offset: self.base_offset + i64::from(r),
            position,
        })
        // END SOLUTION
    }

    /// Drops every entry at or after `offset`, in memory and on disk.
    pub fn truncate_to(&mut self, offset: i64) -> Result<()> {
        let relative = offset - self.base_offset;
        self.entries.retain(|&(r, _)| i64::from(r) < relative);
        let bytes = self.to_bytes();
        self.file.rewrite(&bytes)
    }

    /// Replaces every entry, as after rebuilding the index from the log.
    pub fn reset(&mut self, entries: Vec<OffsetPosition>) -> Result<()> {
        self.entries.clear();
        self.file.rewrite(&[])?;
        for e in entries {
            self.append(e.offset, e.position)?;
        }
        // A rebuilt index is on disk at once, not when the next entries fill the buffer.
        self.file.write_pending()
    }

    pub fn entries(&self) -> Vec<OffsetPosition> {
        self.entries
            .iter()
            .map(|&(r, position)| OffsetPosition {
                offset: self.base_offset + i64::from(r),
                position,
            })
            .collect()
    }

    fn to_bytes(&self) -> Vec<u8> {
        self.entries
            .iter()
            .flat_map(|&(r, p)| r.to_be_bytes().into_iter().chain(p.to_be_bytes()))
            .collect()
    }

    pub fn flush(&self) -> Result<()> {
        self.file.flush()
    }

    pub fn delete(self) -> Result<()> {
        self.file.delete()
    }
}
