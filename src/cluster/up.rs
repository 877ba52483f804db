//! Starting servers: `cluster up` (write every config, start the ensemble, then the brokers,
//! wait until all serve) and `cluster start NAME` (one server or host again, on its data).

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::cluster::launch::Launcher;
use crate::cluster::plan::{self, Flavor, Kind, Options, Server};
use crate::cluster::state::Cluster;
use crate::cluster::wait::wait_healthy;
use crate::cluster::{self as c, canonical, io, probe, process};
use crate::error::Error;
use crate::lang::Lang;

/// How long `start` waits for a server to answer.
const START_LIMIT: Duration = Duration::from_secs(60);

/// The options given on the command line; the rest come from the saved cluster or defaults.
pub struct Asked {
    pub brokers: Option<u32>,
    pub zookeeper: Option<Flavor>,
    pub topology: Option<String>,
    pub base_port: Option<u16>,
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

pub fn up(
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

    let mut cluster = Cluster {
        dir: dir.clone(),
        options: options.clone(),
        servers: planned.iter().map(|p| p.server.clone()).collect(),
        tools: None,
    };
    // Everything that can fail before a process starts: Java for Debian's ZooKeeper, building
    // kafkalab-tools.
    let mut launcher = Launcher::new(workspace);
    let mut commands = Vec::new();
    for p in &planned {
        let command = launcher.command(
            &p.server,
            &cluster.config_path(&p.server),
            options.zookeeper,
        )?;
        commands.push((p.server.clone(), command));
    }
    cluster.tools = launcher.tools_path().map(Path::to_path_buf);
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
    // The ensemble first, then the brokers, in the slides' order: from lab 11 on a broker
    // registers in ZooKeeper as it starts, so a quorum must be there to take it.
    let (zookeepers, brokers): (Vec<_>, Vec<_>) = commands
        .into_iter()
        .partition(|(s, _)| s.kind == Kind::Zookeeper);
    let started = Instant::now();
    let mut children = Vec::new();
    for phase in [zookeepers, brokers] {
        let first = children.len();
        for (server, command) in phase {
            match process::spawn(command, &cluster.folder(&server), &server.name) {
                Ok(child) => children.push((server, child)),
                Err(e) => {
                    stop_started(&cluster, &mut children);
                    return Err(e);
                }
            }
        }
        if let Err(e) = wait_healthy(&cluster, &mut children[first..], started, limit, lang) {
            stop_started(&cluster, &mut children);
            return Err(e);
        }
    }
    wait_for_controller(&cluster, started, limit);
    let observed = c::observe(&cluster);
    crate::commands::cluster::print_status(&cluster, &observed, lang);
    // The availability lesson: kill the ZooKeeper leader and watch another take over.
    let leader = observed
        .iter()
        .find(|o| o.is_leader())
        .map_or("zk1".to_string(), |o| o.server.name.clone());
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
             `kafkalab cluster kill {leader}{shown_dir}` (the ZooKeeper leader; then status again: a new leader), \
             `kafkalab cluster down{shown_dir}`."
        ),
        Lang::Ko => println!(
            "다음: `kcat -b {first_broker} -L`, `kafkalab cluster status{shown_dir}`, \
             `kafkalab cluster kill {leader}{shown_dir}`(주키퍼 리더입니다. 그리고 다시 status: 새 리더), \
             `kafkalab cluster down{shown_dir}`."
        ),
    }
    Ok(true)
}

/// Brokers serve before they have registered and before one of them won `/controller`: wait
/// (within what is left of `limit`) until ZooKeeper shows a controller and every broker, and
/// every broker's Metadata lists them all, so the first table shows the cluster at work and a
/// topic can be created at once. Not reaching it is no error: the table says.
fn wait_for_controller(cluster: &Cluster, started: Instant, limit: Duration) {
    let brokers = cluster
        .servers
        .iter()
        .filter(|s| s.kind == Kind::Broker)
        .count();
    while started.elapsed() < limit {
        match c::partitions::read(cluster) {
            Ok(view) if view.ready(brokers) => return,
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
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

/// After a failed `up`: kill what it started and reap it, so nothing is left behind.
fn stop_started(cluster: &Cluster, children: &mut [(Server, Child)]) {
    for (server, child) in children.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_file(cluster.folder(server).join(process::PID_FILE));
    }
}

pub fn start(workspace: Option<&Path>, dir: &Path, name: &str, lang: Lang) -> Result<bool, Error> {
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
    crate::commands::cluster::print_status(&cluster, &c::observe(&cluster), lang);
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
