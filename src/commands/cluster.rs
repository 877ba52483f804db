//! `kafkalab cluster up|status|stop|start|kill|down|logs`: the slides' cluster on this machine.
//! See `crate::cluster` for how it is put together.
//!
//! Names: `zk1`…`zk3` are the ZooKeeper servers (by myid), `broker1`… the brokers (by
//! broker.id); a host name of the topology means every server on that host, so in the study
//! topology `kill kafka02` takes down zk2 and broker2 at once, as a VM going down would.

use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use crate::cluster::launch::Launcher;
use crate::cluster::plan::{self, Flavor, Kind, Options, Server, MAX_BROKERS, PORT_BLOCK};
use crate::cluster::state::Cluster;
use crate::cluster::{self as c, probe, process, Observed};
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

/// How long a stopped server may take to flush and exit before `down` kills it.
const STOP_LIMIT: Duration = Duration::from_secs(15);
/// How long `start` waits for a server to answer.
const START_LIMIT: Duration = Duration::from_secs(60);

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
            up(
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
        ClusterCommand::Stop { name, dir } => signal_servers(&dir.dir, name, "TERM", lang),
        ClusterCommand::Kill { name, dir } => signal_servers(&dir.dir, name, "KILL", lang),
        ClusterCommand::Start { name, dir } => start(workspace, &dir.dir, name, lang),
        ClusterCommand::Down { dir, purge } => down(&dir.dir, *purge, lang),
        ClusterCommand::Logs { name, dir, follow } => logs(&dir.dir, name, *follow),
    }
}

/// The options given on the command line; the rest come from the saved cluster or defaults.
struct Asked {
    brokers: Option<u32>,
    zookeeper: Option<Flavor>,
    topology: Option<String>,
    base_port: Option<u16>,
}

impl Asked {
    /// The options to use: what was asked, else what `saved` was made with, else the defaults.
    /// Asking for other options than a saved cluster's is an error: its data belongs to those.
    fn resolve(&self, saved: Option<&Options>, dir: &Path) -> Result<Options, Error> {
        let Some(saved) = saved else {
            return Ok(Options {
                topology: self.topology.clone().unwrap_or_else(|| "study".into()),
                brokers: self.brokers.unwrap_or(3),
                zookeeper: self.zookeeper.unwrap_or(Flavor::Ours),
                base_port: self.base_port,
            });
        };
        let options = Options {
            topology: self
                .topology
                .clone()
                .unwrap_or_else(|| saved.topology.clone()),
            brokers: self.brokers.unwrap_or(saved.brokers),
            zookeeper: self.zookeeper.unwrap_or(saved.zookeeper),
            base_port: self.base_port.or(saved.base_port),
        };
        if &options != saved {
            return Err(Error::Cluster(format!(
                "{} holds a cluster made with {}; `kafkalab cluster up --dir {}` starts it again, \
                 or remove it first with `kafkalab cluster down --purge --dir {}`, or use another --dir",
                dir.display(),
                describe(saved),
                dir.display(),
                dir.display()
            )));
        }
        Ok(options)
    }
}

fn describe(o: &Options) -> String {
    let zk = match o.zookeeper {
        Flavor::Ours => "ours",
        Flavor::Debian => "debian",
    };
    let mut text = format!(
        "--topology {} --brokers {} --zookeeper {zk}",
        o.topology, o.brokers
    );
    if let Some(port) = o.base_port {
        text.push_str(&format!(" --base-port {port}"));
    }
    text
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `dir`, absolute with symlinks resolved, so every command names the same config paths (the
/// pid check compares them with the servers' command lines). It must exist.
fn canonical(dir: &Path) -> Result<PathBuf, Error> {
    dir.canonicalize().map_err(|_| {
        Error::Cluster(format!(
            "there is no cluster in {}: start one with `kafkalab cluster up --dir {}`",
            dir.display(),
            dir.display()
        ))
    })
}

fn up(
    workspace: Option<&Path>,
    dir: &Path,
    asked: &Asked,
    limit: Duration,
    lang: Lang,
) -> Result<bool, Error> {
    let existed = dir.exists();
    let result = up_in(workspace, dir, asked, limit, lang);
    if result.is_err() && !existed {
        // A folder made for nothing goes again; one with logs to read stays.
        let _ = std::fs::remove_dir(dir);
    }
    result
}

fn up_in(
    workspace: Option<&Path>,
    dir: &Path,
    asked: &Asked,
    limit: Duration,
    lang: Lang,
) -> Result<bool, Error> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let dir = canonical(dir)?;
    let saved = Cluster::load(&dir)?;
    if let Some(saved) = &saved {
        let running: Vec<String> = saved
            .servers
            .iter()
            .filter_map(|s| saved.pid(s).map(|pid| format!("{} (pid {pid})", s.name)))
            .collect();
        if !running.is_empty() {
            return Err(Error::Cluster(format!(
                "a cluster is already up in {}: {} run. `kafkalab cluster status --dir {}` shows \
                 it; `kafkalab cluster down --dir {}` stops it",
                dir.display(),
                running.join(", "),
                dir.display(),
                dir.display()
            )));
        }
    }
    let options = asked.resolve(saved.as_ref().map(|s| &s.options), &dir)?;
    let topology = c::load_topology(workspace, &options.topology)?;
    let planned = plan::plan(&topology, &options, &dir).map_err(Error::Cluster)?;
    check_ports(planned.iter().map(|p| &p.server))?;

    let cluster = Cluster {
        dir: dir.clone(),
        options: options.clone(),
        servers: planned.iter().map(|p| p.server.clone()).collect(),
    };
    // Everything that can fail before a process starts: Java for Debian's ZooKeeper, building
    // kafkalab-tools.
    let mut launcher = Launcher::new(workspace);
    let mut commands = Vec::new();
    for p in &planned {
        commands.push(launcher.command(
            &p.server,
            &cluster.config_path(&p.server),
            options.zookeeper,
        )?);
    }
    for p in &planned {
        let folder = cluster.folder(&p.server);
        let data = folder.join(plan::data_folder(p.server.kind));
        std::fs::create_dir_all(&data).map_err(io(&data))?;
        let config = cluster.config_path(&p.server);
        std::fs::write(&config, &p.config_text).map_err(io(&config))?;
        if let Some(myid) = &p.myid {
            let path = data.join("myid");
            std::fs::write(&path, myid).map_err(io(&path))?;
        }
    }
    cluster.save()?;

    let zookeepers = cluster
        .servers
        .iter()
        .filter(|s| s.kind == Kind::Zookeeper)
        .count();
    let (brokers, topology, shown) = (options.brokers, &options.topology, dir.display());
    match lang {
        Lang::En => println!(
            "Starting {zookeepers} ZooKeeper servers and {brokers} brokers (topology {topology}) in {shown}"
        ),
        Lang::Ko => println!(
            "주키퍼 서버 {zookeepers}대와 브로커 {brokers}대를 띄웁니다(토폴로지 {topology}, 폴더 {shown})"
        ),
    }
    let mut children = Vec::new();
    for (p, command) in planned.iter().zip(commands) {
        match process::spawn(command, &cluster.folder(&p.server), &p.server.name) {
            Ok(child) => children.push((p.server.clone(), child)),
            Err(e) => {
                stop_started(&cluster, &mut children);
                return Err(e);
            }
        }
    }
    if let Err(e) = wait_healthy(&cluster, &mut children, limit, lang) {
        stop_started(&cluster, &mut children);
        return Err(e);
    }
    let observed = c::observe(&cluster);
    println!("{}", c::table(&observed, lang));
    println!("{}", c::summary(&cluster, lang));
    let first_broker = cluster
        .servers
        .iter()
        .find(|s| s.kind == Kind::Broker)
        .map(Server::address)
        .unwrap_or_default();
    let shown_dir = if dir == canonical(Path::new("cluster")).unwrap_or_default() {
        String::new()
    } else {
        format!(" --dir {}", dir.display())
    };
    match lang {
        Lang::En => println!(
            "Next: `kcat -b {first_broker} -L`, `kafkalab cluster status{shown_dir}`, \
             `kafkalab cluster kill zk1{shown_dir}` (then status again: a new leader), \
             `kafkalab cluster down{shown_dir}`."
        ),
        Lang::Ko => println!(
            "다음: `kcat -b {first_broker} -L`, `kafkalab cluster status{shown_dir}`, \
             `kafkalab cluster kill zk1{shown_dir}`(그리고 다시 status: 새 리더), \
             `kafkalab cluster down{shown_dir}`."
        ),
    }
    Ok(true)
}

/// A port any server needs that another process holds: the error names it and its server.
fn check_ports<'a>(servers: impl Iterator<Item = &'a Server>) -> Result<(), Error> {
    for server in servers {
        for (port, what) in server.ports() {
            if !probe::port_free(port) {
                return Err(Error::Cluster(format!(
                    "port {port} ({}'s {what}) is in use by another process: stop it (`ss -ltnp \
                     'sport = :{port}'` shows which), or give the cluster other ports with \
                     `--base-port PORT`",
                    server.name
                )));
            }
        }
    }
    Ok(())
}

/// Waits until every started server is healthy, showing which are still awaited. A server
/// that exits meanwhile ends the wait with the end of its log.
fn wait_healthy(
    cluster: &Cluster,
    children: &mut [(Server, Child)],
    limit: Duration,
    lang: Lang,
) -> Result<(), Error> {
    let started = Instant::now();
    let tty = std::io::stdout().is_terminal();
    let mut done = vec![false; children.len()];
    let mut out = std::io::stdout();
    loop {
        for (i, (server, child)) in children.iter_mut().enumerate() {
            if done[i] {
                continue;
            }
            if let Ok(Some(status)) = child.try_wait() {
                if tty {
                    let _ = write!(out, "\r\x1b[2K");
                }
                return Err(exited(cluster, server, &status.to_string()));
            }
            let observed = c::observe_one(cluster, server);
            if observed.healthy() {
                done[i] = true;
                if tty {
                    let _ = write!(out, "\r\x1b[2K");
                }
                let _ = writeln!(
                    out,
                    "  ✓ {:8} {} {} ({:.1} s)",
                    server.name,
                    // Display columns, not chars: Hangul takes two.
                    crate::text::pad(&observed.role(lang), 18),
                    server.address(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let waiting: Vec<&str> = children
            .iter()
            .zip(&done)
            .filter(|(_, d)| !**d)
            .map(|((s, _), _)| s.name.as_str())
            .collect();
        if waiting.is_empty() {
            if tty {
                let _ = write!(out, "\r\x1b[2K");
            }
            return Ok(());
        }
        if started.elapsed() >= limit {
            if tty {
                let _ = writeln!(out);
            }
            let details: Vec<String> = children
                .iter()
                .zip(&done)
                .filter(|(_, d)| !**d)
                .map(|((s, _), _)| {
                    let o = c::observe_one(cluster, s);
                    format!(
                        "{} is {} after {}s; the end of {}:\n{}",
                        s.name,
                        o.state(lang),
                        limit.as_secs(),
                        cluster.folder(s).join(process::LOG_FILE).display(),
                        process::log_tail(&cluster.folder(s), 10)
                    )
                })
                .collect();
            return Err(Error::Cluster(format!(
                "not every server served within {}s, so the cluster was stopped again.\n{}",
                limit.as_secs(),
                details.join("\n\n")
            )));
        }
        if tty {
            let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let tick = (started.elapsed().as_millis() / 100) as usize % spinner.len();
            let _ = write!(
                out,
                "\r\x1b[2K{} {}/{} {} · {} {} ({:.0} s)",
                spinner[tick],
                children.len() - waiting.len(),
                children.len(),
                lang.pick("serving", "서비스 중"),
                lang.pick("waiting for", "기다리는 중:"),
                waiting.join(", "),
                started.elapsed().as_secs_f64()
            );
            let _ = out.flush();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn exited(cluster: &Cluster, server: &Server, status: &str) -> Error {
    let folder = cluster.folder(server);
    Error::Cluster(format!(
        "{} ended ({status}) before it served, so the cluster was stopped again. The end of {}:\n{}",
        server.name,
        folder.join(process::LOG_FILE).display(),
        process::log_tail(&folder, 15)
    ))
}

/// After a failed `up`: kill what it started and reap it, so nothing is left behind.
fn stop_started(cluster: &Cluster, children: &mut [(Server, Child)]) {
    for (server, child) in children.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(cluster.folder(server).join(process::PID_FILE));
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
        println!("{}", c::table(&observed, lang));
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
        println!("{}", c::table(&observed, lang));
        let _ = std::io::stdout().flush();
        shown += 1;
        if count.is_some_and(|n| shown >= n) {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_secs(interval.max(1)));
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

/// `stop` (TERM) and `kill` (KILL): signal the named servers that run, wait until they are
/// gone, show the table.
fn signal_servers(dir: &Path, name: &str, signal: &str, lang: Lang) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    let selected = cluster.select(name)?;
    let mut waiting = Vec::new();
    for server in &selected {
        match cluster.pid(server) {
            Some(pid) => {
                process::signal(pid, signal)?;
                println!("{} {} (pid {pid})", verb(signal, lang), server.name);
                waiting.push((cluster.folder(server), cluster.config_path(server)));
            }
            None => match lang {
                Lang::En => println!("{} is not running", server.name),
                Lang::Ko => println!("{}은(는) 돌고 있지 않습니다", server.name),
            },
        }
    }
    let left = process::wait_gone(&waiting, STOP_LIMIT);
    for i in &left {
        println!(
            "{} is still stopping after {}s; `kafkalab cluster kill {}` ends it now",
            waiting[*i]
                .0
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            STOP_LIMIT.as_secs(),
            waiting[*i]
                .0
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        );
    }
    for (folder, _) in &waiting {
        if !left.iter().any(|i| &waiting[*i].0 == folder) {
            let _ = std::fs::remove_file(folder.join(process::PID_FILE));
        }
    }
    println!("{}", c::table(&c::observe(&cluster), lang));
    Ok(left.is_empty())
}

fn verb(signal: &str, lang: Lang) -> &'static str {
    match signal {
        "KILL" => lang.pick("killed (SIGKILL)", "강제 종료(SIGKILL)"),
        _ => lang.pick("stopping (SIGTERM)", "멈추는 중(SIGTERM)"),
    }
}

fn start(workspace: Option<&Path>, dir: &Path, name: &str, lang: Lang) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    let selected: Vec<Server> = cluster.select(name)?.into_iter().cloned().collect();
    let to_start: Vec<&Server> = selected
        .iter()
        .filter(|s| match cluster.pid(s) {
            Some(pid) => {
                match lang {
                    Lang::En => println!("{} is running already (pid {pid})", s.name),
                    Lang::Ko => println!("{}은(는) 이미 돌고 있습니다(pid {pid})", s.name),
                }
                false
            }
            None => true,
        })
        .collect();
    check_ports(to_start.iter().copied())?;
    let mut launcher = Launcher::new(workspace);
    let mut children = Vec::new();
    for server in &to_start {
        let config = cluster.config_path(server);
        if !config.is_file() {
            return Err(Error::Cluster(format!(
                "{} is missing; `kafkalab cluster up --dir {}` writes it again",
                config.display(),
                dir.display()
            )));
        }
        let command = launcher.command(server, &config, cluster.options.zookeeper)?;
        let child = process::spawn(command, &cluster.folder(server), &server.name)?;
        println!(
            "{} {} (pid {})",
            lang.pick("started", "시작함:"),
            server.name,
            child.id()
        );
        children.push(((*server).clone(), child));
    }
    // A ZooKeeper that answers at all has started: whether it finds a quorum depends on the
    // others, which the table shows.
    let deadline = Instant::now() + START_LIMIT;
    for (server, child) in &mut children {
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let folder = cluster.folder(server);
                return Err(Error::Cluster(format!(
                    "{} ended ({status}) right after it started. The end of {}:\n{}",
                    server.name,
                    folder.join(process::LOG_FILE).display(),
                    process::log_tail(&folder, 15)
                )));
            }
            let o = c::observe_one(&cluster, server);
            if !matches!(o.health, c::Health::Starting | c::Health::Stopped) {
                break;
            }
            if Instant::now() >= deadline {
                println!(
                    "{} does not answer yet after {}s; see `kafkalab cluster logs {}`",
                    server.name,
                    START_LIMIT.as_secs(),
                    server.name
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    println!("{}", c::table(&c::observe(&cluster), lang));
    Ok(true)
}

fn down(dir: &Path, purge: bool, lang: Lang) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    // Brokers first: from lab 11 on a broker leaves ZooKeeper as it stops, which needs the
    // ensemble still up.
    let mut stopped = 0;
    for kind in [Kind::Broker, Kind::Zookeeper] {
        let mut waiting = Vec::new();
        for server in cluster.servers.iter().filter(|s| s.kind == kind) {
            if let Some(pid) = cluster.pid(server) {
                process::signal(pid, "TERM")?;
                waiting.push((cluster.folder(server), cluster.config_path(server)));
            }
        }
        stopped += waiting.len();
        let left = process::wait_gone(&waiting, STOP_LIMIT);
        for i in &left {
            let (folder, config) = &waiting[*i];
            if let Some(pid) = process::running_pid(folder, config) {
                println!(
                    "{} did not stop within {}s: killed (SIGKILL)",
                    folder.file_name().unwrap_or_default().to_string_lossy(),
                    STOP_LIMIT.as_secs()
                );
                process::signal(pid, "KILL")?;
            }
        }
        let still = process::wait_gone(&waiting, Duration::from_secs(5));
        if !still.is_empty() {
            return Err(Error::Cluster(format!(
                "{} would not end; see `kafkalab cluster status --dir {}`",
                waiting[still[0]].0.display(),
                dir.display()
            )));
        }
    }
    for server in &cluster.servers {
        let _ = std::fs::remove_file(cluster.folder(server).join(process::PID_FILE));
    }
    match lang {
        Lang::En => println!(
            "Stopped {stopped} servers of the cluster in {}.",
            dir.display()
        ),
        Lang::Ko => println!(
            "{}의 클러스터에서 서버 {stopped}대를 멈췄습니다.",
            dir.display()
        ),
    }
    if purge {
        // Only what `up` wrote: a folder the learner chose may hold other files.
        for server in &cluster.servers {
            let folder = cluster.folder(server);
            if folder.exists() {
                std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
            }
        }
        let state = Cluster::state_path(&dir);
        std::fs::remove_file(&state).map_err(io(&state))?;
        let _ = std::fs::remove_dir(&dir);
        println!(
            "{}",
            lang.pick(
                "Deleted its configs, data and logs.",
                "설정, 데이터, 로그를 지웠습니다."
            )
        );
    } else {
        match lang {
            Lang::En => println!(
                "Its data and logs stay in {}: `kafkalab cluster up` starts it again on them, \
                 `kafkalab cluster down --purge` deletes them.",
                dir.display()
            ),
            Lang::Ko => println!(
                "데이터와 로그는 {}에 남습니다. `kafkalab cluster up`은 그 데이터로 다시 띄우고, \
                 `kafkalab cluster down --purge`는 지웁니다.",
                dir.display()
            ),
        }
    }
    Ok(true)
}

fn logs(dir: &Path, name: &str, follow: bool) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    let selected = cluster.select(name)?;
    if follow && selected.len() > 1 {
        let names: Vec<&str> = selected.iter().map(|s| s.name.as_str()).collect();
        return Err(Error::Cluster(format!(
            "{name} runs {}: follow one of them",
            names.join(" and ")
        )));
    }
    let mut out = std::io::stdout();
    for server in &selected {
        let path = cluster.folder(server).join(process::LOG_FILE);
        if selected.len() > 1 {
            let _ = writeln!(out, "==> {} <==", path.display());
        }
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !follow => {
                let _ = writeln!(out, "({} has not been started yet)", server.name);
                continue;
            }
            Err(source) => return Err(Error::Io { path, source }),
        };
        std::io::copy(&mut file, &mut out).map_err(io(&path))?;
        if follow {
            // Like `tail -f`: read what was appended, every quarter second, until Ctrl-C. A
            // log that shrank (deleted and written anew) is read from its start.
            let mut position = file.stream_position().map_err(io(&path))?;
            loop {
                std::thread::sleep(Duration::from_millis(250));
                let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                if len < position {
                    file = std::fs::File::open(&path).map_err(io(&path))?;
                    position = 0;
                }
                file.seek(SeekFrom::Start(position)).map_err(io(&path))?;
                let mut buf = Vec::new();
                file.read_to_end(&mut buf).map_err(io(&path))?;
                position += buf.len() as u64;
                let _ = out.write_all(&buf);
                let _ = out.flush();
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_options_than_the_saved_clusters_are_refused_and_none_means_the_saved_ones() {
        let saved = Options {
            topology: "study".into(),
            brokers: 3,
            zookeeper: Flavor::Ours,
            base_port: Some(20000),
        };
        let none = Asked {
            brokers: None,
            zookeeper: None,
            topology: None,
            base_port: None,
        };
        assert_eq!(none.resolve(Some(&saved), Path::new("/c")).unwrap(), saved);
        let fresh = none.resolve(None, Path::new("/c")).unwrap();
        assert_eq!((fresh.topology.as_str(), fresh.brokers), ("study", 3));
        let other = Asked {
            brokers: Some(4),
            ..none
        };
        let err = other
            .resolve(Some(&saved), Path::new("/c"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--topology study --brokers 3 --zookeeper ours --base-port 20000"),
            "{err}"
        );
    }
}
