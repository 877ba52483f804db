//! Our coordinator as a process: `kafkalab-tools zookeeper-server-start zoo.cfg` on a loopback
//! port.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::free_port;

/// A running coordinator; killed with SIGKILL (no shutdown at all) on drop.
pub struct Coordinator {
    child: Child,
    pub port: u16,
}

impl Coordinator {
    /// `kafkalab-tools zookeeper-server-start` with a zoo.cfg in `dir` (plus `extra` lines).
    pub fn start(dir: &Path, extra: &str) -> Coordinator {
        Coordinator::start_on(dir, free_port(), extra)
    }

    /// The same on a given port (a restart where clients expect it).
    pub fn start_on(dir: &Path, port: u16, extra: &str) -> Coordinator {
        let config = dir.join("zoo.cfg");
        std::fs::write(
            &config,
            format!(
                "dataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n{extra}",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let mut child = Command::new(crate::tools_bin())
            .arg("zookeeper-server-start")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        crate::wait_for_banner(&mut child, "kafkalab zookeeper started");
        Coordinator { child, port }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
