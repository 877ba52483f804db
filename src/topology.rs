//! The install topologies of `vagrant/topologies/*.yaml`: which hosts run ZooKeeper and Kafka,
//! with which ids, addresses and settings. The Vagrantfile and the Compose files are made from
//! the same files (by `vagrant/topology.rb`); this module reads them with serde_yaml for
//! `kafkalab topology` and derives each host's settings independently, so tests can check the
//! shell scripts against it.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the topology files live, relative to the workspace root.
pub const TOPOLOGY_DIR: &str = "vagrant/topologies";

#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid topology: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("topology {topology} has no host {host}; it has: {known}")]
    UnknownHost {
        topology: String,
        host: String,
        known: String,
    },
    #[error("host {host} does not run {role}")]
    MissingRole { host: String, role: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Zookeeper,
    Kafka,
}

/// Where a host runs: a VM on a private network, or a container reached through ports that
/// Compose publishes on 127.0.0.1. Only Kafka's external listener differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    Vm,
    Docker,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub name: String,
    pub ip: Ipv4Addr,
    pub roles: Vec<Role>,
    pub zookeeper_id: Option<u32>,
    pub broker_id: Option<u32>,
    pub memory_mb: u32,
    pub cpus: u32,
}

impl Host {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZooKeeperSettings {
    pub version: String,
    pub install_dir: String,
    pub data_dir: String,
    pub user: String,
    pub client_port: u16,
    pub quorum_port: u16,
    pub election_port: u16,
    pub tick_time: u32,
    pub init_limit: u32,
    pub sync_limit: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSettings {
    pub version: String,
    pub scala: String,
    pub install_dir: String,
    pub log_dirs: String,
    pub user: String,
    pub port: u16,
    pub external_port_base: u16,
    pub chroot: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    pub name: String,
    pub description: String,
    #[serde(rename = "box")]
    pub vagrant_box: String,
    pub timezone: String,
    pub java_package: String,
    pub hosts: Vec<Host>,
    pub zookeeper: ZooKeeperSettings,
    pub kafka: KafkaSettings,
}

/// A config file as ordered `key=value` pairs (comments are the scripts' business).
pub type Properties = Vec<(String, String)>;

fn kv(key: &str, value: impl ToString) -> (String, String) {
    (key.to_string(), value.to_string())
}

impl Topology {
    /// `vagrant/topologies/NAME.yaml` under the workspace `root`.
    pub fn path(root: &Path, name: &str) -> PathBuf {
        root.join(TOPOLOGY_DIR).join(format!("{name}.yaml"))
    }

    /// The names of the topologies in the workspace.
    pub fn names(root: &Path) -> Result<Vec<String>, TopologyError> {
        let dir = root.join(TOPOLOGY_DIR);
        let entries = std::fs::read_dir(&dir).map_err(|source| TopologyError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut names: Vec<String> = entries
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".yaml")
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        Ok(names)
    }

    pub fn load(path: &Path) -> Result<Topology, TopologyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TopologyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |reason: String| TopologyError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let topology: Topology = serde_yaml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        topology.validate().map_err(invalid)?;
        Ok(topology)
    }

    /// The rules the scripts rely on; each message names the host or value at fault.
    fn validate(&self) -> Result<(), String> {
        let unique = |what: &str, values: Vec<String>| -> Result<(), String> {
            for (i, v) in values.iter().enumerate() {
                if values[..i].contains(v) {
                    return Err(format!("{what} {v} is used by two hosts"));
                }
            }
            Ok(())
        };
        unique("name", self.hosts.iter().map(|h| h.name.clone()).collect())?;
        unique("ip", self.hosts.iter().map(|h| h.ip.to_string()).collect())?;
        for h in &self.hosts {
            if h.has(Role::Zookeeper) != h.zookeeper_id.is_some() {
                return Err(format!(
                    "host {}: a zookeeper host needs a zookeeper_id, and only it",
                    h.name
                ));
            }
            if h.has(Role::Kafka) != h.broker_id.is_some() {
                return Err(format!(
                    "host {}: a kafka host needs a broker_id, and only it",
                    h.name
                ));
            }
            if h.zookeeper_id == Some(0) || h.zookeeper_id.is_some_and(|id| id > 255) {
                return Err(format!(
                    "host {}: zookeeper_id (myid) must be 1 to 255",
                    h.name
                ));
            }
        }
        unique("zookeeper_id", self.ids(|h| h.zookeeper_id))?;
        unique("broker_id", self.ids(|h| h.broker_id))?;
        if !self.hosts.iter().any(|h| h.has(Role::Zookeeper))
            || !self.hosts.iter().any(|h| h.has(Role::Kafka))
        {
            return Err("a topology needs at least one zookeeper host and one kafka host".into());
        }
        if !self.kafka.chroot.starts_with('/') {
            return Err(format!(
                "kafka.chroot {} must start with /",
                self.kafka.chroot
            ));
        }
        Ok(())
    }

    fn ids(&self, id: impl Fn(&Host) -> Option<u32>) -> Vec<String> {
        self.hosts
            .iter()
            .filter_map(|h| id(h).map(|i| i.to_string()))
            .collect()
    }

    pub fn host(&self, name: &str) -> Result<&Host, TopologyError> {
        self.hosts
            .iter()
            .find(|h| h.name == name)
            .ok_or_else(|| TopologyError::UnknownHost {
                topology: self.name.clone(),
                host: name.to_string(),
                known: self
                    .hosts
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    pub fn zookeepers(&self) -> impl Iterator<Item = &Host> {
        self.hosts.iter().filter(|h| h.has(Role::Zookeeper))
    }

    /// Kafka's `zookeeper.connect`: every ZooKeeper server, then the chroot path.
    pub fn zookeeper_connect(&self) -> String {
        let servers: Vec<String> = self
            .zookeepers()
            .map(|h| format!("{}:{}", h.name, self.zookeeper.client_port))
            .collect();
        format!("{}{}", servers.join(","), self.kafka.chroot)
    }

    /// The settings of `zoo.cfg` on `host`: the same on every server of the ensemble.
    pub fn zoo_cfg(&self, host: &str) -> Result<Properties, TopologyError> {
        self.require(host, Role::Zookeeper)?;
        let zk = &self.zookeeper;
        let mut p = vec![
            kv("tickTime", zk.tick_time),
            kv("initLimit", zk.init_limit),
            kv("syncLimit", zk.sync_limit),
            kv("dataDir", &zk.data_dir),
            kv("clientPort", zk.client_port),
            kv("maxClientCnxns", 60),
            kv("autopurge.snapRetainCount", 3),
            kv("autopurge.purgeInterval", 1),
            kv("4lw.commands.whitelist", "ruok,srvr,stat,mntr,conf"),
            kv("admin.enableServer", "false"),
        ];
        for h in self.zookeepers() {
            let id = h.zookeeper_id.unwrap_or_default();
            p.push(kv(
                &format!("server.{id}"),
                format!("{}:{}:{}", h.name, zk.quorum_port, zk.election_port),
            ));
        }
        Ok(p)
    }

    /// The content of `dataDir/myid`: which `server.N` line is this host.
    pub fn myid(&self, host: &str) -> Result<String, TopologyError> {
        let h = self.require(host, Role::Zookeeper)?;
        Ok(format!("{}\n", h.zookeeper_id.unwrap_or_default()))
    }

    /// The settings of a broker's `server.properties`.
    pub fn server_properties(
        &self,
        host: &str,
        target: Target,
    ) -> Result<Properties, TopologyError> {
        let h = self.require(host, Role::Kafka)?;
        let k = &self.kafka;
        let id = h.broker_id.unwrap_or_default();
        let external_port = u32::from(k.external_port_base) + id;
        let external_host = match target {
            Target::Vm => h.ip.to_string(),
            Target::Docker => "127.0.0.1".to_string(),
        };
        Ok(vec![
            kv("broker.id", id),
            kv(
                "listeners",
                format!(
                    "INTERNAL://0.0.0.0:{},EXTERNAL://0.0.0.0:{external_port}",
                    k.port
                ),
            ),
            kv(
                "advertised.listeners",
                format!(
                    "INTERNAL://{}:{},EXTERNAL://{external_host}:{external_port}",
                    h.name, k.port
                ),
            ),
            kv(
                "listener.security.protocol.map",
                "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
            ),
            kv("inter.broker.listener.name", "INTERNAL"),
            kv("log.dirs", &k.log_dirs),
            kv("num.partitions", 1),
            kv("offsets.topic.replication.factor", 3),
            kv("transaction.state.log.replication.factor", 3),
            kv("transaction.state.log.min.isr", 2),
            kv("min.insync.replicas", 2),
            kv("log.retention.hours", 168),
            kv("log.segment.bytes", 1_073_741_824),
            kv("zookeeper.connect", self.zookeeper_connect()),
            kv("zookeeper.connection.timeout.ms", 18_000),
        ])
    }

    fn require(&self, host: &str, role: Role) -> Result<&Host, TopologyError> {
        let h = self.host(host)?;
        if h.has(role) {
            Ok(h)
        } else {
            Err(TopologyError::MissingRole {
                host: host.to_string(),
                role: match role {
                    Role::Zookeeper => "ZooKeeper",
                    Role::Kafka => "Kafka",
                },
            })
        }
    }
}

/// Reads `key=value` lines, skipping comments and blank lines: how ZooKeeper and Kafka read
/// their config files, used by the tests to compare what the scripts wrote.
pub fn parse_properties(text: &str) -> Properties {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}
