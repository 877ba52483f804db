//! Our broker as a process: `kafkalab-tools kafka-server-start server.properties` on a loopback
//! port.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running broker process; stopped with SIGTERM (a graceful, flushing shutdown) on drop.
pub struct Broker {
    child: Child,
    pub port: u16,
}

impl Broker {
    pub fn start(dir: &Path, port: u16) -> Broker {
        Broker::start_with(dir, port, "")
    }

    /// Like [`Broker::start`], with `extra` lines appended to `server.properties`.
    pub fn start_with(dir: &Path, port: u16, extra: &str) -> Broker {
        let config = dir.join("server.properties");
        std::fs::write(
            &config,
            format!(
                "broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\nnum.partitions=3\n{extra}",
                dir.join("logs").display()
            ),
        )
        .unwrap();
        let mut child = Command::new(crate::tools_bin())
            .arg("kafka-server-start")
            .arg(&config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        crate::wait_for_banner(&mut child, "kafkalab broker started");
        Broker { child, port }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn stop(mut self) {
        self.terminate();
    }

    /// `kill -9`: no shutdown, no flush. Appended records are in the OS page cache already, so
    /// they survive a process crash (an OS crash is what the fsync policy is for).
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

pub use crate::free_port;
