//! `kafkalab kafka-consumer-perf-test`: Kafka's consumer benchmark, with its flags and its
//! output — a header and one line of totals (or a line per interval with
//! `--show-detailed-stats`):
//!
//! ```text
//! start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
//! 2026-11-25 01:02:03:456, 2026-11-25 01:02:05:789, 95.3674, 40.8741, 1000000, 428595.7993, 0, 2333, 40.8741, 428595.7993
//! ```
//! This tool reads without a consumer group (lab 07), so the rebalance time is 0 and the fetch
//! time is the whole run. MB is 1024 × 1024 bytes of keys and values.

use std::time::{Duration, Instant, SystemTime};

use lab06_topics::client::consumer::{Consumer, ConsumerConfig, StartAt};

use crate::commands::kafka_tools::{block_on, kafka_time};
use crate::error::Error;
use crate::kafka_cli::ConsumerPerfArgs;

const MB: f64 = 1024.0 * 1024.0;
const HEADER: &str = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

fn line(start: SystemTime, end: SystemTime, bytes: u64, records: u64, secs: f64) -> String {
    let mb = bytes as f64 / MB;
    let secs = secs.max(1e-9);
    format!(
        "{}, {}, {:.4}, {:.4}, {}, {:.4}, 0, {}, {:.4}, {:.4}",
        kafka_time(start),
        kafka_time(end),
        mb,
        mb / secs,
        records,
        records as f64 / secs,
        (secs * 1000.0) as u64,
        mb / secs,
        records as f64 / secs
    )
}

pub fn run(args: &ConsumerPerfArgs) -> Result<bool, Error> {
    let bootstrap = args
        .bootstrap_server
        .clone()
        .or_else(|| args.broker_list.clone())
        .expect("clap requires one");
    let config = ConsumerConfig {
        bootstrap_servers: bootstrap,
        client_id: "perf-consumer-client".into(),
        max_partition_fetch_bytes: args.fetch_size,
        fetch_max_wait_ms: 100,
        ..ConsumerConfig::default()
    };
    block_on(async {
        let mut consumer = Consumer::connect(config).await?;
        let partitions = consumer.partitions(&args.topic).await?;
        if partitions.is_empty() {
            return Err(Error::Tool(format!("topic {} does not exist", args.topic)));
        }
        let start_at = if args.from_latest {
            StartAt::Latest
        } else {
            StartAt::Earliest
        };
        for p in partitions {
            consumer.assign(&args.topic, p, start_at).await?;
        }
        if !args.hide_header {
            println!("{HEADER}");
        }
        let (start_wall, start) = (SystemTime::now(), Instant::now());
        let (mut records, mut bytes) = (0u64, 0u64);
        let (mut window_records, mut window_bytes, mut window_start, mut window_wall) =
            (0u64, 0u64, Instant::now(), SystemTime::now());
        let mut last_record = Instant::now();
        let timeout = Duration::from_millis(args.timeout);
        let interval = Duration::from_millis(args.reporting_interval.max(1));
        let mut timed_out = false;
        while records < args.messages {
            // Records are lent, not copied out: only their sizes are counted (a fetch may
            // hold more than `--messages` asks for; those are not counted).
            let wanted = args.messages - records;
            let (mut polled, mut polled_bytes) = (0u64, 0u64);
            let handed = consumer
                .poll_each(|_, _, r| {
                    if polled < wanted {
                        polled += 1;
                        polled_bytes +=
                            (r.key.map_or(0, <[u8]>::len) + r.value.map_or(0, <[u8]>::len)) as u64;
                    }
                })
                .await?;
            if handed == 0 {
                if last_record.elapsed() >= timeout {
                    timed_out = true;
                    break;
                }
                continue;
            }
            last_record = Instant::now();
            (records, bytes) = (records + polled, bytes + polled_bytes);
            (window_records, window_bytes) = (window_records + polled, window_bytes + polled_bytes);
            if args.show_detailed_stats && window_start.elapsed() >= interval {
                let now = SystemTime::now();
                println!(
                    "{}",
                    line(
                        window_wall,
                        now,
                        window_bytes,
                        window_records,
                        window_start.elapsed().as_secs_f64()
                    )
                );
                (window_records, window_bytes, window_start, window_wall) =
                    (0, 0, Instant::now(), now);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        if !args.show_detailed_stats {
            println!(
                "{}",
                line(start_wall, SystemTime::now(), bytes, records, secs)
            );
        } else if window_records > 0 {
            println!(
                "{}",
                line(
                    window_wall,
                    SystemTime::now(),
                    window_bytes,
                    window_records,
                    window_start.elapsed().as_secs_f64()
                )
            );
        }
        if timed_out {
            eprintln!(
                "WARNING: Exiting before consuming the expected number of messages: timeout ({} ms) exceeded. You can use the --timeout option to increase the timeout.",
                args.timeout
            );
        }
        Ok(!timed_out)
    })
}
