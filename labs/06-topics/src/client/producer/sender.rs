//! The producer's sender task: it takes the batches that are ready from the accumulator, seals
//! them (header, compression, CRC) and writes Produce requests to each partition's leader,
//! keeping up to `max.in.flight` requests per connection without waiting, then matches each
//! answer to its batches and reports their outcome. Retries resend the same sealed bytes.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Command, Compression, Delivery, ProducerConfig, Shared};
use crate::accumulator::{ProducerBatch, BATCH_OVERHEAD};
use crate::client::cluster::Cluster;
use crate::client::connection::{error_name, BrokerConnection};
use crate::error::{Error, Result};

/// A batch on its way, encoded once (a retry sends the same bytes): what to report when its
/// answer comes.
struct Sent {
    topic: String,
    partition: i32,
    seqs: Vec<u64>,
    records: Bytes,
    attempts: u32,
    /// What its records hold up in `buffer.memory` until the batch is written to a socket
    /// (0 once it was: a retry holds nothing more).
    queued: usize,
}

/// Seals a batch whose records `send` already wrote: the header, the compression asked for
/// and the CRC (Kafka's `MemoryRecordsBuilder.close`, which its sender also calls).
fn encode(batch: ProducerBatch, compression: Compression) -> Result<Sent> {
    let codec = match compression {
        Compression::None => lab01_record_batch::Compression::None,
        Compression::Gzip => lab01_record_batch::Compression::Gzip,
        Compression::Snappy => lab01_record_batch::Compression::Snappy,
        Compression::Lz4 => lab01_record_batch::Compression::Lz4,
        Compression::Zstd => lab01_record_batch::Compression::Zstd,
    };
    Ok(Sent {
        topic: batch.topic,
        partition: batch.partition,
        seqs: batch.seqs,
        records: batch.records.build(codec)?,
        attempts: 0,
        // What `send` counted: each record's estimate, the batch header not included.
        queued: batch.size - BATCH_OVERHEAD,
    })
}

/// Sealed batches waiting for a request to one leader. Kafka's sender puts at most one batch of
/// each partition in a request (`RecordAccumulator.drainBatchesForOneNode`), and a broker holds
/// it to that: it reads a request's partitions into a map, so a second entry for a partition
/// would replace the first (Kafka 2.6's `ProduceRequest`), and from Produce v3 a partition's
/// records must be exactly one batch. So the batches wait here by partition, and the partitions
/// take turns: a request starts with the partition the last one could not take (Kafka's
/// `drainIndex`), so none waits behind the others.
#[derive(Default)]
struct NodeQueue {
    /// Each partition's waiting batches, oldest first (never an empty queue).
    batches: HashMap<(String, i32), VecDeque<Sent>>,
    /// The partitions with batches waiting, in turn.
    turn: VecDeque<(String, i32)>,
}

impl NodeQueue {
    fn push(&mut self, sent: Sent) {
        let key = (sent.topic.clone(), sent.partition);
        let queue = self.batches.entry(key.clone()).or_default();
        if queue.is_empty() {
            self.turn.push_back(key);
        }
        queue.push_back(sent);
    }

    fn is_empty(&self) -> bool {
        self.turn.is_empty()
    }

    /// The batches of the next request: the oldest batch of each partition in turn, while they
    /// fit in `max_bytes` (`max.request.size`), and at least one.
    fn next_request(&mut self, max_bytes: usize) -> Vec<Sent> {
        let mut batches = Vec::new();
        let mut bytes = 0;
        for _ in 0..self.turn.len() {
            let Some(key) = self.turn.pop_front() else {
                break;
            };
            let Some(queue) = self.batches.get_mut(&key) else {
                continue;
            };
            let size = queue.front().map_or(0, |s| s.records.len());
            if !batches.is_empty() && bytes + size > max_bytes {
                // It goes first in the next request.
                self.turn.push_front(key);
                break;
            }
            bytes += size;
            batches.extend(queue.pop_front());
            if queue.is_empty() {
                self.batches.remove(&key);
            } else {
                self.turn.push_back(key);
            }
        }
        batches
    }
}

struct Connection {
    connection: BrokerConnection,
    /// One entry per Produce request in flight: the batches it carries.
    in_flight: VecDeque<Vec<Sent>>,
}

pub(super) struct Sender {
    config: ProducerConfig,
    cluster: Cluster,
    shared: Arc<Shared>,
    connections: HashMap<String, Connection>,
    frames_tx: mpsc::UnboundedSender<(String, std::io::Result<Bytes>)>,
    deliveries: mpsc::UnboundedSender<Delivery>,
    /// Batches to send again after a metadata refresh (their leader may have moved): they
    /// go first in the next round.
    retry: VecDeque<Sent>,
    /// Sealed batches by their leader's `host:port`, waiting for a request to it: Kafka's
    /// sender drains per node, so a leader with `max.in.flight` requests out keeps its
    /// batches here while the others' go.
    pending: HashMap<String, NodeQueue>,
}

/// `max.request.size`: the most batch bytes one Produce request carries.
const MAX_REQUEST_BYTES: usize = 1 << 20;

impl Sender {
    pub(super) fn new(
        config: ProducerConfig,
        cluster: Cluster,
        shared: Arc<Shared>,
        frames_tx: mpsc::UnboundedSender<(String, std::io::Result<Bytes>)>,
        deliveries: mpsc::UnboundedSender<Delivery>,
    ) -> Sender {
        Sender {
            config,
            cluster,
            shared,
            connections: HashMap::new(),
            frames_tx,
            deliveries,
            retry: VecDeque::new(),
            pending: HashMap::new(),
        }
    }

    pub(super) async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut frames: mpsc::UnboundedReceiver<(String, std::io::Result<Bytes>)>,
    ) -> Result<()> {
        let mut flush_waiters: Vec<oneshot::Sender<()>> = Vec::new();
        let mut open = true;
        loop {
            let flushing = !flush_waiters.is_empty() || !open;
            self.send_ready(flushing).await?;
            let in_flight: usize = self.connections.values().map(|c| c.in_flight.len()).sum();
            let (empty, deadline) = {
                let appender = self.shared.lock();
                (
                    appender.accumulator.is_empty(),
                    appender.accumulator.next_deadline_ms(),
                )
            };
            // What is left pending waits for its leader's next answer (it is busy).
            let empty = empty && self.pending.values().all(NodeQueue::is_empty);
            if flushing && in_flight == 0 && empty && self.retry.is_empty() {
                for w in flush_waiters.drain(..) {
                    let _ = w.send(());
                }
                if !open {
                    return Ok(());
                }
            }
            let deadline =
                deadline.map(|ms| self.shared.started + Duration::from_millis(ms.max(0) as u64));
            // With max.in.flight requests out on every connection, only an answer can let the
            // next batch go.
            let busy = self.all_busy();
            tokio::select! {
                command = commands.recv(), if open => match command {
                    Some(Command::Partitions(topic, answer)) => {
                        let count = self.partition_count(&topic).await;
                        let _ = answer.send(count);
                    }
                    Some(Command::Flush(done)) => flush_waiters.push(done),
                    None => open = false,
                },
                Some((addr, frame)) = frames.recv(), if in_flight > 0 => {
                    self.on_answer(&addr, frame).await?;
                }
                _ = self.shared.wake.notified(), if !busy => {}
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() && !flushing && !busy => {}
            }
        }
    }

    /// The topic's partition count from metadata, also written where `send` looks first.
    async fn partition_count(&mut self, topic: &str) -> Result<i32> {
        let count = self.cluster.partitions(topic, true).await?.len() as i32;
        self.shared
            .lock()
            .partition_counts
            .insert(topic.to_string(), count);
        Ok(count)
    }

    fn fail(&self, sent: Sent, reason: String) {
        let _ = self.deliveries.send(Delivery {
            topic: sent.topic,
            partition: sent.partition,
            seqs: sent.seqs,
            result: Err(reason),
        });
    }

    /// Whether this leader's connection has `max.in.flight` requests out.
    fn is_busy(&self, addr: &str) -> bool {
        self.connections
            .get(addr)
            .is_some_and(|c| c.in_flight.len() >= self.config.max_in_flight)
    }

    /// Whether every connection has `max.in.flight` requests out (and there is one).
    fn all_busy(&self) -> bool {
        !self.connections.is_empty()
            && self
                .connections
                .values()
                .all(|c| c.in_flight.len() >= self.config.max_in_flight)
    }

    /// Takes the ready batches (all of them when flushing) and sends them: to each leader, while
    /// it has fewer than `max.in.flight` requests out, requests of one batch per partition and
    /// at most `max.request.size`.
    async fn send_ready(&mut self, flushing: bool) -> Result<()> {
        let now = self.shared.now_ms();
        if self.all_busy() && !flushing {
            // Wait for an answer first: at most max.in.flight requests per connection.
            return Ok(());
        }
        let ready = {
            let mut appender = self.shared.lock();
            if flushing {
                appender.accumulator.drain_all()
            } else {
                appender.accumulator.ready(now)
            }
        };
        // Sealed here, outside the lock, so `send` can go on appending meanwhile; then queued
        // by leader, retries before the new batches.
        let mut sealed: Vec<Sent> = self.retry.drain(..).collect();
        for batch in ready {
            sealed.push(encode(batch, self.config.compression)?);
        }
        for sent in sealed {
            match self.cluster.leader_addr(&sent.topic, sent.partition).await {
                Ok(addr) => self.pending.entry(addr).or_default().push(sent),
                Err(e) => self.fail(sent, e.to_string()),
            }
        }
        // Kafka's sender drains each node on its own (`RecordAccumulator.drain`): a leader
        // with `max.in.flight` requests out must not hold up the others (with 1,000 partitions
        // over three brokers, a global limit left two connections idle while the third
        // waited), and each request to a leader carries one batch of each of its partitions
        // that have one waiting (see `NodeQueue`). Flushing sends everything, but still keeps
        // to `max.in.flight`: the answers let the rest go.
        let addrs: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, queue)| !queue.is_empty())
            .map(|(addr, _)| addr.clone())
            .collect();
        for addr in addrs {
            while !self.is_busy(&addr) {
                let Some(queue) = self.pending.get_mut(&addr) else {
                    break;
                };
                let batches = queue.next_request(MAX_REQUEST_BYTES);
                if batches.is_empty() {
                    break;
                }
                self.send_to(&addr, batches).await?;
            }
        }
        Ok(())
    }

    async fn send_to(&mut self, addr: &str, mut batches: Vec<Sent>) -> Result<()> {
        if !self.connections.contains_key(addr) {
            let mut connection = self.cluster.take_connection(addr).await?;
            connection.spawn_reader(addr.to_string(), self.frames_tx.clone());
            self.connections.insert(
                addr.to_string(),
                Connection {
                    connection,
                    in_flight: VecDeque::new(),
                },
            );
        }
        let mut topics: Vec<TopicProduceData> = Vec::new();
        for sent in &batches {
            let data = PartitionProduceData::default()
                .with_index(sent.partition)
                .with_records(Some(sent.records.clone()));
            match topics.iter_mut().find(|t| t.name.0.as_str() == sent.topic) {
                Some(t) => t.partition_data.push(data),
                None => topics.push(
                    TopicProduceData::default()
                        .with_name(TopicName(StrBytes::from_string(sent.topic.clone())))
                        .with_partition_data(vec![data]),
                ),
            }
        }
        let request = ProduceRequest::default()
            .with_acks(self.config.acks)
            .with_timeout_ms(self.config.request_timeout.as_millis() as i32)
            .with_topic_data(topics);
        // The records leave `buffer.memory` once their batch is written: a `send` waiting for
        // room may go on.
        let queued: usize = batches
            .iter_mut()
            .map(|b| std::mem::take(&mut b.queued))
            .sum();
        if queued > 0 {
            let mut appender = self.shared.lock();
            appender.queued_bytes = appender.queued_bytes.saturating_sub(queued);
            drop(appender);
            self.shared.room.notify_one();
        }
        let c = &self.shared.counters;
        c.requests.fetch_add(1, Ordering::Relaxed);
        c.batches.fetch_add(batches.len() as u64, Ordering::Relaxed);
        c.records.fetch_add(
            batches.iter().map(|b| b.seqs.len() as u64).sum(),
            Ordering::Relaxed,
        );
        c.batch_bytes.fetch_add(
            batches.iter().map(|b| b.records.len() as u64).sum(),
            Ordering::Relaxed,
        );
        let connection = self.connections.get_mut(addr).expect("opened above");
        if self.config.acks == 0 {
            connection.connection.send_no_answer(&request).await?;
            for sent in batches {
                let _ = self.deliveries.send(Delivery {
                    topic: sent.topic,
                    partition: sent.partition,
                    seqs: sent.seqs,
                    result: Ok(-1),
                });
            }
        } else {
            connection.connection.send(&request).await?;
            connection.in_flight.push_back(batches);
        }
        Ok(())
    }

    /// A Produce answer from `addr`: report each batch, or queue it again if the error is one a
    /// metadata refresh can fix.
    async fn on_answer(&mut self, addr: &str, frame: std::io::Result<Bytes>) -> Result<()> {
        let Some(connection) = self.connections.get_mut(addr) else {
            return Ok(());
        };
        let frame = frame.map_err(|e| Error::Wire {
            addr: addr.to_string(),
            reason: e.to_string(),
        })?;
        let (_, response) = connection.connection.decode::<ProduceResponse>(frame)?;
        let batches = connection.in_flight.pop_front().unwrap_or_default();
        // A request carries one batch of each partition (`NodeQueue`), so each batch has the
        // one answer for its partition.
        let mut refresh = false;
        for mut sent in batches {
            let answer = response
                .responses
                .iter()
                .filter(|t| t.name.0.as_str() == sent.topic)
                .flat_map(|t| t.partition_responses.iter())
                .find(|p| p.index == sent.partition);
            let Some(answer) = answer else {
                self.fail(sent, "the broker's answer left this partition out".into());
                continue;
            };
            let code = answer.error_code;
            // Retriable: UNKNOWN_TOPIC_OR_PARTITION (a topic being created), LEADER_NOT_AVAILABLE,
            // NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT.
            if [3, 5, 6, 7].contains(&code) && sent.attempts < self.config.retries {
                sent.attempts += 1;
                refresh = true;
                self.retry.push_back(sent);
                continue;
            }
            let result = if code == 0 {
                Ok(answer.base_offset)
            } else {
                let message = answer
                    .error_message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                Err(format!("{} ({code}){message}", error_name(code)))
            };
            let _ = self.deliveries.send(Delivery {
                topic: sent.topic,
                partition: sent.partition,
                seqs: sent.seqs,
                result,
            });
        }
        if refresh {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let topics: Vec<String> = self.retry.iter().map(|s| s.topic.clone()).collect();
            self.cluster.refresh(Some(&topics), true).await?;
            for topic in topics {
                // A topic may have grown partitions: `send` should see the new count.
                let _ = self.partition_count(&topic).await;
            }
        }
        Ok(())
    }
}
