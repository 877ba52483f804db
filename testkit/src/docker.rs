//! A topology of docker/compose.*.yml in containers, for tests: the image built offline by
//! docker/build-images.sh (Debian's ZooKeeper, or the `lab` flavor's kafkalab-tools), a copy of
//! the Compose file with names and ports of its own, and checks run inside the containers with
//! `docker exec` (`srvr`, zkCli.sh), so all traffic stays on this machine.
//!
//! The copy differs in names and ports only: container and network names get this process's id
//! and a label, and ports are published on free ports of 127.0.0.1, so a learner's running
//! cluster, or another `cargo test` on the same machine, is left alone. Every wait is bounded and
//! says what it waited for when it gives up. Dropping a [`Cluster`] removes its containers,
//! network and volumes; a `lab` image stays, the cache of the next run of the same binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{built_tools_bin, compose_command, repo, run_ok, tool};

/// Which servers the image runs (docker/build-images.sh's `KL_FLAVOR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Debian's ZooKeeper 3.8, the real one (the offline flavor).
    Debian,
    /// This workspace's `kafkalab-tools`: our coordinator and broker.
    Lab,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::Debian => "debian",
            Flavor::Lab => "lab",
        }
    }
}

/// Clusters share the image build and a 2-core machine, so the tests of one process take turns.
static ONE_CLUSTER_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for this process's other clusters (Compose or testcontainers) to finish: hold the
/// guard while the containers run.
pub fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_CLUSTER_AT_A_TIME
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Whether Docker and what docker/build-images.sh needs (ruby, debootstrap) are here; prints
/// how to get them when not, and fails under `KAFKALAB_REQUIRE_ALL=1`.
pub fn can_build_images() -> bool {
    tool("docker", "install Docker Engine")
        && tool("ruby", "apt-get install ruby")
        && tool("debootstrap", "apt-get install debootstrap")
}

/// Builds (or finds, by content hash) the image of `flavor` with docker/build-images.sh and
/// returns its name, e.g. `kafkalab/node:0123abcd4567-lab-89ef…`. The `lab` flavor's image holds
/// the `kafkalab-tools` this `cargo test` built, checked to run in the image's Debian 12.
/// Leaves the learner's `kafkalab/node:latest` where it was. A `lab` image stays as the cache
/// of the next run with the same binary; those of other binaries are removed.
pub fn build_image(topology: &str, flavor: Flavor) -> String {
    let mut build = Command::new("sh");
    build
        .arg(repo().join("docker/build-images.sh"))
        .arg(topology)
        .env("KL_FLAVOR", flavor.name())
        .env("KL_TAG_LATEST", "0");
    if flavor == Flavor::Lab {
        build.env("KL_LAB_BIN", built_tools_bin());
    }
    let built = run_ok(&mut build);
    let image = built.lines().last().unwrap().trim().to_string();
    if flavor == Flavor::Lab {
        check_lab_binary_runs(&image);
        remove_other_lab_images(&image);
    }
    image
}

/// The binary is the one `cargo test` built on this machine: it runs in the image only if
/// this machine's C library is not newer than the image's Debian 12 one.
fn check_lab_binary_runs(image: &str) {
    let out = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--entrypoint",
            "/opt/kafkalab/bin/kafkalab-tools",
        ])
        .arg(image)
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kafkalab-tools does not run in {image} (Debian 12); build it on Debian 12 or older:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes the `lab` images of other binaries (each is the shared node image plus one build's
/// binary, ~200 MB). Docker keeps those that containers still run from.
fn remove_other_lab_images(keep: &str) {
    let listed = run_ok(Command::new("docker").args([
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
        "kafkalab/node",
    ]));
    for image in listed.lines().filter(|i| i.contains("-lab-") && *i != keep) {
        let _ = Command::new("docker").args(["rmi", image]).output();
    }
}

/// One topology's containers, started from a renamed copy of its Compose file.
pub struct Cluster {
    compose: Vec<String>,
    image: String,
    topology: &'static str,
    flavor: Flavor,
    prefix: String,
    file: PathBuf,
    _dir: tempfile::TempDir,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Cluster {
    /// Builds the image of `flavor` and returns the cluster of `topology`, not started yet; or
    /// `None` if a tool is missing outside CI. `label` keeps the names of two clusters of one
    /// test apart.
    pub fn new(topology: &'static str, flavor: Flavor, label: &str) -> Option<Cluster> {
        if !can_build_images() {
            return None;
        }
        let compose = compose_command()?;
        let turn = take_turn();
        let image = build_image(topology, flavor);
        let prefix = format!("kafkalab-test-{}-{label}-", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let file = compose_file_for_test(topology, &prefix, dir.path());
        let cluster = Cluster {
            compose,
            image,
            topology,
            flavor,
            prefix,
            file,
            _dir: dir,
            _turn: turn,
        };
        let _ = cluster
            .command()
            .args(["down", "-v", "--remove-orphans"])
            .output();
        Some(cluster)
    }

    /// `docker compose -f COPY -p PROJECT`, with the image this cluster runs.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.compose[0]);
        cmd.args(&self.compose[1..])
            .arg("-f")
            .arg(&self.file)
            .args(["-p", &format!("{}{}", self.prefix, self.topology)])
            .env("KAFKALAB_IMAGE", &self.image);
        cmd
    }

    /// Runs `docker compose ARGS`; panics with its output if it fails.
    pub fn compose(&self, args: &[&str]) {
        run_ok(self.command().args(args));
    }

    /// The container of a host: the Compose files name them `kafkalab-<topology>-<host>`.
    pub fn container(&self, host: &str) -> String {
        format!("{}{}-{host}", self.prefix, self.topology)
    }

    /// The Compose network all hosts are on (`kafkalab-<topology>` in the Compose file).
    pub fn network(&self) -> String {
        format!("{}{}", self.prefix, self.topology)
    }

    /// Which servers run, for messages.
    pub fn describe(&self) -> &'static str {
        match self.flavor {
            Flavor::Debian => "real (Debian's ZooKeeper 3.8)",
            Flavor::Lab => "lab (ours)",
        }
    }

    /// `docker exec CONTAINER ARGS`: its output, whether it succeeded or not.
    pub fn exec(&self, host: &str, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .arg("exec")
            .arg(self.container(host))
            .args(args)
            .output()
            .unwrap()
    }

    /// What `srvr` says on `host`'s client port, asked from inside its container; empty when
    /// nothing answers.
    pub fn srvr(&self, host: &str) -> String {
        srvr_in(&self.container(host))
    }

    /// `leader` or `follower`; `None` while `host` serves no clients (no quorum, an election).
    pub fn mode(&self, host: &str) -> Option<String> {
        self.srvr(host)
            .lines()
            .find_map(|l| l.strip_prefix("Mode: ").map(str::to_string))
    }

    /// The modes of `hosts`, sorted, e.g. ["follower", "follower", "leader"].
    pub fn modes(&self, hosts: &[&str]) -> Vec<String> {
        let mut m: Vec<String> = hosts
            .iter()
            .map(|h| self.mode(h).unwrap_or_else(|| "none".into()))
            .collect();
        m.sort();
        m
    }

    pub fn wait_for_modes(&self, hosts: &[&str], expected: &[&str], limit: Duration) {
        wait_for(
            &format!("{hosts:?} to be {expected:?} ({})", self.describe()),
            limit,
            || {
                let now = self.modes(hosts);
                (now == expected).then(|| format!("{now:?}"))
            },
        );
    }

    /// Docker's health status of `host`'s container (`starting`, `healthy`, `unhealthy`): the
    /// Compose file's check, vagrant/provision/healthcheck.sh.
    pub fn health(&self, host: &str) -> String {
        run_ok(Command::new("docker").args([
            "inspect",
            "-f",
            "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
            &self.container(host),
        ]))
        .trim()
        .to_string()
    }

    /// The host of `hosts` whose server leads.
    pub fn leader(&self, hosts: &[&str]) -> String {
        hosts
            .iter()
            .find(|h| self.mode(h).as_deref() == Some("leader"))
            .expect("a leader")
            .to_string()
    }

    /// Runs one zkCli.sh command against the server in `host`'s container; its stdout and
    /// stderr (zkCli.sh writes "Created /path" to stderr). Panics if zkCli.sh fails.
    pub fn zk_cli(&self, host: &str, args: &[&str]) -> String {
        let mut all = vec!["zkCli.sh", "-server", "127.0.0.1:2181"];
        all.extend_from_slice(args);
        let out = self.exec(host, &all);
        let text = output_text(&out);
        assert!(
            out.status.success(),
            "zkCli.sh {args:?} on {host} ({}) failed:\n{text}",
            self.describe()
        );
        text
    }

    /// Runs zkCli.sh in `host`'s container with `commands` (one a line) on its standard input,
    /// all in one session, stopped after `limit`; its stdout and stderr, whatever the outcome.
    pub fn zk_cli_script(&self, host: &str, commands: &str, limit: Duration) -> String {
        zk_cli_script_in(&self.container(host), commands, limit)
    }

    /// `docker network disconnect`: `host` can no longer reach the others, nor they it.
    pub fn disconnect(&self, host: &str) {
        run_ok(Command::new("docker").args([
            "network",
            "disconnect",
            &self.network(),
            &self.container(host),
        ]));
    }

    /// `docker network connect`, under the host's name again (Compose gave it that alias; a
    /// disconnect drops it). Docker gives the container a free address of the network, in
    /// practice the one it had: the servers listen on the address their name had when they
    /// started, as ZooKeeper does.
    pub fn connect(&self, host: &str) {
        run_ok(Command::new("docker").args([
            "network",
            "connect",
            "--alias",
            host,
            &self.network(),
            &self.container(host),
        ]));
    }

    /// The container's address on the cluster's network (empty when disconnected).
    pub fn address(&self, host: &str) -> String {
        let format = format!(
            "{{{{with index .NetworkSettings.Networks \"{}\"}}}}{{{{.IPAddress}}}}{{{{end}}}}",
            self.network()
        );
        run_ok(Command::new("docker").args(["inspect", "-f", &format, &self.container(host)]))
            .trim()
            .to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Always clean up, also when an assertion failed half way.
        let _ = self
            .command()
            .args(["down", "-v", "--remove-orphans"])
            .output();
    }
}

/// The Compose file of `topology` as a test runs it: the same services, image, settings and
/// health checks; container and network names start with `prefix` instead of `kafkalab-`, and
/// each `127.0.0.1:PORT:PORT` is published on a free port instead (`127.0.0.1::PORT`).
fn compose_file_for_test(topology: &str, prefix: &str, dir: &Path) -> PathBuf {
    let original = repo().join(format!("docker/compose.{topology}.yml"));
    let text = std::fs::read_to_string(&original).unwrap();
    let mut changed = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            if let Some(name) = trimmed
                .strip_prefix("container_name: kafkalab-")
                .or_else(|| trimmed.strip_prefix("name: kafkalab-"))
            {
                changed += 1;
                let key = trimmed.split(':').next().unwrap();
                format!("{indent}{key}: {prefix}{name}")
            } else if let Some(ports) = trimmed.strip_prefix("- \"127.0.0.1:") {
                changed += 1;
                let container_port = ports.trim_end_matches('"').rsplit(':').next().unwrap();
                format!("{indent}- \"127.0.0.1::{container_port}\"")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(
        changed >= 7,
        "{}: expected container names, a network name and published ports to rename",
        original.display()
    );
    let path = dir.join(format!("compose.{topology}.yml"));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// What `srvr` says on the client port of the ZooKeeper server in `container`, asked from
/// inside it; empty when nothing answers.
pub fn srvr_in(container: &str) -> String {
    let out = Command::new("docker")
        .args(["exec", container, "sh", "-c"])
        .arg("printf srvr | nc -w 2 127.0.0.1 2181")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs Debian's zkCli.sh in `container` against its own server with `commands` (one a line)
/// on its standard input, all in one session, stopped after `limit`; its stdout and stderr,
/// whatever the outcome (zkCli.sh writes "Created /path" to stderr).
pub fn zk_cli_script_in(container: &str, commands: &str, limit: Duration) -> String {
    use std::io::Write;
    let mut child = Command::new("docker")
        .args(["exec", "-i", container, "timeout"])
        .arg(limit.as_secs().to_string())
        .args(["zkCli.sh", "-server", "127.0.0.1:2181"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(commands.as_bytes()).unwrap();
    drop(stdin);
    output_text(&child.wait_with_output().unwrap())
}

/// A command's stdout then stderr, as text.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Polls `done` every half second until it returns what it saw, for at most `limit`; panics
/// with what it waited for when it gives up.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> Option<String>) {
    let start = Instant::now();
    loop {
        if let Some(detail) = done() {
            eprintln!(
                "ok after {:.1}s: {what}: {detail}",
                start.elapsed().as_secs_f64()
            );
            return;
        }
        assert!(
            start.elapsed() < limit,
            "gave up after {}s waiting for: {what}",
            limit.as_secs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
