//! Our producer: `send` writes each record into its partition's batch in the accumulator, in
//! the caller's own thread; a sender task takes the batches that are ready, seals them (header
//! and CRC) and writes Produce requests to each partition's leader — up to `max.in.flight`
//! per connection without waiting — and reports each batch's outcome as a [`Delivery`].
//!
//! Like Kafka's `KafkaProducer`: `send` never waits for the network. As in Kafka, the record
//! does not travel to the sender on its own: the caller's thread and the sender share the
//! `RecordAccumulator` under a lock, and the sender is woken once per batch, not once per
//! record. Handing every record across a channel to the sender cost a wake-up and a
//! cross-thread free per record: about a third of the producer's time when it was measured.
//! And the record is encoded where it is appended (Kafka's `MemoryRecordsBuilder`): its key
//! and value are copied once, into the batch's bytes, and nothing is allocated per record.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use kafka_protocol::records::Compression;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::Instant;

use crate::accumulator::{PendingRecord, RecordAccumulator};
use crate::client::cluster::Cluster;
use crate::error::{Error, Result};
use crate::partitioner::{self, StickyPartitioner};

mod sender;
use sender::Sender;

/// The producer settings, with Kafka's names and defaults.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `bootstrap.servers`.
    pub bootstrap_servers: String,
    /// `client.id`.
    pub client_id: String,
    /// `acks`: 0 (no answer), 1 (the leader wrote it), −1 / `all` (every in-sync replica did).
    pub acks: i16,
    /// `batch.size` in bytes.
    pub batch_size: usize,
    /// `linger.ms`.
    pub linger_ms: i64,
    /// `compression.type`.
    pub compression: Compression,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: usize,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `retries` for errors that a metadata refresh can fix (a new leader, a new topic).
    pub retries: u32,
    /// Seed of the sticky partitioner's choices, so a run can be replayed.
    pub seed: u64,
    /// `buffer.memory`: bytes of records waiting to be sent before `send` waits for room.
    pub buffer_memory: usize,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            bootstrap_servers: "localhost:9092".into(),
            client_id: "kafkalab-producer".into(),
            acks: -1,
            batch_size: 16_384,
            linger_ms: 5,
            compression: Compression::None,
            max_in_flight: 5,
            request_timeout: Duration::from_secs(30),
            retries: 5,
            seed: 0x5eed,
            buffer_memory: 32 << 20,
        }
    }
}

/// `compression.type` by its Kafka name.
pub fn compression_by_name(name: &str) -> Result<Compression> {
    Ok(match name {
        "none" => Compression::None,
        "gzip" => Compression::Gzip,
        "snappy" => Compression::Snappy,
        "lz4" => Compression::Lz4,
        "zstd" => Compression::Zstd,
        other => {
            return Err(Error::Client(format!(
                "compression.type `{other}`: use none, gzip, snappy, lz4 or zstd"
            )))
        }
    })
}

/// A record to send. `partition: None` lets the partitioner choose.
#[derive(Debug, Clone, Default)]
pub struct ProducerRecord {
    pub topic: String,
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp_ms: Option<i64>,
}

/// The outcome of one batch: which records (`seqs`, as `send` returned them) and where they
/// went, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub topic: String,
    pub partition: i32,
    pub seqs: Vec<u64>,
    /// The offset of the first record (−1 with acks 0), or the error.
    pub result: std::result::Result<i64, String>,
}

/// What the producer has sent so far, counted as Kafka's producer metrics are
/// (`request-total`, `batch-size-avg`, `records-per-request-avg`): how well records are
/// batched shows here first. `kafka-producer-perf-test --print-metrics` prints them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProducerMetrics {
    /// Produce requests written.
    pub requests: u64,
    /// Record batches in them.
    pub batches: u64,
    /// Records in those batches.
    pub records: u64,
    /// Bytes of those batches.
    pub batch_bytes: u64,
}

/// The counters behind [`ProducerMetrics`], bumped by the sender once per request.
#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    batches: AtomicU64,
    records: AtomicU64,
    batch_bytes: AtomicU64,
}

enum Command {
    /// How many partitions a topic has (asked once per topic; the sender owns the metadata).
    Partitions(String, oneshot::Sender<Result<i32>>),
    Flush(oneshot::Sender<()>),
}

/// What `send` (in the caller's thread) and the sender task share, under one lock held only
/// for an append or for taking batches — never across an `.await`, which is why it is a
/// `std::sync::Mutex` and not tokio's.
struct Appender {
    accumulator: RecordAccumulator,
    sticky: StickyPartitioner,
    /// Partition counts by topic, filled by the sender from metadata. A `BTreeMap`, as the
    /// accumulator's: `send` looks a topic up per record, and a compare of the name or two
    /// costs less than hashing it with SipHash.
    partition_counts: BTreeMap<String, i32>,
    /// Bytes of records appended and not yet taken by the sender (`buffer.memory`).
    queued_bytes: usize,
}

impl Appender {
    /// Chooses the record's partition and adds it to the accumulator, which copies it into
    /// its batch.
    fn append(&mut self, record: &ProducerRecord, seq: u64, count: i32, now: i64) {
        // BEGIN SOLUTION step 9: choose the partition (the record's own, else by key or sticky), append to the accumulator, and move the sticky partition on when a keyless record filled its batch
        // ko: 파티션을 고르고(레코드가 정한 것, 없으면 키나 스티키로) 어큐뮬레이터에 넣은 뒤, 키 없는 레코드가 배치를 채웠으면 스티키 파티션을 옮기세요
        let partition = match record.partition {
            Some(p) => p,
            None => partitioner::choose(
                &mut self.sticky,
                &record.topic,
                record.key.as_deref(),
                count,
            ),
        };
        let pending = PendingRecord {
            seq,
            timestamp_ms: record
                .timestamp_ms
                .unwrap_or_else(crate::client::wall_clock_ms),
            key: record.key.as_deref(),
            value: record.value.as_deref(),
            headers: &record.headers,
        };
        let keyless = pending.key.is_none() && record.partition.is_none();
        let appended = self
            .accumulator
            .append(&record.topic, partition, pending, now);
        // KIP-480: a keyless record filled its partition's batch; the next ones go elsewhere.
        if keyless && (appended.full || appended.closed_previous) {
            self.sticky.on_new_batch(&record.topic, partition, count);
        }
        // END SOLUTION
    }
}

impl Appender {
    /// [`Appender::append`] when the topic's partition count is known and `buffer.memory` has
    /// room for `size` more bytes; `None` (nothing done) otherwise. `Some(wake)`: whether the
    /// sender needs waking.
    fn try_append(
        &mut self,
        record: &ProducerRecord,
        seq: u64,
        size: usize,
        buffer_memory: usize,
        now: i64,
    ) -> Option<bool> {
        let count = *self.partition_counts.get(&record.topic)?;
        if self.queued_bytes + size > buffer_memory {
            return None;
        }
        Some(self.append_counted(record, seq, count, size, now))
    }

    /// Appends the record and counts its `size` in `buffer.memory`; returns whether the sender
    /// needs waking. It sleeps until the earliest linger ends, so only when that moment moved:
    /// a first batch opened (nothing was waiting), or a batch closed and is ready now. A batch
    /// opened while others wait ends its linger after theirs.
    fn append_counted(
        &mut self,
        record: &ProducerRecord,
        seq: u64,
        count: i32,
        size: usize,
        now: i64,
    ) -> bool {
        let idle = self.accumulator.is_empty();
        let closed_before = self.accumulator.has_closed();
        self.append(record, seq, count, now);
        self.queued_bytes += size;
        idle || (!closed_before && self.accumulator.has_closed())
    }
}

/// The bytes a record holds up in `buffer.memory`: its estimated size in a batch.
fn queued_size(record: &ProducerRecord) -> usize {
    PendingRecord {
        seq: 0,
        timestamp_ms: 0,
        key: record.key.as_deref(),
        value: record.value.as_deref(),
        headers: &record.headers,
    }
    .size_estimate()
}

/// What the producer and its sender task both hold.
struct Shared {
    appender: Mutex<Appender>,
    /// Wakes the sender: a batch may be ready, or a first record started a linger.
    wake: Notify,
    /// Wakes a `send` waiting for room in `buffer.memory`.
    room: Notify,
    started: Instant,
    counters: Counters,
}

impl Shared {
    fn now_ms(&self) -> i64 {
        self.started.elapsed().as_millis() as i64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Appender> {
        // A panic while appending leaves the accumulator as it was between two records.
        self.appender.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub struct Producer {
    shared: Arc<Shared>,
    commands: mpsc::Sender<Command>,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    /// For records that fail before they reach a batch (a topic that does not exist).
    failures: mpsc::UnboundedSender<Delivery>,
    next_seq: u64,
    buffer_memory: usize,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Producer {
    pub async fn connect(config: ProducerConfig) -> Result<Producer> {
        if ![-1, 0, 1].contains(&config.acks) {
            return Err(Error::Client(format!(
                "acks={}: use 0, 1 or -1 (all)",
                config.acks
            )));
        }
        let cluster = Cluster::connect(
            &config.bootstrap_servers,
            &config.client_id,
            config.request_timeout,
        )
        .await?;
        let (commands, commands_rx) = mpsc::channel(64);
        let (deliveries_tx, deliveries) = mpsc::unbounded_channel();
        let (frames_tx, frames_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            appender: Mutex::new(Appender {
                accumulator: RecordAccumulator::new(config.batch_size, config.linger_ms),
                sticky: StickyPartitioner::new(config.seed),
                partition_counts: BTreeMap::new(),
                queued_bytes: 0,
            }),
            wake: Notify::new(),
            room: Notify::new(),
            started: Instant::now(),
            counters: Counters::default(),
        });
        let buffer_memory = config.buffer_memory.max(config.batch_size);
        let sender = Sender::new(
            config,
            cluster,
            shared.clone(),
            frames_tx,
            deliveries_tx.clone(),
        );
        let task = tokio::spawn(sender.run(commands_rx, frames_rx));
        Ok(Producer {
            shared,
            commands,
            deliveries,
            failures: deliveries_tx,
            next_seq: 0,
            buffer_memory,
            task,
        })
    }

    /// Appends a record to its partition's batch; returns its sequence number, which its
    /// [`Delivery`] will list. Waits only when `buffer.memory` is full (back-pressure) and,
    /// once per topic, for its partition count.
    pub async fn send(&mut self, record: ProducerRecord) -> Result<u64> {
        self.send_ref(&record).await
    }

    /// [`Producer::send`] of a borrowed record: its bytes are copied into the batch, so the
    /// caller may keep the record and send it again (as `kafka-producer-perf-test` does with
    /// its one payload) without allocating anything per record.
    pub async fn send_ref(&mut self, record: &ProducerRecord) -> Result<u64> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let size = queued_size(record);
        let now = self.shared.now_ms();
        // The common case takes the lock once: the partition count is known and
        // `buffer.memory` has room. Each lock and unlock is an atomic operation the sender
        // may be contending: three per record cost more than the append itself.
        if let Some(wake) =
            self.shared
                .lock()
                .try_append(record, seq, size, self.buffer_memory, now)
        {
            if wake {
                self.shared.wake.notify_one();
            }
            return Ok(seq);
        }
        let count = match self.partition_count(&record.topic).await? {
            Ok(count) => count,
            Err(reason) => {
                let _ = self.failures.send(Delivery {
                    topic: record.topic.clone(),
                    partition: record.partition.unwrap_or(-1),
                    seqs: vec![seq],
                    result: Err(reason),
                });
                return Ok(seq);
            }
        };
        while self.shared.lock().queued_bytes + size > self.buffer_memory {
            if self.task.is_finished() {
                return Err(self.stopped().await);
            }
            // The sender calls `notify_one`, which leaves a permit when nobody waits yet: a
            // wake-up between the check above and this wait is not lost.
            let shared = self.shared.clone();
            shared.room.notified().await;
        }
        let now = self.shared.now_ms();
        let wake = self
            .shared
            .lock()
            .append_counted(record, seq, count, size, now);
        if wake {
            self.shared.wake.notify_one();
        }
        Ok(seq)
    }

    /// The topic's partition count: from the shared table, else asked of the sender (which
    /// refreshes metadata). The inner error is the topic's own (it goes into a Delivery); the
    /// outer one is the producer's (its sender stopped).
    async fn partition_count(&mut self, topic: &str) -> Result<std::result::Result<i32, String>> {
        if let Some(&count) = self.shared.lock().partition_counts.get(topic) {
            return Ok(Ok(count));
        }
        let (tx, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::Partitions(topic.to_string(), tx))
            .await
            .is_err()
        {
            return Err(self.stopped().await);
        }
        match rx.await {
            Ok(answer) => Ok(answer.map_err(|e| e.to_string())),
            Err(_) => Err(self.stopped().await),
        }
    }

    /// What has been sent so far (after [`Producer::flush`]: everything sent).
    pub fn metrics(&self) -> ProducerMetrics {
        let c = &self.shared.counters;
        ProducerMetrics {
            requests: c.requests.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            records: c.records.load(Ordering::Relaxed),
            batch_bytes: c.batch_bytes.load(Ordering::Relaxed),
        }
    }

    /// Deliveries that have arrived, without waiting.
    pub fn deliveries(&mut self) -> Vec<Delivery> {
        let mut out = Vec::new();
        while let Ok(d) = self.deliveries.try_recv() {
            out.push(d);
        }
        out
    }

    /// Waits for the next delivery.
    pub async fn next_delivery(&mut self) -> Option<Delivery> {
        self.deliveries.recv().await
    }

    /// Sends everything queued and waits until every request has its answer.
    pub async fn flush(&mut self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Flush(tx)).await.is_err() || rx.await.is_err() {
            return Err(self.stopped().await);
        }
        Ok(())
    }

    /// Flushes and stops; returns the deliveries not yet taken.
    pub async fn close(mut self) -> Result<Vec<Delivery>> {
        self.flush().await?;
        drop(self.commands);
        // The deliveries end when every sender of them is gone: the sender task's and ours.
        drop(self.failures);
        let mut rest = Vec::new();
        while let Some(d) = self.deliveries.recv().await {
            rest.push(d);
        }
        match self.task.await {
            Ok(result) => result.map(|()| rest),
            Err(e) => Err(Error::Client(format!(
                "the producer's sender task failed: {e}"
            ))),
        }
    }

    async fn stopped(&mut self) -> Error {
        match (&mut self.task).await {
            Ok(Err(e)) => e,
            Ok(Ok(())) => Error::Client("the producer is closed".into()),
            Err(e) => Error::Client(format!("the producer's sender task failed: {e}")),
        }
    }
}
