//! A three-server ZooKeeper ensemble on loopback, made of our coordinators, Debian's real
//! ZooKeeper 3.8 servers, or a mix: the same fault tests run on each, so what ours does can be
//! compared with what ZooKeeper does.
//!
//! Every server gets its own `dataDir` with a `myid`, a client port, and `server.N` lines with a
//! quorum and an election port on 127.0.0.1. Faults are signals: `kill` is `kill -9` (nothing
//! flushed, the process is gone), `pause` is SIGSTOP (the server is cut off from everyone: it
//! neither answers nor sends) and `resume` is SIGCONT (the cut is healed).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// Which implementation a member runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `kafkalab-tools zookeeper-server-start zoo.cfg`.
    Ours,
    /// Debian's ZooKeeper 3.8: `java … org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg`.
    Real,
}

/// One member: its id, ports and process.
pub struct Member {
    pub myid: i64,
    pub kind: Kind,
    pub client_port: u16,
    /// The `server.N` line's ports: followers call the leader's quorum port, and every member
    /// every other's election port.
    pub quorum_port: u16,
    pub election_port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

pub struct Ensemble {
    pub members: Vec<Member>,
}

/// `tickTime` of the test ensembles: short, so that elections and timeouts take seconds.
pub const TICK_MS: u64 = 500;

impl Ensemble {
    /// Starts one member per entry of `kinds` (ids 1, 2, 3 …) under `root`, with a small
    /// `snapCount` so that the tests see snapshots (and SNAP syncs) too.
    pub fn start(root: &Path, kinds: &[Kind]) -> Ensemble {
        Ensemble::start_with_snap_count(root, kinds, 100)
    }

    /// [`Ensemble::start`] with `snapCount` chosen: a benchmark keeps ZooKeeper's default
    /// (100,000), so that it measures the write path rather than snapshots.
    pub fn start_with_snap_count(root: &Path, kinds: &[Kind], snap_count: u64) -> Ensemble {
        let mut ensemble = Ensemble::configure(root, kinds, snap_count);
        for m in &mut ensemble.members {
            m.spawn();
        }
        for m in &mut ensemble.members {
            m.wait_serving(Duration::from_secs(90));
        }
        ensemble
    }

    /// Writes every member's `zoo.cfg` and `myid` and starts none: a test can do something to
    /// the ports first, then `spawn` each member.
    pub fn configure(root: &Path, kinds: &[Kind], snap_count: u64) -> Ensemble {
        let ports: Vec<(u16, u16, u16)> = kinds
            .iter()
            .map(|_| (free_port(), free_port(), free_port()))
            .collect();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (_, q, e))| format!("server.{}=127.0.0.1:{q}:{e}\n", i + 1))
            .collect();
        let mut members = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            let myid = i as i64 + 1;
            let dir = root.join(format!("zk{myid}"));
            std::fs::create_dir_all(dir.join("data")).unwrap();
            std::fs::write(dir.join("data/myid"), format!("{myid}\n")).unwrap();
            std::fs::write(
                dir.join("zoo.cfg"),
                format!(
                    "tickTime={TICK_MS}\ninitLimit=10\nsyncLimit=4\ndataDir={}\nclientPort={}\n\
                     clientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n\
                     maxClientCnxns=0\nsnapCount={snap_count}\n{servers}",
                    dir.join("data").display(),
                    ports[i].0
                ),
            )
            .unwrap();
            members.push(Member {
                myid,
                kind: *kind,
                client_port: ports[i].0,
                quorum_port: ports[i].1,
                election_port: ports[i].2,
                dir,
                child: None,
            });
        }
        Ensemble { members }
    }

    /// `127.0.0.1:p1,127.0.0.1:p2,…` for a client that may use any member.
    pub fn hosts(&self) -> String {
        self.members
            .iter()
            .map(|m| m.address())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The index of the member that says `Mode: leader`, waiting up to `limit` for one.
    pub fn wait_leader(&self, limit: Duration) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            for (i, m) in self.members.iter().enumerate() {
                if m.is_running() && m.mode().as_deref() == Some("leader") {
                    return i;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no member said `Mode: leader` within {limit:?}: {}",
                self.describe()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every running member's `srvr` mode, for failure messages.
    pub fn describe(&self) -> String {
        self.members
            .iter()
            .map(|m| {
                format!(
                    "server.{} ({:?}, {}): {}",
                    m.myid,
                    m.kind,
                    if m.is_running() { "running" } else { "stopped" },
                    m.mode().unwrap_or_else(|| "-".into())
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Member {
    /// Starts the member's process (its log appends to `server.log`).
    pub fn spawn(&mut self) {
        let config = self.dir.join("zoo.cfg");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        let mut command = match self.kind {
            Kind::Ours => {
                let mut c = Command::new(crate::tools_bin());
                // Info: the log tells which role it took and how it synchronized.
                c.env("RUST_LOG", "info").arg("zookeeper-server-start");
                c
            }
            Kind::Real => {
                let mut c = Command::new("java");
                c.args([
                    "-Xmx256m",
                    "-cp",
                    "/usr/share/java/*:/etc/zookeeper/conf",
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                ]);
                c
            }
        };
        let child = command
            .arg(&config)
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// A four-letter word's answer (empty if the member does not answer).
    pub fn four_letter(&self, word: &str) -> String {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.client_port)) else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = s.write_all(word.as_bytes());
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    }

    /// `Mode:` of `srvr`: leader, follower, standalone — `None` while not serving.
    pub fn mode(&self) -> Option<String> {
        self.four_letter("srvr")
            .lines()
            .find_map(|l| l.strip_prefix("Mode: ").map(|m| m.trim().to_string()))
    }

    /// Waits until the client port accepts connections (the JVM takes a few seconds). A member
    /// that exits or does not open its port in time fails the test with the end of its log:
    /// the log's folder is gone once the test has failed.
    pub fn wait_serving(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while TcpStream::connect(("127.0.0.1", self.client_port)).is_err() {
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            let what = match exited {
                Some(status) => format!("exited ({status})"),
                None if Instant::now() >= deadline => format!("did not open it within {limit:?}"),
                None => {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            panic!(
                "server.{} ({:?}) on client port {} {what}; the end of its log:\n{}",
                self.myid,
                self.kind,
                self.client_port,
                self.log_tail(40)
            );
        }
    }

    /// The last `lines` lines of the member's log (stdout and stderr, across restarts).
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// `kill -9`: nothing is flushed or closed in order.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the member again on the same data directory and ports.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
        self.wait_serving(Duration::from_secs(90));
    }

    /// SIGSTOP: the member neither answers nor sends, as if its network were cut.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT: the cut is healed.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let status = Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status()
                .unwrap();
            assert!(status.success(), "kill {signal} failed");
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.resume();
        self.kill();
    }
}
