//! The ensemble benchmark of issue 12: three of our servers and three of Debian's ZooKeeper
//! 3.8, on loopback with fsync on, in the same run. For each it
//! 1. runs `zk-bench` with the clients spread over the three servers (client i on server
//!    i mod 3): ops/s and latency for create, setData, getData, delete;
//! 2. `kill -9`s the leader, `--rounds` times, and measures how long until a write is
//!    acknowledged again (a new session and a create on a survivor), restarting the killed
//!    server between rounds;
//!
//! then prints one table with the issue's targets: at least twice ZooKeeper's write and read
//! throughput, at most half its p99. It prints figures and asserts nothing (timings depend on
//! the machine). Everything runs in a temporary directory and is killed at the end.
//!
//! ```text
//! cargo bench -p kafkalab-tools --bench zk_ensemble -- --servers both --clients 9 --ops 1000 --rounds 10
//! ```

use std::time::{Duration, Instant};

use clap::Parser;
use kafkalab_testkit::ensemble::{Ensemble, Kind};
use kafkalab_tools::commands::zk_bench::{measure, Phase, PhaseFigures};
use lab08_znodes::client::ZkClient;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    Ours,
    Debian,
    Both,
}

#[derive(Debug, Parser)]
#[command(about = "zk-bench and leader failover: three of ours vs three of ZooKeeper 3.8")]
struct Args {
    /// Which ensembles to measure.
    #[arg(long, value_enum, default_value = "both")]
    servers: Which,
    /// Client sessions, spread over the three servers.
    #[arg(long, default_value = "9")]
    clients: usize,
    /// Operations per client and phase.
    #[arg(long, default_value = "1000")]
    ops: usize,
    /// Bytes of data per znode.
    #[arg(long, default_value = "100")]
    data_size: usize,
    /// Leader kills measured per ensemble.
    #[arg(long, default_value = "10")]
    rounds: usize,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What one ensemble measured.
struct Results {
    name: &'static str,
    phases: Vec<PhaseFigures>,
    failover: Vec<Duration>,
}

/// How long one step may take before the benchmark gives up (a JVM starts in seconds).
const LIMIT: Duration = Duration::from_secs(90);

fn main() {
    let args = Args::parse();
    if args.clients == 0 || args.ops == 0 {
        eprintln!("--clients and --ops must be at least 1");
        std::process::exit(2);
    }
    let kinds: Vec<(Kind, &'static str)> = match args.servers {
        Which::Ours => vec![(Kind::Ours, "ours")],
        Which::Debian => vec![(Kind::Real, "zookeeper")],
        Which::Both => vec![(Kind::Real, "zookeeper"), (Kind::Ours, "ours")],
    };
    if kinds.iter().any(|(k, _)| *k == Kind::Real)
        && !(std::path::Path::new("/usr/share/zookeeper/bin/zkCli.sh").exists()
            && std::process::Command::new("java")
                .arg("-version")
                .output()
                .is_ok())
    {
        eprintln!("Debian's ZooKeeper 3.8 and java are needed: apt-get install zookeeper");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    println!(
        "{} clients x {} ops, {}-byte znodes; {} failover rounds; tickTime {} ms; load average {}",
        args.clients,
        args.ops,
        args.data_size,
        args.rounds,
        kafkalab_testkit::ensemble::TICK_MS,
        load_average()
    );
    if kinds.iter().any(|(k, _)| *k == Kind::Ours) {
        println!("ours: {}", kafkalab_testkit::tools_bin().display());
    }
    let mut all = Vec::new();
    for (kind, name) in kinds {
        all.push(bench_one(&runtime, &args, kind, name));
    }
    println!("\nload average at the end: {}", load_average());
    summary(&all);
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn bench_one(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    kind: Kind,
    name: &'static str,
) -> Results {
    let dir = tempfile::tempdir().expect("a temporary directory");
    println!("\n== {name}: three servers in {}", dir.path().display());
    // ZooKeeper's default snapCount, so that both measure the write path, not snapshots.
    let mut ensemble = Ensemble::start_with_snap_count(dir.path(), &[kind; 3], 100_000);
    wait_formed(&ensemble);
    let servers: Vec<String> = ensemble.members.iter().map(|m| m.address()).collect();

    // A first, shorter pass warms up both sides (the JVM's JIT, our allocator), uncounted.
    let warm = (args.ops / 5).max(1);
    runtime
        .block_on(measure(
            &servers,
            args.clients,
            warm,
            args.data_size,
            |_| {},
        ))
        .unwrap_or_else(|e| panic!("{name}: warm-up failed: {e}"));
    println!(
        "{:<8} {:>8} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "phase", "ops", "ops/sec", "avg ms", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let phases = runtime
        .block_on(measure(
            &servers,
            args.clients,
            args.ops,
            args.data_size,
            |f| {
                println!(
                    "{:<8} {:>8} {:>10.1} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
                    f.phase.name(),
                    f.ops,
                    f.ops_per_sec,
                    f.avg_ms,
                    f.p50_ms,
                    f.p95_ms,
                    f.p99_ms,
                    f.max_ms
                )
            },
        ))
        .unwrap_or_else(|e| panic!("{name}: zk-bench failed: {e}"));

    let mut failover = Vec::new();
    for round in 1..=args.rounds {
        let leader = ensemble.wait_leader(LIMIT);
        let survivors: Vec<String> = (0..3)
            .filter(|i| *i != leader)
            .map(|i| ensemble.members[i].address())
            .collect();
        let killed_at = Instant::now();
        ensemble.members[leader].kill();
        let acked = runtime.block_on(first_write(&survivors, killed_at, round));
        match acked {
            Some(d) => {
                println!(
                    "round {round:>2}: kill -9 of server.{}, first write acknowledged after {:.0} ms",
                    leader + 1,
                    d.as_secs_f64() * 1000.0
                );
                failover.push(d);
            }
            None => println!(
                "round {round:>2}: kill -9 of server.{}, no write acknowledged within {LIMIT:?}",
                leader + 1
            ),
        }
        ensemble.members[leader].restart();
        wait_formed(&ensemble);
    }
    failover.sort();
    if let Some((min, median, max)) = spread(&failover) {
        println!("failover: min {min:.0} ms, median {median:.0} ms, max {max:.0} ms");
    }
    drop(ensemble);
    Results {
        name,
        phases,
        failover,
    }
}

/// Waits (bounded) until one member leads and two follow: the ensemble is whole again.
fn wait_formed(ensemble: &Ensemble) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let modes: Vec<String> = ensemble
            .members
            .iter()
            .map(|m| m.mode().unwrap_or_default())
            .collect();
        let leaders = modes.iter().filter(|m| *m == "leader").count();
        let followers = modes.iter().filter(|m| *m == "follower").count();
        if leaders == 1 && followers == 2 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the ensemble did not form within {LIMIT:?}: {}",
            ensemble.describe()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The time from `killed_at` until a survivor acknowledges a create. Each survivor gets a
/// fresh attempt (new session, one create) every 50 ms, each bounded by 5 s, so that a
/// connection a server holds while it elects never hides when it starts serving again.
async fn first_write(survivors: &[String], killed_at: Instant, round: usize) -> Option<Duration> {
    let (found, mut acked) = tokio::sync::mpsc::unbounded_channel();
    let mut attempts = tokio::task::JoinSet::new();
    let deadline = killed_at + LIMIT;
    let mut n = 0u64;
    loop {
        for addr in survivors {
            n += 1;
            let (addr, found) = (addr.clone(), found.clone());
            let path = format!("/failover-{}-{round}-{n}", std::process::id());
            attempts.spawn(async move {
                let attempt = async {
                    let mut client = ZkClient::connect(&addr, 4_000).await.ok()?;
                    client.create(&path, b"", 0).await.ok()?;
                    let at = killed_at.elapsed();
                    let _ = client.close().await;
                    Some(at)
                };
                if let Ok(Some(at)) = tokio::time::timeout(Duration::from_secs(5), attempt).await {
                    let _ = found.send(at);
                }
            });
        }
        match tokio::time::timeout(Duration::from_millis(50), acked.recv()).await {
            Ok(Some(at)) => {
                attempts.abort_all();
                return Some(at);
            }
            _ if Instant::now() > deadline => {
                attempts.abort_all();
                return None;
            }
            _ => {}
        }
        // Finished attempts are reaped so that the set stays small.
        while attempts.try_join_next().is_some() {}
    }
}

/// Min, median and max in milliseconds of sorted durations.
fn spread(sorted: &[Duration]) -> Option<(f64, f64, f64)> {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    Some((
        ms(sorted.first()?),
        ms(&sorted[sorted.len() / 2]),
        ms(sorted.last()?),
    ))
}

fn summary(all: &[Results]) {
    println!("\n== summary (ops/s higher is better, ms lower is better)");
    let names: Vec<&str> = all.iter().map(|r| r.name).collect();
    let mut header = format!("{:<18}", "");
    for n in &names {
        header.push_str(&format!(" {n:>11}"));
    }
    let compare = all.len() == 2;
    if compare {
        header.push_str(&format!(" {:>8} {:>18}", "ratio", "target"));
    }
    println!("{header}");
    for phase in Phase::ALL {
        // `target`: Some(true) for throughput (ours at least 2x), Some(false) for p99 (ours at
        // most half), None for a figure the issue sets no target for.
        let row = |label: &str, value: fn(&PhaseFigures) -> f64, target: Option<bool>| {
            let values: Vec<f64> = all
                .iter()
                .map(|r| {
                    r.phases
                        .iter()
                        .find(|f| f.phase == phase)
                        .map(value)
                        .unwrap_or(f64::NAN)
                })
                .collect();
            let mut line = format!("{:<18}", format!("{} {label}", phase.name()));
            for v in &values {
                line.push_str(&format!(" {v:>11.1}"));
            }
            if compare {
                // values[0] is ZooKeeper, values[1] ours.
                let ratio = values[1] / values[0];
                line.push_str(&format!(" {ratio:>7.2}x"));
                let goal = match target {
                    Some(true) => Some(("ours >= 2x", ratio >= 2.0)),
                    Some(false) => Some(("ours <= 0.5x", ratio <= 0.5)),
                    None => None,
                };
                if let Some((goal, met)) = goal {
                    let verdict = if met { "met" } else { "NOT met" };
                    line.push_str(&format!(" {:>18}", format!("{goal} {verdict}")));
                }
            }
            println!("{line}");
        };
        row("ops/s", |f| f.ops_per_sec, Some(true));
        row("p50 ms", |f| f.p50_ms, None);
        row("p99 ms", |f| f.p99_ms, Some(false));
    }
    for (label, pick) in [
        ("failover min ms", 0usize),
        ("failover med ms", 1),
        ("failover max ms", 2),
    ] {
        let mut line = format!("{label:<18}");
        for r in all {
            let v = spread(&r.failover)
                .map(|s| [s.0, s.1, s.2][pick])
                .unwrap_or(f64::NAN);
            line.push_str(&format!(" {v:>11.0}"));
        }
        println!("{line}");
    }
    let mut line = format!("{:<18}", "failover rounds");
    for r in all {
        line.push_str(&format!(" {:>11}", r.failover.len()));
    }
    println!("{line}");
}
