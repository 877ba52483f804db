//! Each tool's run and the figures read from its output: our producer and consumer, librdkafka's
//! `rdkafka_performance` in its three modes, and `zk-bench`. A tool that is not installed gives
//! `None` (its cells stay n/a); one that fails marks the run incomplete.

use std::process::Command;
use std::time::Duration;

use super::{keep, parse, processes, Bench, ZkOps};
use crate::error::Error;
use processes::{run_limited, Finished};

impl Bench {
    fn tool(&self, args: &[&str]) -> Result<Finished, Error> {
        let mut command = Command::new(&self.tools);
        command.args(args);
        run_limited(command, self.sizes.limit)
    }

    pub(super) fn tool_ok(&self, args: &[&str]) -> Result<Finished, Error> {
        let done = self.tool(args)?;
        if !done.success {
            return Err(Error::Tool(format!(
                "`kafkalab-tools {}` failed: {}{}",
                args.join(" "),
                done.stdout,
                done.stderr
            )));
        }
        Ok(done)
    }

    pub(super) fn our_producer(
        &self,
        broker: &str,
        topic: &str,
        records: u64,
        size: usize,
    ) -> Result<parse::ProducerLine, Error> {
        let bootstrap = format!("bootstrap.servers={broker}");
        let done = self.tool_ok(&[
            "kafka-producer-perf-test",
            "--topic",
            topic,
            "--num-records",
            &records.to_string(),
            "--record-size",
            &size.to_string(),
            "--throughput",
            "-1",
            "--seed",
            "1",
            "--producer-props",
            &bootstrap,
            "acks=1",
        ])?;
        parse::producer_perf(&done.stdout)
            .ok_or_else(|| Error::Tool(format!("no totals line in: {}", done.stdout)))
    }

    pub(super) fn our_consumer(
        &self,
        broker: &str,
        topic: &str,
        records: u64,
    ) -> Result<f64, Error> {
        let done = self.tool_ok(&[
            "kafka-consumer-perf-test",
            "--bootstrap-server",
            broker,
            "--topic",
            topic,
            "--messages",
            &records.to_string(),
            "--timeout",
            "10000",
        ])?;
        parse::consumer_perf(&done.stdout)
            .ok_or_else(|| Error::Tool(format!("no totals line in: {}", done.stdout)))
    }

    /// librdkafka's step, or `None`: not installed (said once at the start), or failed (said
    /// here, and the run marked incomplete).
    fn rdk(&mut self, what: &str, args: &[&str]) -> Option<Finished> {
        let bin = self.rdkafka.as_ref()?;
        let mut command = Command::new(bin);
        command.args(args);
        let done = run_limited(command, self.sizes.limit).and_then(|d| {
            if d.success {
                Ok(d)
            } else {
                Err(Error::Tool(format!(
                    "exited with an error: {}{}",
                    d.stdout, d.stderr
                )))
            }
        });
        keep(&mut self.complete, what, done)
    }

    pub(super) fn rdk_producer(
        &mut self,
        broker: &str,
        topic: &str,
        records: u64,
        size: usize,
    ) -> Option<parse::ProducerLine> {
        let latencies = self.dir.path().join(format!("{topic}.latency"));
        let (n, s, lat) = (
            records.to_string(),
            size.to_string(),
            latencies.display().to_string(),
        );
        // -l -A: each record's delivery latency, in µs, one a line.
        let done = self.rdk(
            "librdkafka producer",
            &[
                "-P", "-t", topic, "-p", "0", "-b", broker, "-s", &s, "-c", &n, "-a", "1", "-l",
                "-A", &lat,
            ],
        )?;
        let rate = parse::rdkafka_rate(&done.stdout);
        let sorted = parse::latencies_us(&std::fs::read_to_string(&latencies).unwrap_or_default());
        let ms = |p| parse::percentile(&sorted, p).map(|us| us as f64 / 1000.0);
        Some(parse::ProducerLine {
            records_per_sec: rate?,
            p50_ms: ms(0.5)?,
            p99_ms: ms(0.99)?,
        })
    }

    pub(super) fn rdk_consumer(&mut self, broker: &str, topic: &str, records: u64) -> Option<f64> {
        let args = rdk_consumer_args(broker, topic, records);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let done = self.rdk("librdkafka consumer", &args)?;
        parse::rdkafka_rate(&done.stdout)
    }

    /// p50 and p99 in ms of send → consumed, with librdkafka's producer throttled to `rate`.
    /// The consumer starts first on the empty topic and reads from its beginning, so it sees
    /// every record however long it takes to join.
    pub(super) fn rdk_end_to_end(
        &mut self,
        broker: &str,
        topic: &str,
        rate: f64,
    ) -> Option<(f64, f64)> {
        let bin = self.rdkafka.clone()?;
        let records = ((rate * self.sizes.e2e_secs) as u64).max(1);
        let latencies = self.dir.path().join("e2e.latency");
        let n = records.to_string();
        let mut consumer = Command::new(&bin);
        consumer
            .args(rdk_consumer_args(broker, topic, records))
            .arg("-l")
            .arg("-A")
            .arg(&latencies);
        let limit = self.sizes.limit;
        let consumer = std::thread::spawn(move || run_limited(consumer, limit));
        std::thread::sleep(Duration::from_secs(1));
        let r = format!("{}", rate.round() as u64);
        self.rdk(
            "librdkafka end-to-end producer",
            &[
                "-P", "-l", "-t", topic, "-p", "0", "-b", broker, "-s", "100", "-c", &n, "-a", "1",
                "-r", &r,
            ],
        )?;
        let consumed = consumer
            .join()
            .unwrap_or_else(|_| Err(Error::Tool("the consumer thread panicked".into())));
        keep(
            &mut self.complete,
            "librdkafka end-to-end consumer",
            consumed,
        )?;
        let sorted = parse::latencies_us(&std::fs::read_to_string(&latencies).unwrap_or_default());
        let ms = |p| parse::percentile(&sorted, p).map(|us| us as f64 / 1000.0);
        Some((ms(0.5)?, ms(0.99)?))
    }

    /// zk-bench's create and getData ops/s against our coordinator and Debian's ZooKeeper.
    pub(super) fn zookeepers(&mut self) -> (Option<ZkOps>, Option<ZkOps>) {
        let ours = processes::start_our_zookeeper(&self.tools, &self.dir.path().join("zk-ours"));
        let ours = keep(&mut self.complete, "our coordinator", ours)
            .and_then(|server| self.zk_bench("ours", &server.address));
        let debian = processes::start_debian_zookeeper(&self.dir.path().join("zk-debian"));
        let debian = match keep(&mut self.complete, "Debian's ZooKeeper", debian) {
            Some(Some(server)) => self.zk_bench("Debian's ZooKeeper", &server.address),
            Some(None) => {
                eprintln!(
                    "[bench] Debian's ZooKeeper (java, /usr/share/zookeeper) is not installed: n/a"
                );
                None
            }
            None => None,
        };
        (ours, debian)
    }

    fn zk_bench(&mut self, who: &str, server: &str) -> Option<ZkOps> {
        eprintln!("[bench] zk-bench, {who}");
        let (clients, ops) = (
            self.sizes.zk_clients.to_string(),
            self.sizes.zk_ops.to_string(),
        );
        let done = self.tool_ok(&[
            "zk-bench",
            "--server",
            server,
            "--clients",
            &clients,
            "--ops",
            &ops,
        ]);
        let done = keep(&mut self.complete, &format!("zk-bench, {who}"), done)?;
        Some((
            parse::zk_bench_ops(&done.stdout, "create")?,
            parse::zk_bench_ops(&done.stdout, "getData")?,
        ))
    }
}

/// librdkafka's consumer reading `records` records of partition 0 from the beginning.
fn rdk_consumer_args(broker: &str, topic: &str, records: u64) -> Vec<String> {
    let n = records.to_string();
    [
        "-C",
        "-t",
        topic,
        "-p",
        "0",
        "-b",
        broker,
        "-o",
        "beginning",
        "-c",
        &n,
    ]
    .map(String::from)
    .to_vec()
}
