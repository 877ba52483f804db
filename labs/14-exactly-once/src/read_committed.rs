//! Step 5: what a consumer with `isolation.level=read_committed` keeps — the filtering of
//! Kafka's consumer `Fetcher` (its `abortedProducerIds` and `consumeAbortedTransactionsUpTo`).
//!
//! The broker answers a `read_committed` fetch only up to the LSO, and adds the aborted
//! transactions of the range as `(producer id, first offset)`. Walking the batches in offset
//! order, the consumer marks a producer *aborted* once the batch reaches that first offset,
//! skips that producer's transactional batches until its abort marker, and never returns
//! control batches. A `read_uncommitted` consumer only drops the control batches.

use lab01_record_batch::RecordBatch;

use crate::control_batch::{read_marker, ControlRecordType};
use crate::errors::Result;

/// `isolation.level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    ReadUncommitted,
    ReadCommitted,
}

/// An aborted transaction as a Fetch response lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortedTransaction {
    pub producer_id: i64,
    pub first_offset: i64,
}

/// How far a fetch may read (`Log.read`'s max offset): a follower to the log end, a
/// `read_uncommitted` consumer to the high watermark, a `read_committed` one to the LSO.
pub fn fetch_upper_bound(
    isolation: IsolationLevel,
    high_watermark: i64,
    last_stable_offset: i64,
) -> i64 {
    match isolation {
        IsolationLevel::ReadUncommitted => high_watermark,
        IsolationLevel::ReadCommitted => last_stable_offset,
    }
}

/// The batches the application sees, in order.
pub fn filter_batches<'a>(
    isolation: IsolationLevel,
    batches: &'a [RecordBatch],
    aborted: &[AbortedTransaction],
) -> Result<Vec<&'a RecordBatch>> {
    // BEGIN SOLUTION step 5: mark producers aborted as batches reach their first offset; drop their transactional batches until the abort marker; drop every control batch
    // ko: 배치가 첫 오프셋에 닿으면 프로듀서를 중단으로 표시하고, 중단 마커까지 그 트랜잭션 배치를 버리고, 컨트롤 배치는 모두 버리기
    let mut pending: Vec<AbortedTransaction> = aborted.to_vec();
    pending.sort_by_key(|a| a.first_offset);
    let mut pending = pending.into_iter().peekable();
    let mut aborted_producers = std::collections::BTreeSet::new();
    let mut kept = Vec::new();
    for b in batches {
        if b.attributes.control {
            if let Some(m) = read_marker(b)? {
                if m.control_type == ControlRecordType::Abort {
                    aborted_producers.remove(&b.producer_id);
                }
            }
            continue;
        }
        if isolation == IsolationLevel::ReadCommitted {
            let last = b.base_offset + i64::from(b.last_offset_delta);
            while let Some(a) = pending.next_if(|a| a.first_offset <= last) {
                aborted_producers.insert(a.producer_id);
            }
            if b.attributes.transactional && aborted_producers.contains(&b.producer_id) {
                continue;
            }
        }
        kept.push(b);
    }
    Ok(kept)
    // END SOLUTION
}
