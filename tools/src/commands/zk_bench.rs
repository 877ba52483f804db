//! `kafkalab zk-bench`: a ZooKeeper load generator. N client sessions each run the same
//! number of operations, one at a time (as a ZooKeeper client waits for each answer), in
//! phases: create, setData, getData, delete. Per phase it prints operations per second and
//! latency percentiles. It speaks the plain protocol, so it measures our coordinator and a
//! real ZooKeeper alike:
//!
//! ```text
//! kafkalab zk-bench --server 127.0.0.1:2181 --clients 8 --ops 2000 --data-size 100
//! ```

use std::time::Instant;

use lab08_znodes::client::ZkClient;

use crate::commands::kafka_tools::block_on;
use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct ZkBenchArgs {
    /// The server, HOST:PORT.
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

#[derive(Clone, Copy)]
enum Phase {
    Create,
    Set,
    Get,
    Delete,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Set => "setData",
            Phase::Get => "getData",
            Phase::Delete => "delete",
        }
    }
}

pub fn run(args: &ZkBenchArgs) -> Result<bool, Error> {
    if args.clients == 0 || args.ops == 0 {
        return Err(Error::Tool("--clients and --ops must be at least 1".into()));
    }
    block_on(async {
        let tool = |e: lab08_znodes::client::ClientError| Error::Tool(e.to_string());
        let root = format!("/zk-bench-{}", std::process::id());
        let mut setup = ZkClient::connect(&args.server, 30_000)
            .await
            .map_err(tool)?;
        setup.create(&root, b"", 0).await.map_err(tool)?;
        let mut clients = Vec::new();
        for _ in 0..args.clients {
            clients.push(
                ZkClient::connect(&args.server, 30_000)
                    .await
                    .map_err(tool)?,
            );
        }
        println!(
            "{} clients x {} ops, {}-byte znodes, against {}",
            args.clients, args.ops, args.data_size, args.server
        );
        println!(
            "{:<8} {:>10} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "phase", "ops", "ops/sec", "avg ms", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        let data = vec![b'z'; args.data_size];
        for phase in [Phase::Create, Phase::Set, Phase::Get, Phase::Delete] {
            let start = Instant::now();
            let mut tasks = Vec::new();
            for (c, mut client) in clients.drain(..).enumerate() {
                let (root, data, ops) = (root.clone(), data.clone(), args.ops);
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
                clients.push(client);
                all.extend(latencies);
            }
            let secs = start.elapsed().as_secs_f64();
            all.sort_unstable();
            let avg = all.iter().sum::<u64>() as f64 / all.len().max(1) as f64 / 1000.0;
            println!(
                "{:<8} {:>10} {:>12.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                phase.name(),
                all.len(),
                all.len() as f64 / secs,
                avg,
                percentile(&all, 0.5),
                percentile(&all, 0.95),
                percentile(&all, 0.99),
                all.last().copied().unwrap_or(0) as f64 / 1000.0
            );
        }
        setup.delete(&root, -1).await.map_err(tool)?;
        for c in clients {
            let _ = c.close().await;
        }
        let _ = setup.close().await;
        Ok(true)
    })
}
