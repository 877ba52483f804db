//! `kafkalab bench`: one command, one run, one table of where the throughput stands — and
//! whose side a slow figure is on.
//!
//! It starts its own broker (and coordinators) from the release build on free loopback ports
//! in a temporary folder, then measures, in this order:
//! 1. raw TCP over 127.0.0.1 — the ceiling every other MB/s is compared with;
//! 2. producing 100-byte records to one partition, acks=1: our `kafka-producer-perf-test` and
//!    librdkafka's `rdkafka_performance`, records/s and delivery latency p50/p99; before each
//!    produce run (not with `--quick`) the page cache is settled (`processes::settle_page_cache`);
//! 3. consuming those records back: our `kafka-consumer-perf-test` and librdkafka, the median
//!    of three runs each;
//! 4. producing 1 KiB records, as a share of the loopback MB/s;
//! 5. end-to-end latency (send → broker → a consumer) at half librdkafka's maximum produce
//!    rate, with librdkafka's latency mode on both ends (it stamps the send time into each
//!    payload);
//! 6. `zk-bench` against our coordinator and Debian's ZooKeeper.
//!
//! Same broker for both clients, same run: if librdkafka is fast where ours is slow, the
//! client is to blame; if both are slow, the broker is. A tool that is not installed leaves
//! its cells `n/a`; `tools/bench/rdkafka-performance.sh build` builds librdkafka's.
//!
//! The figures are saved as JSON (`--json`); `--compare` an earlier file to see each figure's
//! change. `--quick` uses small counts to test the command itself; its figures mean nothing.
//!
//! # Layout
//! - `figures` — rows, the table, the JSON and the deltas (pure).
//! - `parse` — reading each tool's output.
//! - `processes` — starting the servers and running the tools with time limits.

pub mod figures;
pub mod parse;
pub mod processes;
mod runs;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;
use figures::{Report, Row, FORMAT_VERSION};

const MIB: f64 = 1024.0 * 1024.0;

/// How many times each consume measurement runs; the figure is their median.
const CONSUME_RUNS: usize = 3;

/// The median of `runs` runs of `measure`, of those that gave a figure.
fn median_of(runs: usize, mut measure: impl FnMut() -> Option<f64>) -> Option<f64> {
    let mut figures: Vec<f64> = (0..runs).filter_map(|_| measure()).collect();
    figures.sort_by(f64::total_cmp);
    figures.get(figures.len() / 2).copied()
}

/// zk-bench's create and getData operations per second.
type ZkOps = (f64, f64);

/// How much each step does.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    records: u64,
    records_1kib: u64,
    loopback_mib: u64,
    e2e_secs: f64,
    zk_clients: usize,
    zk_ops: usize,
    /// The limit of any one tool run.
    limit: Duration,
    /// Whether to settle the page cache before each produce run (not for `--quick`, whose
    /// figures mean nothing: it tests the command, and needs no cache dropped).
    settle: bool,
}

impl Sizes {
    fn new(quick: bool, records: Option<u64>) -> Sizes {
        let base = if quick {
            Sizes {
                records: 20_000,
                records_1kib: 5_000,
                loopback_mib: 64,
                e2e_secs: 1.0,
                zk_clients: 2,
                zk_ops: 50,
                limit: Duration::from_secs(60),
                settle: false,
            }
        } else {
            Sizes {
                records: 2_000_000,
                records_1kib: 300_000,
                loopback_mib: 2048,
                e2e_secs: 5.0,
                zk_clients: 8,
                zk_ops: 1000,
                limit: Duration::from_secs(300),
                settle: true,
            }
        };
        Sizes {
            records: records.unwrap_or(base.records).max(1),
            ..base
        }
    }
}

/// `kafkalab bench` options.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub quick: bool,
    pub records: Option<u64>,
    pub json: PathBuf,
    pub compare: Option<PathBuf>,
}

/// A folder under the system's temp dir for the servers' data, removed when the run ends.
fn scratch_dir() -> Result<tempfile::TempDir, Error> {
    let dir = tempfile::Builder::new()
        .prefix("kafkalab-bench-")
        .tempdir()
        .map_err(|source| Error::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    for sub in ["broker", "zk-ours", "zk-debian"] {
        std::fs::create_dir_all(dir.path().join(sub)).map_err(|source| Error::Io {
            path: dir.path().join(sub),
            source,
        })?;
    }
    Ok(dir)
}

/// Runs the bench; `Ok(false)` when some figure could not be measured for another reason than
/// a tool that is not installed.
pub fn run(explicit_workspace: Option<&Path>, options: &BenchOptions) -> Result<bool, Error> {
    // Read the earlier file first: a typo in --compare should not cost a whole run.
    let previous = match &options.compare {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            Some(Report::from_json(&text).map_err(|reason| {
                Error::Tool(format!("{} is not a bench JSON: {reason}", path.display()))
            })?)
        }
    };
    let sizes = Sizes::new(options.quick, options.records);
    let started_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let tools = processes::tools_binary(explicit_workspace)?;
    let mut bench = Bench {
        tools,
        rdkafka: processes::rdkafka_performance(),
        sizes,
        dir: scratch_dir()?,
        complete: true,
    };
    if bench.rdkafka.is_none() {
        eprintln!(
            "[bench] librdkafka's rdkafka_performance is not built: its cells stay n/a \
             (tools/bench/rdkafka-performance.sh build, or set {})",
            processes::RDKAFKA_ENV
        );
    }
    let rows = bench.measure()?;
    let report = Report {
        version: FORMAT_VERSION,
        quick: options.quick,
        started_unix_s,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        records: sizes.records,
        rows,
    };
    println!(
        "kafkalab bench{}: {} × 100-byte records, one partition, acks=1, broker and clients on 127.0.0.1, {} CPUs; MB = 1024 × 1024 bytes",
        if options.quick { " --quick (counts too small to mean anything)" } else { "" },
        report.records,
        report.cpus
    );
    println!("{}", figures::table(&report, previous.as_ref()));
    std::fs::write(&options.json, report.to_json() + "\n").map_err(|source| Error::Io {
        path: options.json.clone(),
        source,
    })?;
    println!("saved to {}", options.json.display());
    Ok(bench.complete)
}

struct Bench {
    tools: PathBuf,
    rdkafka: Option<PathBuf>,
    sizes: Sizes,
    dir: tempfile::TempDir,
    /// False once a step failed (not merely a missing tool).
    complete: bool,
}

/// A step's figure, or `None` with the reason printed: one failed step leaves its cells n/a
/// and the others still run.
fn keep<T>(complete: &mut bool, what: &str, result: Result<T, Error>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("[bench] {what}: {e}");
            *complete = false;
            None
        }
    }
}

impl Bench {
    /// Before a produce run: see [`processes::settle_page_cache`].
    fn settle(&self) {
        if self.sizes.settle {
            processes::settle_page_cache();
        }
    }

    fn measure(&mut self) -> Result<Vec<Row>, Error> {
        let s = self.sizes;
        eprintln!("[bench] loopback: {} MiB in 64 KiB writes", s.loopback_mib);
        let loopback = crate::commands::loopback::measure(s.loopback_mib, 65_536)
            .map(|(bytes, secs)| bytes as f64 / MIB / secs);
        let loopback = keep(&mut self.complete, "loopback", loopback);

        let broker = processes::start_broker(&self.tools, &self.dir.path().join("broker"))?;
        let b = broker.address.clone();
        for topic in ["ours-100", "rdk-100", "ours-1k", "rdk-1k", "e2e"] {
            self.tool_ok(&[
                "kafka-topics",
                "--bootstrap-server",
                &b,
                "--create",
                "--topic",
                topic,
                "--partitions",
                "1",
                "--replication-factor",
                "1",
            ])?;
        }

        eprintln!("[bench] produce {} × 100 B, ours", s.records);
        self.settle();
        let ours_100 = self.our_producer(&b, "ours-100", s.records, 100);
        let ours_100 = keep(&mut self.complete, "our producer, 100 B", ours_100);
        eprintln!("[bench] produce {} × 100 B, librdkafka", s.records);
        self.settle();
        let rdk_100 = self.rdk_producer(&b, "rdk-100", s.records, 100);
        // A consume run lasts a fraction of a second: the median of three, each from the
        // start of the same records, so one slow start does not decide the figure.
        eprintln!(
            "[bench] consume {} × 100 B, ours, {CONSUME_RUNS} times",
            s.records
        );
        let ours_consume = median_of(CONSUME_RUNS, || {
            let run = self.our_consumer(&b, "ours-100", s.records);
            keep(&mut self.complete, "our consumer", run)
        });
        eprintln!(
            "[bench] consume {} × 100 B, librdkafka, {CONSUME_RUNS} times",
            s.records
        );
        let rdk_consume = median_of(CONSUME_RUNS, || {
            self.rdk_consumer(&b, "ours-100", s.records)
        });

        eprintln!(
            "[bench] produce {} × 1 KiB, ours and librdkafka",
            s.records_1kib
        );
        self.settle();
        let ours_1k = self.our_producer(&b, "ours-1k", s.records_1kib, 1024);
        let ours_1k = keep(&mut self.complete, "our producer, 1 KiB", ours_1k);
        self.settle();
        let rdk_1k = self.rdk_producer(&b, "rdk-1k", s.records_1kib, 1024);
        let share = |rate: Option<f64>| match (rate, loopback) {
            (Some(rate), Some(loop_mb)) if loop_mb > 0.0 => {
                Some(rate * 1024.0 / MIB / loop_mb * 100.0)
            }
            _ => None,
        };

        // Half of the maximum of the producer that makes the load, librdkafka's: a load a
        // real system runs at. Half of ours would be more than librdkafka can send when ours
        // is the faster, and the figure would be its queue's wait, not the way through.
        let e2e_rate = rdk_100.map(|p| (p.records_per_sec / 2.0).max(1.0));
        let e2e = e2e_rate.and_then(|rate| {
            eprintln!(
                "[bench] end-to-end at {rate:.0} records/s for {} s, librdkafka",
                s.e2e_secs
            );
            self.rdk_end_to_end(&b, "e2e", rate)
        });
        drop(broker);

        let (zk_ours, zk_debian) = self.zookeepers();
        let rate_row = |key: &str, label: &str, ours: Option<f64>, rdk: Option<f64>| {
            Row::new(key, label, "records/s", true)
                .ours(ours)
                .reference(rdk)
        };
        let p =
            |v: Option<parse::ProducerLine>, f: fn(&parse::ProducerLine) -> f64| v.map(|v| f(&v));
        Ok(vec![
            Row::new("loopback_mb_s", "loopback TCP, 64 KiB writes", "MB/s", true).ours(loopback),
            rate_row(
                "produce_100b_rec_s",
                "produce 100 B",
                p(ours_100, |v| v.records_per_sec),
                p(rdk_100, |v| v.records_per_sec),
            ),
            Row::new(
                "produce_100b_p50_ms",
                "produce 100 B, latency p50",
                "ms",
                false,
            )
            .ours(p(ours_100, |v| v.p50_ms))
            .reference(p(rdk_100, |v| v.p50_ms)),
            Row::new(
                "produce_100b_p99_ms",
                "produce 100 B, latency p99",
                "ms",
                false,
            )
            .ours(p(ours_100, |v| v.p99_ms))
            .reference(p(rdk_100, |v| v.p99_ms)),
            rate_row(
                "consume_100b_rec_s",
                "consume 100 B",
                ours_consume,
                rdk_consume,
            ),
            Row::new(
                "produce_1kib_pct_loopback",
                "produce 1 KiB, share of loopback MB/s",
                "%",
                true,
            )
            .ours(share(p(ours_1k, |v| v.records_per_sec)))
            .reference(share(p(rdk_1k, |v| v.records_per_sec))),
            Row::new(
                "e2e_rate_rec_s",
                "end-to-end: load (½ librdkafka's max produce)",
                "records/s",
                true,
            )
            .reference(e2e.map(|_| e2e_rate.unwrap_or_default())),
            Row::new(
                "e2e_p50_ms",
                "end-to-end p50 (librdkafka both ends)",
                "ms",
                false,
            )
            .reference(e2e.map(|e| e.0)),
            Row::new(
                "e2e_p99_ms",
                "end-to-end p99 (librdkafka both ends)",
                "ms",
                false,
            )
            .reference(e2e.map(|e| e.1)),
            Row::new("zk_create_ops_s", "zk-bench create", "ops/s", true)
                .ours(zk_ours.map(|z| z.0))
                .reference(zk_debian.map(|z| z.0)),
            Row::new("zk_get_ops_s", "zk-bench getData", "ops/s", true)
                .ours(zk_ours.map(|z| z.1))
                .reference(zk_debian.map(|z| z.1)),
        ])
    }
}
