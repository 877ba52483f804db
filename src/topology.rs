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

/// A config file as ordered `key=value` pairs, as `parse_properties` reads it.
pub type Properties = Vec<(String, String)>;

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
        Topology::parse(&text, path)
    }

    /// A topology from its YAML `text`; `path` names it in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Topology, TopologyError> {
        let invalid = |reason: String| TopologyError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let topology: Topology = serde_yaml::from_str(text).map_err(|e| invalid(e.to_string()))?;
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

    /// `zoo.cfg` of `host`, byte for byte as `render_zoo_cfg` in vagrant/provision/lib.sh writes
    /// it. Only the first comment line names the host: the settings are the same on every
    /// server of the ensemble.
    pub fn zoo_cfg(&self, host: &str) -> Result<String, TopologyError> {
        let h = self.require(host, Role::Zookeeper)?;
        let zk = &self.zookeeper;
        let mut text = format!(
            "# zoo.cfg of {host} (topology {topology}), written by kafkalab's zookeeper.sh
# The basic time unit in ms; initLimit and syncLimit count these ticks.
tickTime={tick}
# Ticks a follower may take to connect to the leader and catch up.
initLimit={init}
# Ticks a follower may fall behind the leader before it is dropped.
syncLimit={sync}
# Snapshots, the transaction log and the myid file live here.
dataDir={data_dir}
# Clients (Kafka brokers, zkCli.sh) connect here.
clientPort={port}
maxClientCnxns=60
# Keep 3 snapshots and purge older ones every hour, or the disk fills up.
autopurge.snapRetainCount=3
autopurge.purgeInterval=1
# Four-letter words for checks: echo ruok | nc HOST {port} answers imok.
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf
# ZooKeeper 3.5+ also starts an admin web server on port 8080; Kafka does not need it.
admin.enableServer=false
# The ensemble: server.N=host:quorumPort:electionPort. N is the myid of that host.
",
            host = h.name,
            topology = self.name,
            tick = zk.tick_time,
            init = zk.init_limit,
            sync = zk.sync_limit,
            data_dir = zk.data_dir,
            port = zk.client_port,
        );
        for server in self.zookeepers() {
            text.push_str(&format!(
                "server.{}={}:{}:{}\n",
                server.zookeeper_id.unwrap_or_default(),
                server.name,
                zk.quorum_port,
                zk.election_port
            ));
        }
        Ok(text)
    }

    /// The content of `dataDir/myid`: which `server.N` line of zoo.cfg is this host.
    pub fn myid(&self, host: &str) -> Result<String, TopologyError> {
        let h = self.require(host, Role::Zookeeper)?;
        Ok(format!("{}\n", h.zookeeper_id.unwrap_or_default()))
    }

    /// Where a broker's EXTERNAL listener is reached from your own machine: the VM's private
    /// address, or 127.0.0.1 where Compose publishes the port. The port is
    /// `external_port_base + broker_id`, different on every broker, because on 127.0.0.1 all
    /// brokers share one address.
    pub fn external_listener(&self, host: &Host, target: Target) -> (String, u32) {
        let port = u32::from(self.kafka.external_port_base) + host.broker_id.unwrap_or_default();
        let address = match target {
            Target::Vm => host.ip.to_string(),
            Target::Docker => "127.0.0.1".to_string(),
        };
        (address, port)
    }

    /// A broker's `server.properties`, byte for byte as `render_server_properties` in
    /// vagrant/provision/lib.sh writes it. `target` decides the external listener.
    pub fn server_properties(&self, host: &str, target: Target) -> Result<String, TopologyError> {
        let h = self.require(host, Role::Kafka)?;
        let k = &self.kafka;
        let (ext_host, ext_port) = self.external_listener(h, target);
        Ok(format!(
            "# server.properties of {host} (topology {topology}), written by kafkalab's kafka.sh
# Unique in the cluster; the broker registers under /brokers/ids/{id} in ZooKeeper.
broker.id={id}
# Two listeners. INTERNAL: brokers and clients inside the cluster network reach {host} by
# name. EXTERNAL: clients on your own machine reach {ext_host}:{ext_port}.
# A client connects to whatever address it is *advertised*, so each listener advertises an
# address that works from where its clients are.
listeners=INTERNAL://0.0.0.0:{port},EXTERNAL://0.0.0.0:{ext_port}
advertised.listeners=INTERNAL://{host}:{port},EXTERNAL://{ext_host}:{ext_port}
listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT
inter.broker.listener.name=INTERNAL
# Where the partition logs (segments, indexes) are stored.
log.dirs={log_dirs}
num.partitions=1
# Three brokers: replicate the internal topics three times, and require two in-sync copies.
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
min.insync.replicas=2
log.retention.hours=168
log.segment.bytes=1073741824
# The ZooKeeper ensemble, with a chroot path so several clusters can share it.
zookeeper.connect={zk_connect}
zookeeper.connection.timeout.ms=18000
",
            host = h.name,
            topology = self.name,
            id = h.broker_id.unwrap_or_default(),
            port = k.port,
            log_dirs = k.log_dirs,
            zk_connect = self.zookeeper_connect(),
        ))
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
