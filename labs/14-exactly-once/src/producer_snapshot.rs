//! Step 1: the producer state survives a restart — Kafka 2.6's `<offset>.snapshot` files
//! (`ProducerStateManager.writeSnapshot` / `readSnapshot`).
//!
//! Without them a restarted leader would forget every producer's sequence and answer
//! UNKNOWN_PRODUCER_ID, or accept a retried batch twice. On each roll of a segment (and on a
//! clean shutdown) Kafka writes the state as of offset N into `dir/<N as 20 digits>.snapshot`;
//! at start it loads the newest snapshot and replays only the log after it. A missing or
//! corrupt snapshot costs a replay of the whole log, never correctness.
//!
//! ```text
//! version            int16   1
//! crc                uint32  CRC-32C of every byte after this field
//! entries            int32 count, then per producer (46 bytes each):
//!   producer_id               int64
//!   producer_epoch            int16
//!   last_sequence             int32
//!   last_offset               int64
//!   offset_delta              int32   last offset − first offset of the last batch
//!   timestamp                 int64   the last batch's max timestamp
//!   coordinator_epoch         int32
//!   current_txn_first_offset  int64   −1 when no transaction is open
//! ```
//!
//! Only the *last* batch of each producer is written, so after a reload the broker can
//! recognise a retry of that batch only — an older retry gets OUT_OF_ORDER_SEQUENCE_NUMBER.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use lab01_record_batch::record_batch::BatchHeader;

use crate::errors::{Error, Reader, Result};
use crate::producer_state_manager::{BatchMetadata, ProducerStateEntry, ProducerStateManager};

pub const PRODUCER_SNAPSHOT_VERSION: i16 = 1;
/// The CRC covers the bytes from here (after version and crc) to the end.
pub const PRODUCER_ENTRIES_OFFSET: usize = 6;
pub const SNAPSHOT_SUFFIX: &str = ".snapshot";

/// `00000000000000000042.snapshot` for offset 42 (`Log.producerSnapshotFile`).
pub fn snapshot_file_name(offset: i64) -> String {
    format!("{offset:020}{SNAPSHOT_SUFFIX}")
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// The bytes of a snapshot of `entries` (sorted by producer id).
pub fn encode_snapshot(state: &ProducerStateManager) -> Vec<u8> {
    // BEGIN SOLUTION step 1: version, a zero crc, the entries, then the CRC-32C of the entries
    // ko: 버전, 0으로 둔 crc, 엔트리들, 그다음 엔트리들의 CRC-32C를 채우기
    let mut out = Vec::new();
    out.extend_from_slice(&PRODUCER_SNAPSHOT_VERSION.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&(state.producers.len() as i32).to_be_bytes());
    for (pid, e) in &state.producers {
        let last = e.batch_metadata.back();
        out.extend_from_slice(&pid.to_be_bytes());
        out.extend_from_slice(&e.producer_epoch.to_be_bytes());
        out.extend_from_slice(&e.last_seq().to_be_bytes());
        out.extend_from_slice(&e.last_data_offset().to_be_bytes());
        out.extend_from_slice(&last.map_or(0, |b| b.offset_delta).to_be_bytes());
        out.extend_from_slice(&last.map_or(-1, |b| b.timestamp).to_be_bytes());
        out.extend_from_slice(&e.coordinator_epoch.to_be_bytes());
        out.extend_from_slice(&e.current_txn_first_offset.unwrap_or(-1).to_be_bytes());
    }
    let crc = crc32c::crc32c(&out[PRODUCER_ENTRIES_OFFSET..]);
    out[2..6].copy_from_slice(&crc.to_be_bytes());
    out
    // END SOLUTION
}

/// Reads a snapshot's bytes: checks the version and the CRC, then the entries. A producer
/// whose last offset is −1 had no batch (only a marker) and gets no batch metadata.
pub fn decode_snapshot(bytes: &[u8]) -> Result<Vec<ProducerStateEntry>> {
    // BEGIN SOLUTION step 1: check version and CRC-32C, then read the 46-byte entries
    // ko: 버전과 CRC-32C를 확인한 다음 46바이트 엔트리들을 읽기
    let mut r = Reader::new(bytes);
    let version = r.i16("snapshot version")?;
    if version != PRODUCER_SNAPSHOT_VERSION {
        return Err(Error::UnknownVersion {
            what: "a producer snapshot",
            version,
            expected: PRODUCER_SNAPSHOT_VERSION,
        });
    }
    let stored = r.u32("snapshot crc")?;
    let computed = crc32c::crc32c(r.buf);
    if stored != computed {
        return Err(Error::CorruptSnapshot { stored, computed });
    }
    let count = r.i32("snapshot entry count")?;
    if count < 0 {
        return Err(Error::Invalid {
            what: "the snapshot's entry count",
            value: count.into(),
        });
    }
    let mut entries = Vec::new();
    for _ in 0..count {
        let producer_id = r.i64("producer id")?;
        let producer_epoch = r.i16("producer epoch")?;
        let last_seq = r.i32("last sequence")?;
        let last_offset = r.i64("last offset")?;
        let offset_delta = r.i32("offset delta")?;
        let timestamp = r.i64("timestamp")?;
        let coordinator_epoch = r.i32("coordinator epoch")?;
        let txn_first = r.i64("current txn first offset")?;
        let mut batch_metadata = VecDeque::new();
        if last_offset >= 0 {
            batch_metadata.push_back(BatchMetadata {
                last_seq,
                last_offset,
                offset_delta,
                timestamp,
            });
        }
        entries.push(ProducerStateEntry {
            producer_id,
            producer_epoch,
            batch_metadata,
            coordinator_epoch,
            current_txn_first_offset: (txn_first >= 0).then_some(txn_first),
        });
    }
    r.finish("the snapshot's entries")?;
    Ok(entries)
    // END SOLUTION
}

/// Writes `state` as `dir/<map_end_offset>.snapshot` and returns its path.
pub fn write_snapshot(dir: &Path, state: &ProducerStateManager) -> Result<PathBuf> {
    let path = dir.join(snapshot_file_name(state.map_end_offset));
    std::fs::write(&path, encode_snapshot(state)).map_err(|e| io(&path, e))?;
    Ok(path)
}

/// The offsets of the snapshot files in `dir`, newest first.
pub fn snapshot_offsets(dir: &Path) -> Result<Vec<i64>> {
    let mut offsets: Vec<i64> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(SNAPSHOT_SUFFIX)?.parse().ok()
        })
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    Ok(offsets)
}

/// The producer state of a log at start (`Log.loadProducerState`): the newest readable
/// snapshot at or below the log's end, then the log's batches from that offset on; with no
/// usable snapshot, the whole log. A corrupt snapshot is skipped, never trusted.
pub fn load_producer_state(dir: &Path, log: &[BatchHeader]) -> Result<ProducerStateManager> {
    // BEGIN SOLUTION step 1: newest usable snapshot not past the log end, then replay the rest of the log
    // ko: 로그 끝을 넘지 않는 가장 새 스냅샷을 읽고, 그 뒤의 로그를 재생하기
    let log_end = log.last().map_or(0, |h| h.last_offset() + 1);
    let mut state = ProducerStateManager::new();
    for offset in snapshot_offsets(dir)? {
        if offset > log_end {
            continue;
        }
        let path = dir.join(snapshot_file_name(offset));
        let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
        if let Ok(entries) = decode_snapshot(&bytes) {
            for e in entries {
                state.producers.insert(e.producer_id, e);
            }
            state.map_end_offset = offset;
            break;
        }
    }
    let from = state.map_end_offset;
    let rest: Vec<BatchHeader> = log
        .iter()
        .filter(|h| h.base_offset >= from)
        .copied()
        .collect();
    state.rebuild_from_log(&rest);
    state.map_end_offset = state.map_end_offset.max(log_end);
    Ok(state)
    // END SOLUTION
}
