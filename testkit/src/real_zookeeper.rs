//! Debian's real ZooKeeper 3.8 as a process, standalone, on a loopback port — the reference our
//! coordinator is compared with. Callers check first that it is installed
//! ([`RealZooKeeper::installed`]).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// A running ZooKeeper; killed (SIGKILL) on drop.
pub struct RealZooKeeper {
    child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
}

impl RealZooKeeper {
    /// Whether Debian's ZooKeeper can run here: `java` and the `zookeeper` package (its
    /// zkCli.sh). As with [`crate::tool`], a missing one skips the test, or fails it under
    /// KAFKALAB_REQUIRE_ALL.
    pub fn installed() -> bool {
        crate::tool("java", "apt-get install default-jre-headless")
            && crate::tool_path(
                "/usr/share/zookeeper/bin/zkCli.sh",
                "apt-get install zookeeper",
            )
    }

    /// ZooKeeper with its zoo.cfg in `dir` and its dataDir `dir/data`.
    pub fn start(dir: &Path) -> RealZooKeeper {
        RealZooKeeper::start_on_data_dir(dir, &dir.join("data"))
    }

    /// ZooKeeper with its zoo.cfg in `dir` and the dataDir `data_dir` (one it finds written
    /// already, by another ZooKeeper or by ours, it loads). Waits until it serves sessions.
    pub fn start_on_data_dir(dir: &Path, data_dir: &Path) -> RealZooKeeper {
        RealZooKeeper::start_with_tick(dir, data_dir, 2000)
    }

    /// The same with `tickTime=tick_ms`. ZooKeeper expires sessions tick by tick and raises a
    /// session timeout to at least two ticks: a test that waits for a killed client's session
    /// to expire takes a short tick, so the wait is the timeout it asked for and not 4–6 s.
    pub fn start_with_tick(dir: &Path, data_dir: &Path, tick_ms: u32) -> RealZooKeeper {
        let port = free_port();
        let config = dir.join("zoo.cfg");
        std::fs::write(
            &config,
            format!(
                "tickTime={tick_ms}\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=ruok,srvr\nadmin.enableServer=false\n",
                data_dir.display()
            ),
        )
        .unwrap();
        let child = Command::new("java")
            .args([
                "-cp",
                "/usr/share/java/*:/etc/zookeeper/conf",
                "org.apache.zookeeper.server.ZooKeeperServerMain",
            ])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut zk = RealZooKeeper {
            child,
            port,
            data_dir: data_dir.to_path_buf(),
        };
        // Wait until it serves (the JVM takes a few seconds). `ruok` is not enough: ZooKeeper
        // answers `imok` as soon as it listens, while it still loads its data and closes every
        // session until then. `srvr` says "not currently serving requests" until it serves.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                // A JVM still starting may accept and then say nothing: without a read timeout
                // this wait would have no end.
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"srvr");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("Zookeeper version") && answer.contains("Mode:") {
                    return zk;
                }
            }
            if let Ok(Some(status)) = zk.child.try_wait() {
                panic!("ZooKeeper exited before it served: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for RealZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
