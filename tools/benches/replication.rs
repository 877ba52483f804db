//! The replication benchmark of issue 14: three of our brokers on loopback, on our three-server
//! ensemble (or on Debian's ZooKeeper 3.8 with `--zookeeper debian`), in one run:
//! 1. produce rec/s of 100-byte records to one partition, replication factor 3 with `acks=all`
//!    (and `min.insync.replicas=2`) vs replication factor 1 with `acks=1`: with our
//!    `kafka-producer-perf-test`, and with librdkafka (`kcat -P` reading the records from a file);
//! 2. failover time over `--rounds` rounds: a librdkafka producer (`acks=all`, 1,000 records a
//!    second) sends to the replicated partition; the leader gets `kill -9`; the figure is the
//!    time from the kill to the first acknowledgement that arrives after it. Most of it is the
//!    ZooKeeper session timeout (`--session-timeout-ms`): until the dead broker's session
//!    expires, nobody knows it is dead. The controller's own share (expiry → new leader in the
//!    state znode) is printed beside it.
//!
//! It prints figures and asserts nothing. Everything runs in a temporary directory and is
//! stopped at the end.
//!
//! ```text
//! cargo bench -p kafkalab-tools --bench replication -- --records 1000000 --rounds 20
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use common::{
    create_topic, producer_perf, start_cluster, wait_for_state, wait_until, whole_isr, Zk,
};
use kafkalab_testkit::ensemble::{Ensemble, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    Ours,
    Debian,
}

#[derive(Debug, Parser)]
#[command(about = "produce rec/s with RF 3 acks=all vs RF 1 acks=1; failover time after kill -9")]
struct Args {
    /// The ensemble under the brokers.
    #[arg(long, value_enum, default_value = "ours")]
    zookeeper: Which,
    /// Records per producer run.
    #[arg(long, default_value = "1000000")]
    records: u64,
    /// Bytes per record.
    #[arg(long, default_value = "100")]
    record_size: usize,
    /// Leader kills for the failover time.
    #[arg(long, default_value = "20")]
    rounds: usize,
    /// The brokers' `zookeeper.session.timeout.ms`.
    #[arg(long, default_value = "3000")]
    session_timeout_ms: u64,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

const CHROOT: &str = "/replication-bench";

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn main() {
    let args = Args::parse();
    let root = tempfile::tempdir().unwrap();
    let kind = match args.zookeeper {
        Which::Ours => Kind::Ours,
        Which::Debian => Kind::Real,
    };
    let ensemble = Ensemble::start(&root.path().join("zk"), &[kind; 3]);
    ensemble.wait_leader(Duration::from_secs(120));
    let zookeeper = ensemble.hosts();
    // min.insync.replicas in server.properties, as `kafkalab cluster` installs it (these
    // brokers do not take it as a topic setting in CreateTopics).
    let extra = format!(
        "zookeeper.session.timeout.ms={}\nmin.insync.replicas=2\n",
        args.session_timeout_ms
    );
    let mut brokers = start_cluster(root.path(), &zookeeper, CHROOT, &[1, 2, 3], &extra);
    let bootstrap = brokers
        .values()
        .map(common::Broker::address)
        .collect::<Vec<_>>()
        .join(",");
    let first_zk = zookeeper.split(',').next().unwrap().to_string();
    let mut zk = Zk::connect(&first_zk, CHROOT);
    wait_until("a controller", 60, || zk.controller().ok_or("none".into()));
    println!(
        "three brokers on {zookeeper} ({:?}); {} records of {} bytes; load average {}",
        args.zookeeper,
        args.records,
        args.record_size,
        load_average()
    );
    create_topic(&bootstrap, "rf1", &["--replication-factor", "1"]);
    create_topic(&bootstrap, "rf3", &["--replication-factor", "3"]);
    whole_isr(&mut zk, "rf3", &brokers, 30).unwrap_or_else(|why| panic!("{why}"));

    let mut figures: Vec<(String, String)> = Vec::new();
    // 1. Throughput, our tool then librdkafka.
    let records_file = root.path().join("records.txt");
    write_records(&records_file, args.records, args.record_size);
    for (topic, acks) in [("rf1", "1"), ("rf3", "all")] {
        let (line, rate) = producer_perf(&bootstrap, topic, acks, args.records, args.record_size);
        println!("kafka-producer-perf-test {topic} acks={acks}: {line}");
        figures.push((
            format!(
                "kafka-producer-perf-test rec/s, RF {} acks={acks}",
                &topic[2..]
            ),
            format!("{rate:.0}"),
        ));
    }
    if kafkalab_testkit::tool("kcat", "apt-get install kcat") {
        for (topic, acks) in [("rf1", "1"), ("rf3", "all")] {
            let rate = kcat_rate(&bootstrap, topic, acks, &records_file, args.records);
            figures.push((
                format!("librdkafka (kcat -P) rec/s, RF {} acks={acks}", &topic[2..]),
                format!("{rate:.0}"),
            ));
        }
    }

    // 2. Failover under a librdkafka producer.
    let acks_file = root.path().join("acks.txt");
    let stop = root.path().join("stop");
    let mut producer = Command::new("python3")
        .arg(kafkalab_testkit::repo().join("tools/tests/cluster_kill_leader.py"))
        .args([
            "produce", &bootstrap, "rf3", "false", "10000000", "900", "1000",
        ])
        .arg(&stop)
        .arg(&acks_file)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 with confluent-kafka");
    wait_until("the producer's acknowledgements file", 30, || {
        std::fs::metadata(&acks_file)
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    let mut tail = AckTail::open(&acks_file);
    wait_until("the first acknowledgement", 30, || {
        tail.first_after(0.0).ok_or("none".into())
    });
    let mut failovers = Vec::new();
    let mut elections = Vec::new();
    let mut stuck = None;
    for round in 1..=args.rounds {
        // A broker that does not come back into the ISR ends the rounds: the next kill would
        // leave fewer than min.insync.replicas.
        let before = match whole_isr(&mut zk, "rf3", &brokers, 60) {
            Ok(state) => state,
            Err(why) => {
                stuck = Some(format!("before kill {round}, the ISR stayed short {why}"));
                break;
            }
        };
        std::thread::sleep(Duration::from_millis(500));
        let victim = before.leader;
        // A leader that is the controller too costs a controller election first.
        let was_controller = zk.controller() == Some(victim);
        brokers.get_mut(&victim).unwrap().kill();
        let killed = now();
        wait_for_state(&mut zk, "rf3", 0, 60, |s| {
            s.leader > 0 && s.leader != victim
        });
        elections.push(now() - killed);
        let acked = wait_until("an acknowledgement after the kill", 120, || {
            match tail.first_after(killed) {
                Some(t) => Ok(t),
                None => Err("none yet".into()),
            }
        });
        failovers.push(acked - killed);
        brokers.get_mut(&victim).unwrap().restart();
        println!(
            "round {round}: killed {victim}{}; new leader in ZooKeeper after {:.2}s, first ack after {:.2}s",
            if was_controller {
                " (the controller)"
            } else {
                ""
            },
            elections.last().unwrap(),
            failovers.last().unwrap()
        );
    }
    let _ = std::fs::write(&stop, b"");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && matches!(producer.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = producer.kill();
    let _ = producer.wait();

    for (name, values) in [
        ("kill -9 → first acknowledged produce", &mut failovers),
        ("kill -9 → new leader in ZooKeeper", &mut elections),
    ] {
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        figures.push((
            format!("{name}, p50 / p99 of {}", values.len()),
            format!(
                "{:.2} s / {:.2} s",
                percentile(values, 0.50),
                percentile(values, 0.99)
            ),
        ));
    }
    if let Some(why) = &stuck {
        println!("\n{why}");
    }
    println!("\nload average at the end: {}", load_average());
    println!(
        "\nzookeeper.session.timeout.ms={} ({:?} ensemble)\n\n| figure | value |\n|---|---|",
        args.session_timeout_ms, args.zookeeper
    );
    for (name, value) in &figures {
        println!("| {name} | {value} |");
    }
    drop(brokers);
}

/// `records` lines of `size - 1` bytes and a newline: kcat -P makes each line a record of
/// `size - 1` bytes, close enough to the perf tool's `size`.
fn write_records(path: &Path, records: u64, size: usize) {
    let line = format!("{}\n", "x".repeat(size.saturating_sub(1)));
    let mut text = String::with_capacity(line.len() * records as usize);
    for _ in 0..records {
        text.push_str(&line);
    }
    std::fs::write(path, text).unwrap();
}

/// librdkafka's rate: kcat -P from `file`, timed from start to exit (every record acknowledged:
/// kcat waits for all delivery reports before it exits).
fn kcat_rate(bootstrap: &str, topic: &str, acks: &str, file: &Path, records: u64) -> f64 {
    let before = end_offset(bootstrap, topic);
    let started = Instant::now();
    let out = Command::new("timeout")
        .args(["300", "kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "0"])
        .args(["-X", &format!("acks={acks}"), "-X", "linger.ms=5"])
        .args(["-X", "queue.buffering.max.messages=1000000"])
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .expect("kcat");
    let took = started.elapsed().as_secs_f64();
    let rate = records as f64 / took;
    let landed = end_offset(bootstrap, topic) - before;
    println!(
        "kcat -P {topic} acks={acks}: {records} records in {took:.2}s = {rate:.0} rec/s; \
         the partition grew by {landed} records ({}) {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    rate
}

/// The end offset of partition 0 as a consumer sees it: the last record's offset + 1.
fn end_offset(bootstrap: &str, topic: &str) -> i64 {
    let out = Command::new("timeout")
        .args(["30", "kcat", "-C", "-b", bootstrap, "-t", topic, "-p", "0"])
        .args(["-o", "-1", "-c", "1", "-e", "-q", "-f", "%o\\n"])
        .output()
        .expect("kcat");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse::<i64>()
        .map_or(0, |last| last + 1)
}

/// The producer's acknowledgements file (`NUMBER OFFSET UNIX_TIME` lines, in order of
/// arrival), read as it grows: rereading it whole at every poll would cost the brokers CPU.
struct AckTail {
    file: std::fs::File,
    partial: String,
    last: Option<f64>,
}

impl AckTail {
    fn open(path: &Path) -> AckTail {
        AckTail {
            file: std::fs::File::open(path).expect("the producer's acknowledgements file"),
            partial: String::new(),
            last: None,
        }
    }

    /// The arrival time of the first acknowledgement after `after` among the lines written
    /// since the last call (lines before it are skipped).
    fn first_after(&mut self, after: f64) -> Option<f64> {
        use std::io::Read;
        let _ = self.file.read_to_string(&mut self.partial);
        let complete = self.partial.rfind('\n').map_or(0, |i| i + 1);
        let lines: String = self.partial.drain(..complete).collect();
        let mut found = None;
        for t in lines
            .lines()
            .filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok())
        {
            self.last = Some(t);
            if found.is_none() && t > after {
                found = Some(t);
            }
        }
        found
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
