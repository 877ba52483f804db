//! `zookeeper.connect`: the servers a broker may talk to, and the chroot its znodes live under.
//!
//! ```text
//! zookeeper.connect=kafka01:2181,kafka02:2181,kafka03:2181/my-kafka-cluster
//!                   '------------- servers --------------''--- chroot ---'
//! ```
//!
//! ZooKeeper's client (`ConnectStringParser`) splits at the first `/`: everything after it is
//! the chroot, a prefix the client adds to every path. So when the slides' brokers write
//! `/brokers/ids/1`, the ensemble stores `/my-kafka-cluster/brokers/ids/1` — and two Kafka
//! clusters can share one ensemble. A server without a port uses 2181.

use crate::error::{Error, Result};

/// ZooKeeper's default client port, used when a server names none.
pub const DEFAULT_PORT: u16 = 2181;

/// A parsed `zookeeper.connect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkConnect {
    /// `(host, port)` in the order written.
    pub servers: Vec<(String, u16)>,
    /// The chroot without a trailing `/`, e.g. `/my-kafka-cluster`; `None` for the root.
    pub chroot: Option<String>,
}

impl ZkConnect {
    /// Parses `host:port,host:port/chroot`. An empty server list, an empty host, a bad port, or
    /// a chroot that is not a valid ZooKeeper path (empty segment, trailing `/`, `.` or `..`)
    /// is `BadConnectString`. A chroot of just `/` means none.
    pub fn parse(value: &str) -> Result<ZkConnect> {
        // BEGIN SOLUTION step 1: split off the chroot at the first slash, then parse each host and optional port
        // ko: 첫 번째 슬래시에서 chroot를 떼어 내고, 각 호스트와 (있으면) 포트를 파싱하세요
        let bad = |reason: &str| Error::BadConnectString {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let value_trimmed = value.trim();
        let (hosts, chroot) = match value_trimmed.find('/') {
            Some(i) => (&value_trimmed[..i], Some(&value_trimmed[i..])),
            None => (value_trimmed, None),
        };
        let chroot = match chroot {
            None | Some("/") => None,
            Some(path) => {
                if path.ends_with('/') {
                    return Err(bad("the chroot must not end with '/'"));
                }
                for segment in path[1..].split('/') {
                    if segment.is_empty() || segment == "." || segment == ".." {
                        return Err(bad(
                            "the chroot must be a ZooKeeper path like /my-kafka-cluster (no empty, '.' or '..' parts)",
                        ));
                    }
                }
                Some(path.to_string())
            }
        };
        let mut servers = Vec::new();
        for server in hosts.split(',') {
            let server = server.trim();
            if server.is_empty() {
                return Err(bad("an empty server; write host:port,host:port"));
            }
            let (host, port) = match server.rsplit_once(':') {
                Some((host, port)) => {
                    let port: u16 = port
                        .parse()
                        .ok()
                        .filter(|p| *p != 0)
                        .ok_or_else(|| bad(&format!("{port:?} is not a port (1-65535)")))?;
                    (host, port)
                }
                None => (server, DEFAULT_PORT),
            };
            if host.is_empty() {
                return Err(bad("a server without a host"));
            }
            servers.push((host.to_string(), port));
        }
        Ok(ZkConnect { servers, chroot })
        // END SOLUTION
    }

    /// The path the ensemble stores for Kafka's `path` (which starts with `/`): the chroot
    /// prepended. `path("/")` is the chroot itself.
    pub fn path(&self, path: &str) -> String {
        // BEGIN SOLUTION step 1: prepend the chroot, and map the root to the chroot itself
        // ko: chroot를 앞에 붙이고, 루트는 chroot 자체로 바꾸세요
        match &self.chroot {
            None => path.to_string(),
            Some(chroot) if path == "/" => chroot.clone(),
            Some(chroot) => format!("{chroot}{path}"),
        }
        // END SOLUTION
    }

    /// The servers as `host:port,host:port`, without the chroot (what a ZooKeeper client dials).
    pub fn servers_string(&self) -> String {
        self.servers
            .iter()
            .map(|(h, p)| format!("{h}:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}
