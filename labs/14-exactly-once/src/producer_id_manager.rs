//! Given: where producer ids come from. Every idempotent or transactional producer needs an id no
//! other producer of the cluster ever had, across broker restarts too — a reused id would make
//! a partition treat a stranger's batches as that old producer's retries.
//!
//! Kafka 2.6 (`ProducerIdManager`) claims blocks of 1,000 ids from ZooKeeper's
//! `/latest_producer_id_block` with a conditional write, so brokers never overlap. This course
//! uses a **simpler scheme**, the same on one broker and in a cluster:
//!
//! ```text
//! producer id = broker.id << 40 | n       n counts up from 0, per broker
//! log.dirs/producer_id_block              the end of the block of n this broker claimed
//! ```
//!
//! The broker id in the high bits keeps brokers apart without asking anyone; the block file
//! keeps a restarted broker from handing out an `n` it handed out before: a block is written
//! (and fsynced) *before* any id from it is given, so a crash loses at most the rest of a block.

use std::path::{Path, PathBuf};

pub const BLOCK_SIZE: i64 = 1000;
pub const BLOCK_FILE: &str = "producer_id_block";
/// How many bits of a producer id count ids within one broker.
pub const COUNTER_BITS: u32 = 40;

/// Claims blocks of producer ids; persists each block before any id of it is used.
#[derive(Debug)]
pub struct ProducerIdManager {
    broker_id: i64,
    file: PathBuf,
    /// The first counter value of the next block to claim.
    next: i64,
}

impl ProducerIdManager {
    /// Starts after the last block this broker claimed (read from `dir/producer_id_block`).
    pub fn open(dir: &Path, broker_id: i32) -> ProducerIdManager {
        let file = dir.join(BLOCK_FILE);
        let claimed = std::fs::read_to_string(&file)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .unwrap_or(0);
        ProducerIdManager {
            broker_id: i64::from(broker_id.max(0)),
            file,
            next: claimed,
        }
    }

    /// Claims the next block: the ids `[start, end)` it returns are this broker's alone, and
    /// stay so after a restart (the block is on disk before this returns).
    pub fn claim_block(&mut self) -> std::io::Result<(i64, i64)> {
        let (first, end) = (self.next, self.next + BLOCK_SIZE);
        write_durably(&self.file, &end.to_string())?;
        self.next = end;
        let base = self.broker_id << COUNTER_BITS;
        Ok((base | first, base | end))
    }
}

/// Writes `text` to a temporary file, fsyncs it and renames it over `path`.
fn write_durably(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
