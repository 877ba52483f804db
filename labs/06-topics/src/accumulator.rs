//! The producer's record accumulator: records wait in one open batch per partition until the
//! batch is full (`batch.size`) or has waited `linger.ms`, then go out together in one Produce
//! request. Batching is where Kafka's throughput comes from: one request, one append and one
//! disk write carry hundreds of records. Plain state, time passed in: no sockets here.
//!
//! As in Kafka's `RecordAccumulator`, a record is written into its batch's bytes as it is
//! appended ([`MemoryRecordsBuilder`]), in the thread that calls `send`: the sender only ships
//! batches that are ready, and no record is kept as an object of its own on the way.

use std::collections::{BTreeMap, VecDeque};

use crate::memory_records_builder::MemoryRecordsBuilder;

/// A record to append, borrowed from the caller: its bytes are copied into the batch, so the
/// accumulator keeps nothing of it but its `seq`, which numbers the producer's records so the
/// caller can match acknowledgements to what it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRecord<'a> {
    pub seq: u64,
    pub timestamp_ms: i64,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: &'a [(String, Option<Vec<u8>>)],
}

/// Batch overhead: the record batch header (61 bytes) — what an empty batch costs.
pub const BATCH_OVERHEAD: usize = 61;

impl PendingRecord<'_> {
    /// An upper bound of the record's size inside a batch (Kafka's
    /// `DefaultRecord.sizeInUpperBound`): its bytes plus at most 5 bytes per varint.
    pub fn size_estimate(&self) -> usize {
        let len = |b: Option<&[u8]>| b.map_or(0, <[u8]>::len);
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| 10 + k.len() + len(v.as_deref()))
            .sum();
        // length, attributes, timestamp delta, offset delta, key and value lengths, header count
        21 + len(self.key) + len(self.value) + headers
    }
}

/// One partition's batch: its records already encoded, and their `seq`s.
#[derive(Debug)]
pub struct ProducerBatch {
    pub topic: String,
    pub partition: i32,
    /// The `seq` of each record in the batch, in order.
    pub seqs: Vec<u64>,
    /// The records, written into the batch's bytes.
    pub records: MemoryRecordsBuilder,
    /// Estimated encoded size, [`BATCH_OVERHEAD`] included: the sum of the records'
    /// `size_estimate()`, an upper bound of `records.bytes_written()`.
    pub size: usize,
    /// When its first record arrived.
    pub created_ms: i64,
}

impl ProducerBatch {
    /// An empty batch, its buffer sized for `capacity` bytes (`batch.size`, or more for a
    /// record bigger than that) so that filling it never copies it.
    pub fn new(topic: &str, partition: i32, capacity: usize, now_ms: i64) -> ProducerBatch {
        ProducerBatch {
            topic: topic.to_string(),
            partition,
            seqs: Vec::new(),
            records: MemoryRecordsBuilder::with_capacity(capacity),
            size: BATCH_OVERHEAD,
            created_ms: now_ms,
        }
    }

    /// Writes the record into the batch and counts its estimated size.
    pub fn push(&mut self, record: &PendingRecord<'_>) {
        self.records.append(
            record.timestamp_ms,
            record.key,
            record.value,
            record.headers,
        );
        self.seqs.push(record.seq);
        self.size += record.size_estimate();
    }
}

/// What [`RecordAccumulator::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The record did not fit: the partition's previous batch was closed and is ready to send.
    pub closed_previous: bool,
    /// The batch the record went into is now full (no other record of this size fits), and
    /// was closed: it is ready to send.
    pub full: bool,
}

#[derive(Debug)]
pub struct RecordAccumulator {
    batch_size: usize,
    linger_ms: i64,
    /// Topic → partition → its open batch. Looked up by `&str`, so appending a record to an
    /// existing batch allocates nothing.
    open: BTreeMap<String, BTreeMap<i32, ProducerBatch>>,
    closed: VecDeque<ProducerBatch>,
}

impl RecordAccumulator {
    /// `batch_size` is `batch.size` (Kafka's default 16384), `linger_ms` is `linger.ms`
    /// (default 5 since Kafka 4.0, 0 before).
    pub fn new(batch_size: usize, linger_ms: i64) -> RecordAccumulator {
        RecordAccumulator {
            batch_size,
            linger_ms,
            open: BTreeMap::new(),
            closed: VecDeque::new(),
        }
    }

    /// Adds a record to the open batch of (`topic`, `partition`). If it would push that batch
    /// past `batch.size`, the batch is closed first and a new one opened; a batch that no other
    /// record of this size fits in any more is closed right after. A record bigger than
    /// `batch.size` on its own still goes, alone in its batch, as Kafka does.
    pub fn append(
        &mut self,
        topic: &str,
        partition: i32,
        record: PendingRecord<'_>,
        now_ms: i64,
    ) -> Appended {
        // BEGIN SOLUTION step 7: close the open batch if the record does not fit, open one if needed, add the record, and close the batch at once if it is now full
        // ko: 레코드가 들어가지 않으면 열린 배치를 닫고, 필요하면 배치를 열어 레코드를 넣고, 배치가 이제 찼으면 바로 닫으세요
        let size = record.size_estimate();
        if !self.open.contains_key(topic) {
            self.open.insert(topic.to_string(), BTreeMap::new());
        }
        let partitions = self.open.get_mut(topic).expect("inserted above");
        let mut closed_previous = false;
        if let Some(batch) = partitions.get(&partition) {
            if batch.size + size > self.batch_size && !batch.seqs.is_empty() {
                let batch = partitions.remove(&partition).expect("just looked");
                self.closed.push_back(batch);
                closed_previous = true;
            }
        }
        let capacity = self.batch_size.max(BATCH_OVERHEAD + size);
        let batch = partitions
            .entry(partition)
            .or_insert_with(|| ProducerBatch::new(topic, partition, capacity, now_ms));
        batch.push(&record);
        // Full: another record of this size would not fit. Kafka closes such a batch as soon as
        // a record finds no room; closing it now, instead of when the next record of this
        // partition comes, matters once the sticky partitioner moves on: that next record goes
        // to another partition, and a full batch left open would wait out `linger.ms`.
        let full = batch.size + size > self.batch_size;
        if full {
            let batch = partitions.remove(&partition).expect("just appended");
            self.closed.push_back(batch);
        }
        Appended {
            closed_previous,
            full,
        }
        // END SOLUTION
    }

    /// Takes every batch that should be sent now: all closed ones, then each open batch that
    /// is full or has lingered `linger.ms` since its first record.
    pub fn ready(&mut self, now_ms: i64) -> Vec<ProducerBatch> {
        // BEGIN SOLUTION step 7: the closed batches in order, then the open ones that are full or old enough
        // ko: 닫힌 배치를 순서대로, 그다음 찼거나 linger.ms만큼 기다린 열린 배치를 돌려주세요
        let mut ready: Vec<ProducerBatch> = self.closed.drain(..).collect();
        for partitions in self.open.values_mut() {
            let due: Vec<i32> = partitions
                .iter()
                .filter(|(_, b)| {
                    b.size >= self.batch_size || now_ms - b.created_ms >= self.linger_ms
                })
                .map(|(p, _)| *p)
                .collect();
            for p in due {
                ready.extend(partitions.remove(&p));
            }
        }
        ready
        // END SOLUTION
    }

    /// When the next open batch's linger ends, if any batch is waiting (for the sender's timer).
    pub fn next_deadline_ms(&self) -> Option<i64> {
        if !self.closed.is_empty() {
            return Some(i64::MIN);
        }
        self.open
            .values()
            .flat_map(|p| p.values())
            .map(|b| b.created_ms + self.linger_ms)
            .min()
    }

    /// Every waiting batch, ready or not: `flush()` and `close()` send them all.
    pub fn drain_all(&mut self) -> Vec<ProducerBatch> {
        let mut all: Vec<ProducerBatch> = self.closed.drain(..).collect();
        for partitions in self.open.values_mut() {
            all.extend(std::mem::take(partitions).into_values());
        }
        all
    }

    /// Whether a closed batch waits for the sender (it is ready now).
    pub fn has_closed(&self) -> bool {
        !self.closed.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.closed.is_empty() && self.open.values().all(BTreeMap::is_empty)
    }

    /// Records waiting, over all batches.
    pub fn pending_records(&self) -> usize {
        self.closed
            .iter()
            .chain(self.open.values().flat_map(|p| p.values()))
            .map(|b| b.seqs.len())
            .sum()
    }
}
