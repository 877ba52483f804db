//! Step 5: the `.txnindex` file — Kafka 2.6's `TransactionIndex` and `AbortedTxn`.
//!
//! Each segment has one, next to its `.log` and `.index`. It lists the transactions aborted in
//! that segment, in the order their markers were written, so a `read_committed` fetch can tell
//! the consumer which producers' batches in the range to drop — without the broker reading
//! the batches themselves. Each entry is 34 bytes:
//!
//! ```text
//! version              int16   0
//! producer_id          int64
//! first_offset         int64   the transaction's first batch on this partition
//! last_offset          int64   its abort marker
//! last_stable_offset   int64   the partition's LSO once the marker was written
//! ```

use crate::errors::{Error, Reader, Result};

pub const ABORTED_TXN_SIZE: usize = 34;
pub const ABORTED_TXN_VERSION: i16 = 0;
pub const TXN_INDEX_SUFFIX: &str = ".txnindex";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    pub last_offset: i64,
    pub last_stable_offset: i64,
}

/// What a fetch needs from the index (`TxnIndexSearchResult`): the aborted transactions that
/// overlap the range, and whether this segment's index was enough (`is_complete`) or the next
/// segment's must be read too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnIndexSearchResult {
    pub aborted: Vec<AbortedTxn>,
    pub is_complete: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionIndex {
    pub entries: Vec<AbortedTxn>,
}

impl AbortedTxn {
    pub fn to_bytes(&self) -> [u8; ABORTED_TXN_SIZE] {
        // BEGIN SOLUTION step 5: the version, then the four int64 fields, big-endian
        // ko: 버전, 그다음 int64 필드 네 개를 빅 엔디언으로
        let mut out = [0u8; ABORTED_TXN_SIZE];
        out[0..2].copy_from_slice(&ABORTED_TXN_VERSION.to_be_bytes());
        out[2..10].copy_from_slice(&self.producer_id.to_be_bytes());
        out[10..18].copy_from_slice(&self.first_offset.to_be_bytes());
        out[18..26].copy_from_slice(&self.last_offset.to_be_bytes());
        out[26..34].copy_from_slice(&self.last_stable_offset.to_be_bytes());
        out
        // END SOLUTION
    }
}

impl TransactionIndex {
    /// Adds an entry; the last offsets must increase (markers are appended in order).
    pub fn append(&mut self, txn: AbortedTxn) -> Result<()> {
        if let Some(last) = self.entries.last() {
            if txn.last_offset <= last.last_offset {
                return Err(Error::Invalid {
                    what: "an aborted transaction's last offset (not increasing)",
                    value: txn.last_offset,
                });
            }
        }
        self.entries.push(txn);
        Ok(())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.entries.iter().flat_map(AbortedTxn::to_bytes).collect()
    }

    /// Reads a `.txnindex` file's bytes: whole 34-byte entries of version 0.
    pub fn from_bytes(bytes: &[u8]) -> Result<TransactionIndex> {
        // BEGIN SOLUTION step 5: whole 34-byte entries only, each with version 0
        // ko: 34바이트 엔트리 단위로만, 각각 버전 0
        if !bytes.len().is_multiple_of(ABORTED_TXN_SIZE) {
            return Err(Error::Truncated {
                what: "an aborted transaction entry",
                needed: ABORTED_TXN_SIZE,
                available: bytes.len() % ABORTED_TXN_SIZE,
            });
        }
        let mut entries = Vec::new();
        for chunk in bytes.chunks(ABORTED_TXN_SIZE) {
            let mut r = Reader::new(chunk);
            let version = r.i16("aborted txn version")?;
            if version != ABORTED_TXN_VERSION {
                return Err(Error::UnknownVersion {
                    what: "an aborted transaction entry",
                    version,
                    expected: ABORTED_TXN_VERSION,
                });
            }
            entries.push(AbortedTxn {
                producer_id: r.i64("producer id")?,
                first_offset: r.i64("first offset")?,
                last_offset: r.i64("last offset")?,
                last_stable_offset: r.i64("last stable offset")?,
            });
        }
        Ok(TransactionIndex { entries })
        // END SOLUTION
    }

    /// The aborted transactions a fetch of `[fetch_offset, upper_bound_offset)` must report
    /// (`collectAbortedTxns`): those ending at or after the fetch offset and starting before
    /// the bound. Complete once an entry's LSO reaches the bound (no later segment can hold an
    /// aborted transaction that started before it).
    pub fn collect_aborted_txns(
        &self,
        fetch_offset: i64,
        upper_bound_offset: i64,
    ) -> TxnIndexSearchResult {
        // BEGIN SOLUTION step 5: keep overlapping entries; stop, complete, at the first whose LSO reaches the bound
        // ko: 겹치는 엔트리를 모으고, LSO가 상한에 닿는 첫 엔트리에서 완료로 멈추기
        let mut aborted = Vec::new();
        for t in &self.entries {
            if t.last_offset >= fetch_offset && t.first_offset < upper_bound_offset {
                aborted.push(*t);
            }
            if t.last_stable_offset >= upper_bound_offset {
                return TxnIndexSearchResult {
                    aborted,
                    is_complete: true,
                };
            }
        }
        TxnIndexSearchResult {
            aborted,
            is_complete: false,
        }
        // END SOLUTION
    }
}
