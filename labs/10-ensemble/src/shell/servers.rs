//! The `server.N` lines of zoo.cfg: `server.N=host:quorumPort:electionPort[:role][;clientPort]`
//! (the slides: `server.1=kafka01:2888:3888`).

use std::net::{SocketAddr, ToSocketAddrs};

use crate::messages::Sid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    pub sid: Sid,
    pub host: String,
    pub quorum_port: u16,
    pub election_port: u16,
}

impl ServerLine {
    /// Every line of `servers` (as lab 08's `ZooConfig` keeps them: sid, value).
    pub fn parse_all(servers: &[(i64, String)]) -> Result<Vec<ServerLine>, String> {
        let mut lines: Vec<ServerLine> = servers
            .iter()
            .map(|(sid, value)| ServerLine::parse(*sid, value))
            .collect::<Result<_, _>>()?;
        lines.sort_by_key(|l| l.sid);
        if lines.len() < 2 {
            return Err(
                "an ensemble needs at least two server.N lines (three to survive a failure)".into(),
            );
        }
        Ok(lines)
    }

    pub fn parse(sid: Sid, value: &str) -> Result<ServerLine, String> {
        let bad = || {
            format!(
                "server.{sid}={value}: expected host:quorumPort:electionPort, as in server.{sid}=kafka0{sid}:2888:3888"
            )
        };
        let address = value.split(';').next().unwrap_or_default();
        let parts: Vec<&str> = address.split(':').collect();
        if parts.len() < 3 || parts[0].is_empty() {
            return Err(bad());
        }
        if parts.len() == 4 && parts[3] != "participant" {
            return Err(format!(
                "server.{sid}={value}: only participants are supported (not {})",
                parts[3]
            ));
        }
        Ok(ServerLine {
            sid,
            host: parts[0].to_string(),
            quorum_port: parts[1].parse().map_err(|_| bad())?,
            election_port: parts[2].parse().map_err(|_| bad())?,
        })
    }

    pub fn quorum_address(&self) -> String {
        format!("{}:{}", self.host, self.quorum_port)
    }

    pub fn election_address(&self) -> String {
        format!("{}:{}", self.host, self.election_port)
    }

    /// The address to listen on for the quorum port: the line's host, as ZooKeeper binds it
    /// (`quorumListenOnAllIPs=false`).
    pub fn quorum_bind(&self) -> String {
        self.quorum_address()
    }

    pub fn election_bind(&self) -> String {
        self.election_address()
    }

    /// The quorum config text ZooKeeper 3.8 sends in notifications and NEWLEADER
    /// (`QuorumMaj.toString()`): one `server.N=host:q:e:participant` line each, then `version=0`.
    pub fn config_text(lines: &[ServerLine]) -> String {
        let mut text: String = lines
            .iter()
            .map(|l| {
                format!(
                    "server.{}={}:{}:{}:participant\n",
                    l.sid, l.host, l.quorum_port, l.election_port
                )
            })
            .collect();
        text.push_str("version=0");
        text
    }
}

/// A listener on `address` with SO_REUSEADDR, so that a port given up a moment ago (a role
/// that ended) can be taken again at once.
pub fn listen(address: &str) -> std::io::Result<tokio::net::TcpListener> {
    let addr: SocketAddr = address.to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{address} does not resolve"),
        )
    })?;
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}
