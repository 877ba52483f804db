//! `kafkalab zk-bench`: a ZooKeeper load generator. N client sessions each run the same
//! number of operations, one at a time (as a ZooKeeper client waits for each answer), in
//! phases: create, setData, getData, delete. Per phase it prints operations per second and
//! latency percentiles. It speaks the plain protocol, so it measures our coordinator and a
//! real ZooKeeper alike:
//!
//! ```text
//! kafkalab zk-bench --server 127.0.0.1:2181 --clients 8 --ops 2000 --data-size 100
//! kafkalab zk-bench --server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183 --clients 9
//! ```
//!
//! With several servers, client i uses server i mod n, as an application's clients spread
//! over an ensemble: reads are answered by whichever server a client is on, writes travel to
//! the leader and back.

use std::time::Instant;

use lab08_znodes::client::ZkClient;

use crate::commands::kafka_tools::block_on;
use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct ZkBenchArgs {
    /// The server, HOST:PORT, or several, comma-separated: client i uses server i mod n.
    #[arg(long)]
    pub server: String,
    /// Client sessions running at once.
    #[arg(long, default_value = "8")]
    pub clients: usize,
    /// Operations per client and phase.
    #[arg(long, default_value = "1000")]
    pub ops: usize,
    /// Bytes of data per znode.
    #[arg(long, default_value = "100")]
    pub data_size: usize,
}

/// Kafka's percentile rule: the value at index p × n of the sorted latencies.
fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((p * sorted.len() as f64) as usize).min(sorted.len() - 1)] as f64 / 1000.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Create,
    Set,
    Get,
    Delete,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Create, Phase::Set, Phase::Get, Phase::Delete];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Set => "setData",
            Phase::Get => "getData",
            Phase::Delete => "delete",
        }
    }
}

/// What one phase measured; latencies in milliseconds.
#[derive(Debug, Clone)]
pub struct PhaseFigures {
    pub phase: Phase,
    pub ops: usize,
    pub ops_per_sec: f64,
    pub avg_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The servers of a `--server` value, in order.
pub fn server_list(servers: &str) -> Vec<String> {
    servers
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn validate(servers: &[String], clients: usize, ops: usize) -> Result<(), Error> {
    if clients == 0 || ops == 0 {
        return Err(Error::Tool("--clients and --ops must be at least 1".into()));
    }
    if servers.is_empty() {
        return Err(Error::Tool("--server needs at least one HOST:PORT".into()));
    }
    Ok(())
}

pub fn run(args: &ZkBenchArgs) -> Result<bool, Error> {
    let servers = server_list(&args.server);
    validate(&servers, args.clients, args.ops)?;
    block_on(async {
        println!(
            "{} clients x {} ops, {}-byte znodes, against {}",
            args.clients, args.ops, args.data_size, args.server
        );
        println!(
            "{:<8} {:>10} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "phase", "ops", "ops/sec", "avg ms", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        measure(&servers, args.clients, args.ops, args.data_size, |f| {
            println!(
                "{:<8} {:>10} {:>12.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                f.phase.name(),
                f.ops,
                f.ops_per_sec,
                f.avg_ms,
                f.p50_ms,
                f.p95_ms,
                f.p99_ms,
                f.max_ms
            );
        })
        .await?;
        Ok(true)
    })
}

/// Runs the four phases against `servers` (client i on server i mod n) and returns their
/// figures, calling `each` as every phase ends.
pub async fn measure(
    servers: &[String],
    clients: usize,
    ops: usize,
    data_size: usize,
    mut each: impl FnMut(&PhaseFigures),
) -> Result<Vec<PhaseFigures>, Error> {
    validate(servers, clients, ops)?;
    let tool = |e: lab08_znodes::client::ClientError| Error::Tool(e.to_string());
    // The clock too, so that two runs against the same ensemble never share a root.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let root = format!("/zk-bench-{}-{stamp}", std::process::id());
    let mut setup = ZkClient::connect(&servers[0], 30_000).await.map_err(tool)?;
    setup.create(&root, b"", 0).await.map_err(tool)?;
    // Closed now: an idle session would expire during a long run (it sends no pings).
    let _ = setup.close().await;
    let mut sessions = Vec::new();
    for c in 0..clients {
        sessions.push(
            ZkClient::connect(&servers[c % servers.len()], 30_000)
                .await
                .map_err(tool)?,
        );
    }
    // A follower's client may not see a create made through another server yet: `sync`
    // is not in lab 08's client, so every client works on its own znodes only.
    let data = vec![b'z'; data_size];
    let mut figures = Vec::new();
    for phase in Phase::ALL {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (c, mut client) in sessions.drain(..).enumerate() {
            let (root, data) = (root.clone(), data.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(ops);
                for i in 0..ops {
                    let path = format!("{root}/c{c}-{i}");
                    let t = Instant::now();
                    let result = match phase {
                        Phase::Create => client.create(&path, &data, 0).await.map(|_| ()),
                        Phase::Set => client.set(&path, &data, -1).await.map(|_| ()),
                        Phase::Get => client.get(&path).await.map(|_| ()),
                        Phase::Delete => client.delete(&path, -1).await,
                    };
                    result?;
                    latencies.push(t.elapsed().as_micros() as u64);
                }
                Ok::<_, lab08_znodes::client::ClientError>((client, latencies))
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            let (client, latencies) = task
                .await
                .map_err(|e| Error::Tool(format!("a client task failed: {e}")))?
                .map_err(tool)?;
            sessions.push(client);
            all.extend(latencies);
        }
        let secs = start.elapsed().as_secs_f64();
        all.sort_unstable();
        let f = PhaseFigures {
            phase,
            ops: all.len(),
            ops_per_sec: all.len() as f64 / secs,
            avg_ms: all.iter().sum::<u64>() as f64 / all.len().max(1) as f64 / 1000.0,
            p50_ms: percentile(&all, 0.5),
            p95_ms: percentile(&all, 0.95),
            p99_ms: percentile(&all, 0.99),
            max_ms: all.last().copied().unwrap_or(0) as f64 / 1000.0,
        };
        each(&f);
        figures.push(f);
    }
    sessions[0].delete(&root, -1).await.map_err(tool)?;
    for c in sessions {
        let _ = c.close().await;
    }
    Ok(figures)
}
