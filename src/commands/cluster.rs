//! `kafkalab cluster up|status|stop|start|kill|down|logs`: the slides' cluster on this machine.
//! See `crate::cluster` for how it is put together.
//!
//! Names: `zk1`…`zk3` are the ZooKeeper servers (by myid), `broker1`… the brokers (by
//! broker.id); a host name of the topology means every server on that host, so in the study
//! topology `kill kafka02` takes down zk2 and broker2 at once, as a VM going down would.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::cluster::plan::{Flavor, MAX_BROKERS, PORT_BLOCK};
use crate::cluster::state::Cluster;
use crate::cluster::up::Asked;
use crate::cluster::{self as c, canonical, logs, partitions, stop, up, Observed};
use crate::error::Error;
use crate::lang::Lang;

#[derive(Debug, Args)]
pub struct DirArg {
    /// The cluster folder: configs, data, logs and pid files of every server.
    #[arg(long, value_name = "DIR", default_value = "cluster")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Write every server's config, start 3 ZooKeeper servers and the brokers in the
    /// background, wait until all serve, and show them.
    Up {
        #[command(flatten)]
        dir: DirArg,
        /// How many brokers (1-10). Default 3, or what the cluster in DIR was made with.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_BROKERS as i64))]
        brokers: Option<u32>,
        /// Which ZooKeeper: ours (labs 08-10) or debian (Debian's ZooKeeper 3.8, on Java).
        #[arg(long, value_enum)]
        zookeeper: Option<Flavor>,
        /// Whose install: study (the slides' kafka01..03, ZooKeeper and Kafka on each) or book
        /// (peter-zk01..03 and peter-kafka01..03).
        #[arg(long)]
        topology: Option<String>,
        /// Use the ports PORT..PORT+40 (ZooKeeper clients PORT.., quorum PORT+10.., election
        /// PORT+20.., brokers PORT+30..) instead of 2181.., 2888.., 3888.., 9092...
        #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1024..=(u16::MAX - PORT_BLOCK) as i64))]
        base_port: Option<u16>,
        /// How long to wait for every server to serve, in seconds.
        #[arg(long, value_name = "SECS", default_value = "90")]
        timeout: u64,
    },
    /// Every server: host, role (ZooKeeper leader or follower, broker), address, state, pid.
    Status {
        #[command(flatten)]
        dir: DirArg,
        /// Refresh the table until Ctrl-C (or --count tables).
        #[arg(long)]
        watch: bool,
        /// Seconds between two tables of --watch.
        #[arg(long, value_name = "SECS", default_value = "2")]
        interval: u64,
        /// With --watch: stop after this many tables.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Stop servers gently (SIGTERM: they flush and close, as `systemctl stop` does).
    Stop {
        /// A server (zk2, broker2) or a host (kafka02: every server on it).
        name: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Start stopped servers again, on their data.
    Start {
        /// A server (zk2, broker2) or a host (kafka02: every server on it).
        name: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Kill servers at once (SIGKILL: nothing flushed, as a power cut).
    Kill {
        /// A server (zk2, broker2) or a host (kafka02: every server on it).
        name: String,
        #[command(flatten)]
        dir: DirArg,
    },
    /// Stop every server; their data stays for the next `cluster up`.
    Down {
        #[command(flatten)]
        dir: DirArg,
        /// Also delete the cluster folder's configs, data and logs.
        #[arg(long)]
        purge: bool,
    },
    /// Print a server's log.
    Logs {
        /// A server (zk2, broker2), or a host (every server on it).
        name: String,
        #[command(flatten)]
        dir: DirArg,
        /// Keep printing what the server writes until Ctrl-C.
        #[arg(short, long)]
        follow: bool,
    },
}

pub fn run(workspace: Option<&Path>, command: &ClusterCommand, lang: Lang) -> Result<bool, Error> {
    match command {
        ClusterCommand::Up {
            dir,
            brokers,
            zookeeper,
            topology,
            base_port,
            timeout,
        } => {
            let asked = Asked {
                brokers: *brokers,
                zookeeper: *zookeeper,
                topology: topology.clone(),
                base_port: *base_port,
            };
            up::up(
                workspace,
                &dir.dir,
                &asked,
                Duration::from_secs(*timeout),
                lang,
            )
        }
        ClusterCommand::Status {
            dir,
            watch,
            interval,
            count,
        } => status(&dir.dir, *watch, *interval, *count, lang),
        ClusterCommand::Stop { name, dir } => stop::signal_servers(&dir.dir, name, "TERM", lang),
        ClusterCommand::Kill { name, dir } => stop::signal_servers(&dir.dir, name, "KILL", lang),
        ClusterCommand::Start { name, dir } => up::start(workspace, &dir.dir, name, lang),
        ClusterCommand::Down { dir, purge } => stop::down(&dir.dir, *purge, lang),
        ClusterCommand::Logs { name, dir, follow } => logs::logs(&dir.dir, name, *follow),
    }
}

fn status(
    dir: &Path,
    watch: bool,
    interval: u64,
    count: Option<u64>,
    lang: Lang,
) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    if !watch {
        let observed = c::observe(&cluster);
        print_status(&cluster, &observed, lang);
        println!("{}", c::summary(&cluster, lang));
        return Ok(true);
    }
    let tty = std::io::stdout().is_terminal();
    let mut shown = 0u64;
    loop {
        let observed = c::observe(&cluster);
        if tty {
            // Clear the screen and go home, as `watch` does.
            print!("\x1b[2J\x1b[H");
        }
        match lang {
            Lang::En => println!(
                "{} · every {interval}s · Ctrl-C to stop",
                leader_line(&observed, lang)
            ),
            Lang::Ko => println!(
                "{} · {interval}초마다 · Ctrl-C로 멈춤",
                leader_line(&observed, lang)
            ),
        }
        print_status(&cluster, &observed, lang);
        let _ = std::io::stdout().flush();
        shown += 1;
        if count.is_some_and(|n| shown >= n) {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_secs(interval.max(1)));
    }
}

/// The servers' table, then what ZooKeeper says: the controller and every partition's leader,
/// replicas and ISR (or why that cannot be read now).
pub fn print_status(cluster: &Cluster, observed: &[Observed], lang: Lang) {
    let view = partitions::read(cluster);
    println!("{}", c::table(observed, view.as_ref().ok(), lang));
    match &view {
        Ok(view) => {
            println!("{}", partitions::headline(view, lang));
            if view.topics.is_empty() {
                println!(
                    "{}",
                    lang.pick(
                        "No topics yet: `kafkalab kafka-topics --create` or a producer makes one.",
                        "아직 토픽이 없습니다: `kafkalab kafka-topics --create`나 프로듀서가 만듭니다."
                    )
                );
            } else {
                println!("{}", partitions::table(view, lang));
            }
        }
        Err(why) => match lang {
            Lang::En => println!("Partitions: cannot read them from ZooKeeper now ({why})"),
            Lang::Ko => println!("파티션: 지금은 주키퍼에서 읽을 수 없습니다({why})"),
        },
    }
}

/// `ZooKeeper leader: zk2`, or that there is none now.
fn leader_line(observed: &[Observed], lang: Lang) -> String {
    let leaders: Vec<&str> = observed
        .iter()
        .filter(|o| o.is_leader())
        .map(|o| o.server.name.as_str())
        .collect();
    match leaders.as_slice() {
        [] => lang
            .pick(
                "ZooKeeper leader: none (electing, or no quorum)",
                "주키퍼 리더: 없음(선출 중이거나 쿼럼 없음)",
            )
            .into(),
        names => format!(
            "{}: {}",
            lang.pick("ZooKeeper leader", "주키퍼 리더"),
            names.join(", ")
        ),
    }
}
