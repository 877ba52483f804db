//! `.index` and `.timeindex` (lab 02), printed as Kafka 2.6's `dumpIndex` and `dumpTimeIndex`
//! print them: absolute offsets, one entry a line.
//!
//! These readers are looser than lab 02's `parse_entries`, which refuses a whole file that
//! cannot be an index: a dump is for looking at damaged files, so it prints every entry it can
//! and says what is wrong with the rest.

use lab01_record_batch::record_batch::BatchHeader;

use super::Dump;

const OFFSET_ENTRY: usize = 8;
const TIME_ENTRY: usize = 12;

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// A file Kafka preallocated and a crash left sparse holds zero entries after the real ones;
/// an entry back at the base offset (other than the first) marks where they begin.
fn torn_tail(name: &str, len: usize, entry: usize) -> String {
    let extra = len % entry;
    if extra == 0 {
        String::new()
    } else {
        format!(
            "{name}: the last {extra} bytes are not a whole {entry}-byte entry (a torn write?); they are skipped\n"
        )
    }
}

/// `offset: O position: P` per entry. With the segment's `.log` at hand, each entry is checked
/// against the batch at its position, whose last offset it must name, and a mismatch goes to
/// stderr as Kafka reports it.
pub fn dump_offset_index(path: &str, base: i64, bytes: &[u8], log: Option<&[u8]>) -> Dump {
    let mut dump = Dump::default();
    if bytes.len() < OFFSET_ENTRY {
        dump.out = format!("{path} is empty.\n");
        dump.err = torn_tail(path, bytes.len(), OFFSET_ENTRY);
        return dump;
    }
    let mut mismatches = Vec::new();
    for (i, e) in bytes.chunks_exact(OFFSET_ENTRY).enumerate() {
        let offset = base + i64::from(be_u32(&e[..4]));
        let position = be_u32(&e[4..]);
        if offset == base && i > 0 {
            break;
        }
        if let Some(log) = log {
            let found = log
                .get(position as usize..)
                .and_then(|b| BatchHeader::parse(b).ok())
                .map_or(-1, |h| h.last_offset());
            if found != offset {
                mismatches.push((offset, found));
            }
        }
        dump.out
            .push_str(&format!("offset: {offset} position: {position}\n"));
    }
    dump.err = torn_tail(path, bytes.len(), OFFSET_ENTRY);
    if !mismatches.is_empty() {
        dump.err.push_str(&format!("Mismatches in :{path}\n"));
        for (index, log) in mismatches {
            dump.err
                .push_str(&format!("  Index offset: {index}, log offset: {log}\n"));
        }
    }
    dump
}

/// `timestamp: T offset: O` per entry.
pub fn dump_time_index(base: i64, bytes: &[u8]) -> Dump {
    let mut dump = Dump::default();
    for (i, e) in bytes.chunks_exact(TIME_ENTRY).enumerate() {
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&e[..8]);
        let offset = base + i64::from(be_u32(&e[8..]));
        if offset == base && i > 0 {
            break;
        }
        dump.out.push_str(&format!(
            "timestamp: {} offset: {offset}\n",
            i64::from_be_bytes(ts)
        ));
    }
    dump.err = torn_tail("the time index", bytes.len(), TIME_ENTRY);
    dump
}
