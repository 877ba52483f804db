//! The cluster folder: `cluster.json` (the options and the servers, written by `up`, read by
//! every other command) and one folder per server.
//!
//! ```text
//! cluster/
//!   cluster.json
//!   zk1/       zoo.cfg  data/myid  data/version-2/…  server.log  server.pid
//!   broker1/   server.properties  kafka-logs/…  server.log  server.pid
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cluster::plan::{Options, Server};
use crate::cluster::process;
use crate::error::Error;

pub const STATE_FILE: &str = "cluster.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    /// The cluster folder, absolute; not saved (the folder may be moved while the cluster is
    /// down).
    #[serde(skip)]
    pub dir: PathBuf,
    pub options: Options,
    pub servers: Vec<Server>,
    /// The kafkalab-tools binary the servers were started with; `status` runs its
    /// `zookeeper-cluster-state` to show the partitions. Absent in older cluster folders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<PathBuf>,
}

impl Cluster {
    pub fn state_path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// The cluster saved in `dir`, or None when `dir` holds none.
    pub fn load(dir: &Path) -> Result<Option<Cluster>, Error> {
        let path = Cluster::state_path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let mut cluster: Cluster = serde_json::from_str(&text).map_err(|e| {
            Error::Cluster(format!(
                "{} is damaged ({e}); `kafkalab cluster down --purge --dir {}` removes the cluster, or delete the folder",
                path.display(),
                dir.display()
            ))
        })?;
        cluster.dir = dir.to_path_buf();
        Ok(Some(cluster))
    }

    /// The cluster in `dir`; an error that says how to start one when there is none.
    pub fn require(dir: &Path) -> Result<Cluster, Error> {
        Cluster::load(dir)?.ok_or_else(|| {
            Error::Cluster(format!(
                "there is no cluster in {}: start one with `kafkalab cluster up --dir {}`",
                dir.display(),
                dir.display()
            ))
        })
    }

    pub fn save(&self) -> Result<(), Error> {
        let path = Cluster::state_path(&self.dir);
        let text = serde_json::to_string_pretty(self).expect("the cluster state serializes");
        std::fs::write(&path, text + "\n").map_err(|source| Error::Io { path, source })
    }

    /// A server's folder.
    pub fn folder(&self, server: &Server) -> PathBuf {
        self.dir.join(&server.name)
    }

    /// A server's config file, as its command line names it.
    pub fn config_path(&self, server: &Server) -> PathBuf {
        self.folder(server).join(&server.config)
    }

    /// The pid of `server` if it runs.
    pub fn pid(&self, server: &Server) -> Option<u32> {
        process::running_pid(&self.folder(server), &self.config_path(server))
    }

    /// The servers that `name` means: a server (`zk2`, `broker2`) or a host of the topology
    /// (`kafka02` is zk2 and broker2 in the study topology: the whole VM).
    pub fn select(&self, name: &str) -> Result<Vec<&Server>, Error> {
        let by_server: Vec<&Server> = self.servers.iter().filter(|s| s.name == name).collect();
        if !by_server.is_empty() {
            return Ok(by_server);
        }
        let by_host: Vec<&Server> = self.servers.iter().filter(|s| s.host == name).collect();
        if !by_host.is_empty() {
            return Ok(by_host);
        }
        let mut known: Vec<String> = self.servers.iter().map(|s| s.name.clone()).collect();
        for s in &self.servers {
            if !known.contains(&s.host) {
                known.push(s.host.clone());
            }
        }
        Err(Error::Cluster(format!(
            "the cluster in {} has no server or host `{name}`; it has: {}",
            self.dir.display(),
            known.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::plan::{Flavor, Kind};

    fn server(name: &str, host: &str, kind: Kind) -> Server {
        Server {
            name: name.into(),
            host: host.into(),
            kind,
            port: 1,
            peer_ports: None,
            config: "x".into(),
        }
    }

    #[test]
    fn a_name_is_a_server_or_every_server_of_a_host() {
        let cluster = Cluster {
            dir: PathBuf::from("/c"),
            options: Options {
                topology: "study".into(),
                brokers: 2,
                zookeeper: Flavor::Ours,
                base_port: None,
            },
            tools: None,
            servers: vec![
                server("zk1", "kafka01", Kind::Zookeeper),
                server("zk2", "kafka02", Kind::Zookeeper),
                server("broker1", "kafka01", Kind::Broker),
                server("broker2", "kafka02", Kind::Broker),
            ],
        };
        let names = |n: &str| -> Vec<String> {
            cluster
                .select(n)
                .unwrap()
                .iter()
                .map(|s| s.name.clone())
                .collect()
        };
        assert_eq!(names("broker2"), ["broker2"]);
        assert_eq!(names("kafka02"), ["zk2", "broker2"]);
        let err = cluster.select("kafka09").unwrap_err().to_string();
        assert!(
            err.contains("zk1, zk2, broker1, broker2, kafka01, kafka02"),
            "{err}"
        );
    }
}
