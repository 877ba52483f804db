//! `kafkalab kafka-producer-perf-test`: Kafka's producer benchmark, with its flags and its
//! output. Every 5 seconds a window line, at the end the total with latency percentiles:
//!
//! ```text
//! 1000000 records sent, 412371.134021 records/sec (39.33 MB/sec), 10.37 ms avg latency, 152.00 ms max latency, 9 ms 50th, 21 ms 95th, 35 ms 99th, 140 ms 99.9th.
//! ```
//! A record's latency is from `send` to the broker's acknowledgement of its batch, as in
//! Kafka's tool (the callback time). MB is 1024 × 1024 bytes.

use std::time::{Duration, Instant};

use lab06_topics::client::producer::{
    compression_by_name, Delivery, Producer, ProducerConfig, ProducerMetrics, ProducerRecord,
};

use crate::commands::kafka_tools::{acks, block_on, properties};
use crate::error::Error;
use crate::kafka_cli::ProducerPerfArgs;

const MB: f64 = 1024.0 * 1024.0;
const WINDOW: Duration = Duration::from_secs(5);

/// Latencies and bytes of one reporting window or of the whole run.
#[derive(Default)]
struct Stats {
    records: u64,
    bytes: u64,
    latency_sum_ms: f64,
    latency_max_ms: f64,
}

impl Stats {
    fn add(&mut self, latency_ms: f64, bytes: u64) {
        self.records += 1;
        self.bytes += bytes;
        self.latency_sum_ms += latency_ms;
        self.latency_max_ms = self.latency_max_ms.max(latency_ms);
    }

    fn avg(&self) -> f64 {
        if self.records == 0 {
            0.0
        } else {
            self.latency_sum_ms / self.records as f64
        }
    }
}

/// Kafka's percentile: the value at index `(p × n)` of the sorted latencies, in whole ms.
fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((p * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

pub fn run(args: &ProducerPerfArgs) -> Result<bool, Error> {
    let props = properties(
        &args.producer_props,
        &[
            "bootstrap.servers",
            "acks",
            "batch.size",
            "linger.ms",
            "compression.type",
            "client.id",
            "max.in.flight.requests.per.connection",
            "buffer.memory",
        ],
        "--producer-props",
    );
    let bootstrap = props
        .get("bootstrap.servers")
        .cloned()
        .ok_or_else(|| Error::Tool("give --producer-props bootstrap.servers=HOST:PORT".into()))?;
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let num = |key: &str, default: u64| -> Result<u64, Error> {
        props.get(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| Error::Tool(format!("{key}={v}: not a number")))
        })
    };
    let config = ProducerConfig {
        bootstrap_servers: bootstrap,
        client_id: props
            .get("client.id")
            .cloned()
            .unwrap_or_else(|| "perf-producer-client".into()),
        acks: acks(props.get("acks").map_or("-1", String::as_str))?,
        batch_size: num("batch.size", 16_384)? as usize,
        linger_ms: num("linger.ms", 5)? as i64,
        max_in_flight: num("max.in.flight.requests.per.connection", 5)?.max(1) as usize,
        compression: compression_by_name(
            props.get("compression.type").map_or("none", String::as_str),
        )?,
        buffer_memory: num("buffer.memory", 32 << 20)? as usize,
        seed,
        ..ProducerConfig::default()
    };
    if args.num_records == 0 {
        return Err(Error::Tool("--num-records must be at least 1".into()));
    }
    eprintln!("[kafkalab] seed {seed} (--seed {seed} repeats this payload and partitioning)");
    // Random uppercase letters, as Kafka's tool fills its payload.
    let mut rng = fastrand::Rng::with_seed(seed);
    let payload: Vec<u8> = (0..args.record_size).map(|_| rng.u8(b'A'..=b'Z')).collect();
    let (n, size, throughput) = (args.num_records, args.record_size as u64, args.throughput);
    let record = ProducerRecord {
        topic: args.topic.clone(),
        value: Some(payload),
        ..ProducerRecord::default()
    };
    block_on(async move {
        let mut producer = Producer::connect(config).await?;
        let start = Instant::now();
        // Send time of each record, in µs since start, indexed by its sequence number.
        let mut sent_at: Vec<u64> = Vec::with_capacity(n as usize);
        let mut latencies: Vec<u32> = Vec::with_capacity(n as usize);
        let (mut total, mut window) = (Stats::default(), Stats::default());
        let mut window_start = Instant::now();
        let mut errors = 0u64;
        let mut first_error = None;
        let mut on_delivery = |d: Delivery,
                               sent_at: &[u64],
                               total: &mut Stats,
                               window: &mut Stats,
                               latencies: &mut Vec<u32>| {
            let now_us = start.elapsed().as_micros() as u64;
            if let Err(e) = &d.result {
                errors += d.seqs.len() as u64;
                first_error.get_or_insert_with(|| e.clone());
                return;
            }
            for seq in d.seqs {
                let latency_ms = (now_us - sent_at[seq as usize]) as f64 / 1000.0;
                total.add(latency_ms, size);
                window.add(latency_ms, size);
                latencies.push(latency_ms as u32);
            }
        };
        for i in 0..n {
            if throughput > 0.0 {
                // Throttle: stay at or under --throughput records per second.
                let due = Duration::from_secs_f64(i as f64 / throughput);
                if let Some(wait) = due.checked_sub(start.elapsed()) {
                    tokio::time::sleep(wait).await;
                }
            }
            sent_at.push(start.elapsed().as_micros() as u64);
            // One record sent again and again: `send_ref` copies it into its batch, so nothing
            // is allocated per record here either (Kafka's tool reuses its payload array too).
            producer.send_ref(&record).await?;
            if i % 1024 == 0 {
                for d in producer.deliveries() {
                    on_delivery(d, &sent_at, &mut total, &mut window, &mut latencies);
                }
                if window_start.elapsed() >= WINDOW {
                    print_window(&window, window_start.elapsed());
                    window = Stats::default();
                    window_start = Instant::now();
                }
            }
        }
        producer.flush().await?;
        let metrics = producer.metrics();
        for d in producer.close().await? {
            on_delivery(d, &sent_at, &mut total, &mut window, &mut latencies);
        }
        let elapsed = start.elapsed().as_secs_f64();
        latencies.sort_unstable();
        let rate = total.records as f64 / elapsed;
        println!(
            "{} records sent, {:.6} records/sec ({:.2} MB/sec), {:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
            total.records,
            rate,
            total.bytes as f64 / MB / elapsed,
            total.avg(),
            total.latency_max_ms,
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.95),
            percentile(&latencies, 0.99),
            percentile(&latencies, 0.999),
        );
        if args.print_metrics {
            print_metrics(&metrics, elapsed);
        }
        if errors > 0 {
            eprintln!(
                "ERROR: {errors} records were not written; the first error: {}",
                first_error.unwrap_or_default()
            );
        }
        Ok(errors == 0)
    })
}

/// Kafka's `--print-metrics` lines for what tells how well records were batched, in its
/// `group:name:{tags}  : value` layout.
fn print_metrics(m: &ProducerMetrics, elapsed_secs: f64) {
    let per = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let lines = [
        ("batch-size-avg", per(m.batch_bytes, m.batches)),
        ("batches-per-request-avg", per(m.batches, m.requests)),
        ("record-send-total", m.records as f64),
        ("records-per-request-avg", per(m.records, m.requests)),
        ("request-rate", m.requests as f64 / elapsed_secs),
        ("request-total", m.requests as f64),
    ];
    println!();
    for (name, value) in lines {
        println!("producer-metrics:{name:<26}: {value:.3}");
    }
}

fn print_window(w: &Stats, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    println!(
        "{} records sent, {:.1} records/sec ({:.2} MB/sec), {:.1} ms avg latency, {:.1} ms max latency.",
        w.records,
        w.records as f64 / secs,
        w.bytes as f64 / MB / secs,
        w.avg(),
        w.latency_max_ms
    );
}
