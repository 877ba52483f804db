//! Recovery: after a crash, find where the valid part of a `.log` ends.
//!
//! A crash can leave the last batch half written (a *torn* write), or the disk can hand back
//! bytes that are not what was written. Kafka's `LogSegment.recover` reads the segment from the
//! start, checks every batch, and truncates the file at the first batch that fails a check.
//! Everything before it was written whole and is kept: recovery never loses a good batch to
//! save a bad one, and never serves a bad one.
//!
//! A batch at `position` is good when:
//! - its 61-byte header is there and parses (magic 2, a sane `batchLength`);
//! - the whole batch, `12 + batchLength` bytes, fits before the end of the file;
//! - its CRC-32C matches;
//! - its base offset is not below the end of the previous batch (offsets only grow).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use lab01_record_batch::{verify_crc, BatchHeader, BATCH_HEADER_SIZE};

use crate::error::{Error, Result};

/// What a scan of a `.log` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Length of the good prefix: everything from here on is to be cut off.
    pub valid_bytes: u64,
    pub batches: usize,
    /// Why the scan stopped before the end of the file, if it did.
    pub problem: Option<String>,
}

/// Reads `len` bytes at `position`. Given code: the scan below decides what to read.
pub fn read_at(file: &File, path: &Path, position: u64, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, position)
        .map_err(Error::io("read", path))?;
    Ok(buf)
}

/// Scans the first `file_len` bytes of the log, calling `on_batch(header, position)` for each
/// good batch in order, and stops at the first bad one. `base_offset` is the segment's: no
/// batch may start below it.
pub fn scan(
    file: &File,
    path: &Path,
    file_len: u64,
    base_offset: i64,
    mut on_batch: impl FnMut(&BatchHeader, u64) -> Result<()>,
) -> Result<Scan> {
    // BEGIN SOLUTION step 6: walk batch by batch, checking header, size, CRC and offsets; stop at the first bad one
    // ko: 배치 단위로 헤더, 크기, CRC, 오프셋을 확인하며 나아가다 첫 번째 잘못된 배치에서 멈추기
    let mut position = 0u64;
    let mut next_offset = base_offset;
    let mut batches = 0;
    let problem = loop {
        let remaining = file_len - position;
        if remaining == 0 {
            break None;
        }
        if remaining < BATCH_HEADER_SIZE as u64 {
            break Some(format!(
                "torn batch header at position {position}: only {remaining} bytes left"
            ));
        }
        let header_bytes = read_at(file, path, position, BATCH_HEADER_SIZE)?;
        let header = match BatchHeader::parse(&header_bytes) {
            Ok(header) => header,
            Err(e) => break Some(format!("bad batch header at position {position}: {e}")),
        };
        let size = header.total_size() as u64;
        if size > remaining {
            break Some(format!(
                "torn batch at position {position}: {size} bytes long but only {remaining} left"
            ));
        }
        let batch = read_at(file, path, position, size as usize)?;
        if let Err(e) = verify_crc(&batch) {
            break Some(format!("corrupt batch at position {position}: {e}"));
        }
        if header.base_offset < next_offset || header.last_offset() < header.base_offset {
            break Some(format!(
                "batch at position {position} has offsets {}..={}, but the next offset must be at least {next_offset}",
                header.base_offset,
                header.last_offset()
            ));
        }
        on_batch(&header, position)?;
        next_offset = header.last_offset() + 1;
        position += size;
        batches += 1;
    };
    Ok(Scan {
        valid_bytes: position,
        batches,
        problem,
    })
    // END SOLUTION
}
