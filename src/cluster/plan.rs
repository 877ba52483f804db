//! What `cluster up` starts: one server per ZooKeeper host of the topology and N brokers, with
//! their names, ports and config files. Pure: a topology and the options in, a plan out, so the
//! configs can be checked against the topology's own files without starting anything.
//!
//! The configs are the topology's (`Topology::zoo_cfg`, `Topology::server_properties`, the same
//! text the install scripts write on the VMs), with only what one machine needs changed: every
//! host is 127.0.0.1, so each server gets ports of its own, and the data folders live under the
//! cluster folder. Every other line — tickTime, initLimit, the retention, the chroot — is the
//! slides' (or the book's).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::topology::{Host, Role, Target, Topology, TopologyError};

/// Which ZooKeeper the coordinators run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// Your labs' coordinator (labs 08-10): `kafkalab-tools zookeeper-server-start zoo.cfg`.
    Ours,
    /// Debian's ZooKeeper 3.8 (`apt-get install zookeeper`): `java … QuorumPeerMain zoo.cfg`.
    Debian,
}

/// The options a cluster was made with; saved with it, so `cluster up` in the same folder
/// brings back the same cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub topology: String,
    pub brokers: u32,
    pub zookeeper: Flavor,
    pub base_port: Option<u16>,
}

/// The most brokers `--brokers` takes: ten keeps every port of a `--base-port` block inside it.
pub const MAX_BROKERS: u32 = 10;
/// How many ports a `--base-port` block spans (see [`Ports`]).
pub const PORT_BLOCK: u16 = 40;

/// Where each server listens. Without a base port the familiar ports: ZooKeeper clients 2181,
/// 2182, 2183; quorum 2888…; election 3888…; brokers 9092, 9093, 9094. With `--base-port P`
/// everything lies in P..P+40: clients P…, quorum P+10…, election P+20…, brokers P+30….
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub base: Option<u16>,
}

impl Ports {
    fn pick(&self, default: u16, offset: u16, index: u32) -> u16 {
        let index = u16::try_from(index).unwrap_or(u16::MAX);
        match self.base {
            None => default + index,
            Some(base) => base + offset + index,
        }
    }
    pub fn zk_client(&self, index: u32) -> u16 {
        self.pick(2181, 0, index)
    }
    pub fn zk_quorum(&self, index: u32) -> u16 {
        self.pick(2888, 10, index)
    }
    pub fn zk_election(&self, index: u32) -> u16 {
        self.pick(3888, 20, index)
    }
    pub fn broker(&self, index: u32) -> u16 {
        self.pick(9092, 30, index)
    }
}

/// A server's kind. ZooKeeper's mode (leader, follower) is not here: it is what `status` asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Zookeeper,
    Broker,
}

/// One server of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// `zk1`…: `zk` and the myid; `broker1`…: `broker` and the broker.id. Its folder's name.
    pub name: String,
    /// The topology's host it stands for (`kafka02`, `peter-zk02`).
    pub host: String,
    pub kind: Kind,
    /// The client port (ZooKeeper) or the listener port (broker), on 127.0.0.1.
    pub port: u16,
    /// The ZooKeeper quorum and election ports; none for a broker.
    pub peer_ports: Option<(u16, u16)>,
    /// The config file's name in the server's folder: `zoo.cfg` or `server.properties`.
    pub config: String,
}

impl Server {
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every port it listens on, each with what it is for (for the port-in-use error).
    pub fn ports(&self) -> Vec<(u16, &'static str)> {
        let mut ports = vec![(
            self.port,
            match self.kind {
                Kind::Zookeeper => "client port",
                Kind::Broker => "listener",
            },
        )];
        if let Some((quorum, election)) = self.peer_ports {
            ports.push((quorum, "quorum port"));
            ports.push((election, "election port"));
        }
        ports
    }
}

/// A server and the files to write into its folder.
#[derive(Debug, Clone)]
pub struct Planned {
    pub server: Server,
    /// The config file's text.
    pub config_text: String,
    /// `data/myid` for a ZooKeeper server.
    pub myid: Option<String>,
}

/// The folder inside a server's folder that holds its data: ZooKeeper's `dataDir`, the
/// broker's `log.dirs`.
pub fn data_folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Zookeeper => "data",
        Kind::Broker => "kafka-logs",
    }
}

/// The servers of `options` on `topology`, their configs written for a cluster in `dir` (an
/// absolute path: the servers are started in their own folders).
pub fn plan(topology: &Topology, options: &Options, dir: &Path) -> Result<Vec<Planned>, String> {
    if options.brokers == 0 || options.brokers > MAX_BROKERS {
        return Err(format!(
            "--brokers must be 1 to {MAX_BROKERS}, not {}",
            options.brokers
        ));
    }
    let ports = Ports {
        base: options.base_port,
    };
    let zk_hosts: Vec<&Host> = topology.zookeepers().collect();
    let zk_servers: Vec<Server> = zk_hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let i = i as u32;
            Server {
                name: format!("zk{}", h.zookeeper_id.unwrap_or(i + 1)),
                host: h.name.clone(),
                kind: Kind::Zookeeper,
                port: ports.zk_client(i),
                peer_ports: Some((ports.zk_quorum(i), ports.zk_election(i))),
                config: "zoo.cfg".into(),
            }
        })
        .collect();
    let connect = {
        let servers: Vec<String> = zk_servers.iter().map(Server::address).collect();
        format!("{}{}", servers.join(","), topology.kafka.chroot)
    };
    let err = |e: TopologyError| e.to_string();
    let mut planned = Vec::new();
    for (server, host) in zk_servers.iter().zip(&zk_hosts) {
        let data = dir.join(&server.name).join(data_folder(Kind::Zookeeper));
        planned.push(Planned {
            config_text: loopback_zoo_cfg(topology, &host.name, &data, server, &zk_servers)
                .map_err(err)?,
            myid: Some(topology.myid(&host.name).map_err(err)?),
            server: server.clone(),
        });
    }
    let topology = with_brokers(topology, options.brokers);
    for (i, host) in topology
        .hosts
        .iter()
        .filter(|h| h.has(Role::Kafka))
        .enumerate()
    {
        let id = host.broker_id.unwrap_or(i as u32 + 1);
        let server = Server {
            name: format!("broker{id}"),
            host: host.name.clone(),
            kind: Kind::Broker,
            port: ports.broker(i as u32),
            peer_ports: None,
            config: "server.properties".into(),
        };
        let logs = dir.join(&server.name).join(data_folder(Kind::Broker));
        planned.push(Planned {
            config_text: loopback_server_properties(
                &topology, &host.name, &logs, &server, &connect,
            )
            .map_err(err)?,
            myid: None,
            server,
        });
    }
    Ok(planned)
}

/// `topology` with exactly `n` Kafka hosts: the first `n` of its own, then new ones named after
/// its last (`kafka03` → `kafka04`), as a fourth VM would be added to the slides' install.
fn with_brokers(topology: &Topology, n: u32) -> Topology {
    let mut t = topology.clone();
    let kafka: Vec<Host> = t
        .hosts
        .iter()
        .filter(|h| h.has(Role::Kafka))
        .cloned()
        .collect();
    let keep: Vec<String> = kafka
        .iter()
        .take(n as usize)
        .map(|h| h.name.clone())
        .collect();
    // A co-located host beyond n keeps its ZooKeeper and loses only its broker.
    for h in &mut t.hosts {
        if h.has(Role::Kafka) && !keep.contains(&h.name) {
            h.roles.retain(|r| *r != Role::Kafka);
            h.broker_id = None;
        }
    }
    let Some(last) = kafka.last() else {
        return t;
    };
    let mut next_id = kafka.iter().filter_map(|h| h.broker_id).max().unwrap_or(0);
    let mut name = last.name.clone();
    for _ in kafka.len()..n as usize {
        next_id += 1;
        name = next_name(&name, &t);
        t.hosts.push(Host {
            name: name.clone(),
            roles: vec![Role::Kafka],
            zookeeper_id: None,
            broker_id: Some(next_id),
            ..last.clone()
        });
    }
    t
}

/// `kafka03` → `kafka04` (keeping the digits' width); a name without digits gets `-2`, `-3`….
fn next_name(name: &str, t: &Topology) -> String {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, number) = name.split_at(name.len() - digits);
    let mut n: u64 = number.parse().unwrap_or(1);
    loop {
        n += 1;
        let candidate = format!("{stem}{n:0digits$}");
        if t.hosts.iter().all(|h| h.name != candidate) {
            return candidate;
        }
    }
}

/// The topology's zoo.cfg of `host`, on loopback: its own data folder, client port and
/// `clientPortAddress=127.0.0.1`, and `server.N` lines with 127.0.0.1 and each server's ports.
pub fn loopback_zoo_cfg(
    topology: &Topology,
    host: &str,
    data_dir: &Path,
    me: &Server,
    ensemble: &[Server],
) -> Result<String, TopologyError> {
    let original = topology.zoo_cfg(host)?;
    let install_port = topology.zookeeper.client_port;
    let mut out = String::new();
    let mut servers_written = false;
    for (i, line) in original.lines().enumerate() {
        if i == 0 {
            out.push_str(&header("zoo.cfg", host, topology));
        } else if line.starts_with("dataDir=") {
            out.push_str(&format!("dataDir={}\n", data_dir.display()));
        } else if line.starts_with("clientPort=") {
            out.push_str(&format!(
                "clientPort={}\n# Only this machine connects (a VM listens on every interface).\nclientPortAddress=127.0.0.1\n",
                me.port
            ));
        } else if line.starts_with("server.") {
            if !servers_written {
                out.push_str(
                    "# All hosts are 127.0.0.1 here, so each server has a quorum and an election port of its own.\n",
                );
                for (s, h) in ensemble.iter().zip(topology.zookeepers()) {
                    let (quorum, election) = s.peer_ports.unwrap_or_default();
                    out.push_str(&format!(
                        "server.{}=127.0.0.1:{quorum}:{election}\n",
                        h.zookeeper_id.unwrap_or_default()
                    ));
                }
                servers_written = true;
            }
        } else {
            let own = format!("nc 127.0.0.1 {}", me.port);
            out.push_str(&line.replace(&format!("nc HOST {install_port}"), &own));
            out.push('\n');
        }
    }
    Ok(out)
}

/// The topology's server.properties of `host`, on loopback: one listener on 127.0.0.1 (on one
/// machine the VMs' INTERNAL and EXTERNAL addresses are the same), its own log folder, and
/// `zookeeper.connect` naming the loopback ensemble under the topology's chroot.
pub fn loopback_server_properties(
    topology: &Topology,
    host: &str,
    log_dir: &Path,
    me: &Server,
    connect: &str,
) -> Result<String, TopologyError> {
    let original = topology.server_properties(host, Target::Docker)?;
    let mut out = String::new();
    // Comments are held until the key they describe: the listener comments of the VMs are
    // replaced together with the listener keys.
    let mut comments = String::new();
    for (i, line) in original.lines().enumerate() {
        if i == 0 {
            out.push_str(&header("server.properties", host, topology));
            continue;
        }
        if line.starts_with('#') {
            comments.push_str(line);
            comments.push('\n');
            continue;
        }
        let key = line.split('=').next().unwrap_or_default();
        let value = match key {
            "listeners" => {
                comments = "# One listener on 127.0.0.1: clients and the other brokers all reach it there.\n".into();
                Some(format!("INTERNAL://127.0.0.1:{}", me.port))
            }
            "advertised.listeners" => Some(format!("INTERNAL://127.0.0.1:{}", me.port)),
            "listener.security.protocol.map" => Some("INTERNAL:PLAINTEXT".into()),
            "log.dirs" => Some(log_dir.display().to_string()),
            "zookeeper.connect" => {
                comments.push_str(
                    "# Lab 11: brokers register under this chroot (step 7); the controller comes in later steps.\n",
                );
                Some(connect.to_string())
            }
            _ => None,
        };
        out.push_str(&comments);
        comments.clear();
        match value {
            Some(v) => out.push_str(&format!("{key}={v}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str(&comments);
    Ok(out)
}

fn header(file: &str, host: &str, topology: &Topology) -> String {
    format!(
        "# {file} of {host} (topology {}), written by `kafkalab cluster up`: the install's file\n\
         # with 127.0.0.1 for every host, ports of its own and its data in the cluster folder.\n",
        topology.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::parse_properties;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn topology(name: &str) -> Topology {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Topology::load(&Topology::path(root, name)).unwrap()
    }

    fn options(topology: &str, brokers: u32) -> Options {
        Options {
            topology: topology.into(),
            brokers,
            zookeeper: Flavor::Ours,
            base_port: None,
        }
    }

    fn map(text: &str) -> BTreeMap<String, String> {
        parse_properties(text).into_iter().collect()
    }

    /// The keys that differ between `a` and `b`, sorted.
    fn changed(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
        let mut keys: Vec<String> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn the_study_cluster_is_the_slides_configs_with_loopback_addresses() {
        let t = topology("study");
        let dir = PathBuf::from("/tmp/c");
        let planned = plan(&t, &options("study", 3), &dir).unwrap();
        let names: Vec<(&str, &str, u16)> = planned
            .iter()
            .map(|p| {
                (
                    p.server.name.as_str(),
                    p.server.host.as_str(),
                    p.server.port,
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("zk1", "kafka01", 2181),
                ("zk2", "kafka02", 2182),
                ("zk3", "kafka03", 2183),
                ("broker1", "kafka01", 9092),
                ("broker2", "kafka02", 9093),
                ("broker3", "kafka03", 9094),
            ]
        );

        let zk2 = map(&planned[1].config_text);
        let slides = map(&t.zoo_cfg("kafka02").unwrap());
        assert_eq!(
            changed(&slides, &zk2),
            [
                "clientPort",
                "clientPortAddress",
                "dataDir",
                "server.1",
                "server.2",
                "server.3"
            ]
        );
        assert_eq!(zk2["server.2"], "127.0.0.1:2889:3889");
        assert_eq!(zk2["dataDir"], "/tmp/c/zk2/data");
        assert_eq!(planned[1].myid.as_deref(), Some("2\n"));

        let broker3 = map(&planned[5].config_text);
        let slides = map(&t.server_properties("kafka03", Target::Docker).unwrap());
        assert_eq!(
            changed(&slides, &broker3),
            [
                "advertised.listeners",
                "listener.security.protocol.map",
                "listeners",
                "log.dirs",
                "zookeeper.connect"
            ]
        );
        assert_eq!(broker3["listeners"], "INTERNAL://127.0.0.1:9094");
        assert_eq!(
            broker3["zookeeper.connect"],
            "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183/my-kafka-cluster"
        );
        assert_eq!(broker3["broker.id"], "3");
        assert!(planned[5]
            .config_text
            .contains("written by `kafkalab cluster up`"));
        assert!(!planned[5].config_text.contains("EXTERNAL"));
    }

    #[test]
    fn a_base_port_puts_every_port_in_one_block() {
        let t = topology("book");
        let mut o = options("book", 4);
        o.base_port = Some(20000);
        let planned = plan(&t, &o, Path::new("/c")).unwrap();
        let mut ports: Vec<u16> = planned
            .iter()
            .flat_map(|p| p.server.ports().into_iter().map(|(port, _)| port))
            .collect();
        ports.sort();
        assert_eq!(
            ports,
            [
                20000, 20001, 20002, 20010, 20011, 20012, 20020, 20021, 20022, 20030, 20031, 20032,
                20033
            ]
        );
        let hosts: Vec<&str> = planned.iter().map(|p| p.server.host.as_str()).collect();
        assert_eq!(
            hosts,
            [
                "peter-zk01",
                "peter-zk02",
                "peter-zk03",
                "peter-kafka01",
                "peter-kafka02",
                "peter-kafka03",
                "peter-kafka04"
            ]
        );
        assert!(map(&planned[6].config_text)["zookeeper.connect"].ends_with("/kafka3"));
        assert_eq!(map(&planned[6].config_text)["broker.id"], "4");
    }

    #[test]
    fn fewer_brokers_keep_every_zookeeper_and_a_bad_count_is_refused() {
        let t = topology("study");
        let planned = plan(&t, &options("study", 1), Path::new("/c")).unwrap();
        let names: Vec<&str> = planned.iter().map(|p| p.server.name.as_str()).collect();
        assert_eq!(names, ["zk1", "zk2", "zk3", "broker1"]);
        let err = plan(&t, &options("study", 0), Path::new("/c")).unwrap_err();
        assert!(err.contains("--brokers must be 1 to 10"), "{err}");
    }
}
