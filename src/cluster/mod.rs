//! `kafkalab cluster`: the slides' cluster — three ZooKeeper servers and three brokers — on one
//! machine, as background processes on 127.0.0.1. The runner only manages processes: every
//! server is kafkalab-tools (or Debian's ZooKeeper), started with a config file written here.
//!
//! # Layout
//! - `plan` — which servers a topology and the options make, their ports and config files
//!   (the topology's own files, on loopback). Pure.
//! - `state` — the cluster folder: `cluster.json` and one folder per server; names to servers.
//! - `launch` — the command for each server (kafkalab-tools, built once; or Java).
//! - `process` — detached processes, pid files, signals, whether a pid is still our server.
//! - `probe` — `srvr` for ZooKeeper, ApiVersions for a broker: is it serving?
//! - this file — what each server is doing now, and the table that shows it.

pub mod launch;
pub mod plan;
pub mod probe;
pub mod process;
pub mod state;

use std::path::Path;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use crate::error::Error;
use crate::topology::Topology;
use plan::{Kind, Server};
use probe::ZkAnswer;
use state::Cluster;

/// The topology files inside the binary, for a kafkalab run outside any workspace (an install
/// that copied the binaries only). In a workspace its own `vagrant/topologies` are read, so an
/// edited topology is the one started.
const BUILT_IN: [(&str, &str); 2] = [
    ("study", include_str!("../../vagrant/topologies/study.yaml")),
    ("book", include_str!("../../vagrant/topologies/book.yaml")),
];

/// The topology `name`: from the workspace when there is one, else the built-in copy.
pub fn load_topology(workspace: Option<&Path>, name: &str) -> Result<Topology, Error> {
    if let Ok(root) = crate::workspace::resolve(workspace) {
        let path = Topology::path(&root, name);
        if path.is_file() {
            return Ok(Topology::load(&path)?);
        }
    }
    let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        Error::Cluster(format!(
            "there is no topology `{name}`; there are: study (the slides' kafka01..03), book (peter-zk01..03 and peter-kafka01..03)"
        ))
    })?;
    let path = Path::new("(built in)").join(format!("{name}.yaml"));
    Ok(Topology::parse(text, &path)?)
}

/// What a server is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// No process.
    Stopped,
    /// The process runs but does not answer yet.
    Starting,
    /// A ZooKeeper that runs and answers but is in no quorum (electing, or too few servers).
    NoQuorum,
    /// Serving: a ZooKeeper with its mode (leader, follower, standalone), or a broker.
    Serving(Option<String>),
}

/// One server as `status` sees it.
#[derive(Debug, Clone)]
pub struct Observed {
    pub server: Server,
    pub pid: Option<u32>,
    pub health: Health,
}

impl Observed {
    /// Serving as a member of a cluster: a ZooKeeper leader or follower, a broker that answers.
    pub fn healthy(&self) -> bool {
        match (&self.health, self.server.kind) {
            (Health::Serving(mode), Kind::Zookeeper) => {
                matches!(mode.as_deref(), Some("leader" | "follower"))
            }
            (Health::Serving(_), Kind::Broker) => true,
            _ => false,
        }
    }

    pub fn role(&self) -> String {
        match (&self.health, self.server.kind) {
            (Health::Serving(Some(mode)), Kind::Zookeeper) => format!("zookeeper {mode}"),
            (_, Kind::Zookeeper) => "zookeeper".into(),
            (_, Kind::Broker) => "broker".into(),
        }
    }

    pub fn state(&self) -> &'static str {
        match self.health {
            Health::Stopped => "stopped",
            Health::Starting => "starting",
            Health::NoQuorum => "no quorum",
            Health::Serving(_) => "serving",
        }
    }
}

/// Asks one server.
pub fn observe_one(cluster: &Cluster, server: &Server) -> Observed {
    let pid = cluster.pid(server);
    let health = match (pid, server.kind) {
        (None, _) => Health::Stopped,
        (Some(_), Kind::Zookeeper) => match probe::zookeeper(server.port) {
            ZkAnswer::NoAnswer => Health::Starting,
            ZkAnswer::NotServing => Health::NoQuorum,
            ZkAnswer::Mode(mode) => Health::Serving(Some(mode)),
        },
        (Some(_), Kind::Broker) => {
            if probe::broker(server.port) {
                Health::Serving(None)
            } else {
                Health::Starting
            }
        }
    };
    Observed {
        server: server.clone(),
        pid,
        health,
    }
}

/// Asks every server.
pub fn observe(cluster: &Cluster) -> Vec<Observed> {
    cluster
        .servers
        .iter()
        .map(|s| observe_one(cluster, s))
        .collect()
}

/// The status table: server, host, role, address, state, pid.
pub fn table(observed: &[Observed]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["server", "host", "role", "address", "state", "pid"]);
    for o in observed {
        table.add_row([
            o.server.name.clone(),
            o.server.host.clone(),
            o.role(),
            o.server.address(),
            o.state().to_string(),
            o.pid.map_or("-".into(), |p| p.to_string()),
        ]);
    }
    table
}

/// The lines under the table: where the cluster is, and what its brokers can do today.
pub fn summary(cluster: &Cluster) -> String {
    let zk: Vec<String> = cluster
        .servers
        .iter()
        .filter(|s| s.kind == Kind::Zookeeper)
        .map(Server::address)
        .collect();
    let brokers: Vec<String> = cluster
        .servers
        .iter()
        .filter(|s| s.kind == Kind::Broker)
        .map(Server::address)
        .collect();
    format!(
        "cluster folder {} · topology {} · ZooKeeper: {}\n\
         ZooKeeper ensemble: {}\n\
         brokers (bootstrap servers): {}\n\
         The brokers do not register in ZooKeeper yet (that is lab 11): each serves alone.",
        cluster.dir.display(),
        cluster.options.topology,
        match cluster.options.zookeeper {
            plan::Flavor::Ours => "ours (labs 08-10)",
            plan::Flavor::Debian => "Debian's ZooKeeper 3.8",
        },
        zk.join(","),
        brokers.join(","),
    )
}
