//! `kafkalab cluster`: the slides' cluster — three ZooKeeper servers and three brokers — on one
//! machine, as background processes on 127.0.0.1. The runner only manages processes: every
//! server is kafkalab-tools (or Debian's ZooKeeper), started with a config file written here.
//!
//! # Layout
//! Start at `up` (what `cluster up` does, in order), then `plan` for the configs.
//!
//! - `plan` — which servers a topology and the options make, their ports and config files
//!   (the topology's own files, on loopback). Pure.
//! - `state` — the cluster folder: `cluster.json` and one folder per server; names to servers.
//! - `launch` — the command for each server (kafkalab-tools, built once; or Java).
//! - `process` — detached processes, pid files, signals, whether a pid is still our server.
//! - `probe` — `srvr` for ZooKeeper, ApiVersions for a broker: is it serving?
//! - `up` — `cluster up` and `cluster start`; `wait` — waiting for them to serve, with progress.
//! - `partitions` — what ZooKeeper says: the controller, registered brokers, partitions.
//! - `stop` — `cluster stop`, `kill` and `down`; `logs` — `cluster logs`.
//! - this file — what each server is doing now, and the table that shows it.

pub mod launch;
pub mod logs;
pub mod partitions;
pub mod plan;
pub mod probe;
pub mod process;
pub mod state;
pub mod stop;
pub mod up;
pub mod wait;

use std::path::{Path, PathBuf};

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};

use crate::error::Error;
use crate::lang::Lang;
use crate::topology::Topology;
use partitions::ZkView;
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

    /// A ZooKeeper that says `Mode: leader`.
    pub fn is_leader(&self) -> bool {
        self.health == Health::Serving(Some("leader".into()))
    }

    /// `zookeeper leader`, `zookeeper follower`, `zookeeper` (mode unknown), `broker`,
    /// `broker (controller)` when `controller` is this broker's id.
    pub fn role(&self, view: Option<&ZkView>, lang: Lang) -> String {
        let controller = view.and_then(|v| Some((v.controller?, v.broker_at(self.server.port)?)));
        if self.server.kind == Kind::Broker
            && self.health != Health::Stopped
            && controller.is_some_and(|(c, me)| c == me)
        {
            return lang.pick("broker (controller)", "브로커(컨트롤러)").into();
        }
        match (&self.health, self.server.kind) {
            (Health::Serving(Some(mode)), Kind::Zookeeper) => match (lang, mode.as_str()) {
                (Lang::Ko, "leader") => "주키퍼 리더".into(),
                (Lang::Ko, "follower") => "주키퍼 팔로워".into(),
                (Lang::Ko, _) => format!("주키퍼 {mode}"),
                (Lang::En, _) => format!("zookeeper {mode}"),
            },
            (_, Kind::Zookeeper) => lang.pick("zookeeper", "주키퍼").into(),
            (_, Kind::Broker) => lang.pick("broker", "브로커").into(),
        }
    }

    pub fn state(&self, lang: Lang) -> &'static str {
        match self.health {
            Health::Stopped => lang.pick("stopped", "멈춤"),
            Health::Starting => lang.pick("starting", "시작 중"),
            Health::NoQuorum => lang.pick("no quorum", "쿼럼 없음"),
            Health::Serving(_) => lang.pick("serving", "서비스 중"),
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

/// The status table: server, host, role, address, state, pid; with what ZooKeeper says, the
/// controller's broker is marked.
pub fn table(observed: &[Observed], view: Option<&ZkView>, lang: Lang) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        lang.pick("server", "서버"),
        lang.pick("host", "호스트"),
        lang.pick("role", "역할"),
        lang.pick("address", "주소"),
        lang.pick("state", "상태"),
        "pid",
    ]);
    for o in observed {
        table.add_row([
            o.server.name.clone(),
            o.server.host.clone(),
            o.role(view, lang),
            o.server.address(),
            o.state(lang).to_string(),
            o.pid.map_or("-".into(), |p| p.to_string()),
        ]);
    }
    table
}

/// The lines under the table: where the cluster is, and what its brokers can do today.
pub fn summary(cluster: &Cluster, lang: Lang) -> String {
    let addresses = |kind: Kind| -> String {
        cluster
            .servers
            .iter()
            .filter(|s| s.kind == kind)
            .map(Server::address)
            .collect::<Vec<_>>()
            .join(",")
    };
    let flavor = match (cluster.options.zookeeper, lang) {
        (plan::Flavor::Ours, Lang::En) => "ours (labs 08-10)",
        (plan::Flavor::Ours, Lang::Ko) => "우리 것(실습 08-10)",
        (plan::Flavor::Debian, Lang::En) => "Debian's ZooKeeper 3.8",
        (plan::Flavor::Debian, Lang::Ko) => "데비안의 주키퍼 3.8",
    };
    let (dir, topology) = (cluster.dir.display(), &cluster.options.topology);
    let (zk, brokers) = (addresses(Kind::Zookeeper), addresses(Kind::Broker));
    match lang {
        Lang::En => format!(
            "cluster folder {dir} · topology {topology} · ZooKeeper: {flavor}\n\
             ZooKeeper ensemble: {zk}\n\
             brokers (bootstrap servers): {brokers}"
        ),
        Lang::Ko => format!(
            "클러스터 폴더 {dir} · 토폴로지 {topology} · 주키퍼: {flavor}\n\
             주키퍼 앙상블: {zk}\n\
             브로커(부트스트랩 서버): {brokers}"
        ),
    }
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `dir`, absolute with symlinks resolved, so every command names the same config paths (the
/// pid check compares them with the servers' command lines). It must exist.
pub fn canonical(dir: &Path) -> Result<PathBuf, Error> {
    dir.canonicalize().map_err(|_| {
        Error::Cluster(format!(
            "there is no cluster in {}: start one with `kafkalab cluster up --dir {}`",
            dir.display(),
            dir.display()
        ))
    })
}
