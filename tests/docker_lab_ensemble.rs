//! The `lab` flavor's study ensemble: three containers (kafka01..03, the slides' zoo.cfg with
//! `server.N=kafka0N:2888:3888` and `myid`) run our coordinator, `kafkalab-tools
//! zookeeper-server-start`, built by this `cargo test`, and form one ensemble of ours (lab 10).
//! The same scenario then runs on the real flavor (Debian's ZooKeeper 3.8 in the same images and
//! Compose file), and both must be seen to do the same:
//!
//! 1. one leader and two followers, and Docker's health check passes; a write through one server
//!    is read through another;
//! 2. `docker network disconnect` cuts the leader off: a client of the cut-off server gets no
//!    write acknowledged (a minority cannot commit), the other two elect a leader among
//!    themselves and keep acknowledging writes;
//! 3. `docker network connect` heals the cut: the server rejoins as a follower and catches up
//!    (its child count matches), and the write it was sent while cut off is nowhere.
//!
//! The checks run inside the containers (`srvr` through nc, zkCli.sh) with `docker exec`; ports
//! are published on 127.0.0.1 only; every wait is bounded. See testkit's `docker` module.

use kafkalab_testkit as support;

use std::time::Duration;

use support::docker::{Cluster, Flavor};

const HOSTS: [&str; 3] = ["kafka01", "kafka02", "kafka03"];

/// Writes the majority takes while one server is cut off.
const WRITES_DURING_CUT: usize = 20;

/// What a learner would see of one run, compared across the two flavors.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    /// `srvr` modes once the three have started, sorted.
    modes: Vec<String>,
    /// Docker's health check (ruok, srvr, the broker's port) passes on all three.
    healthy: bool,
    /// A znode created through kafka01 is read through kafka03.
    read_through_another: bool,
    /// The cut-off server's `Mode:` once it noticed the cut (none: not serving).
    cut_off_mode: Option<String>,
    /// Whether the client of the cut-off server saw its create acknowledged.
    cut_off_acknowledged: bool,
    /// The two others' modes during the cut.
    majority_modes: Vec<String>,
    /// Creates the majority acknowledged during the cut, and the children the other one of
    /// the two reads.
    majority_acknowledged: usize,
    count_on_other: usize,
    /// After `docker network connect`: the healed server's mode and child count.
    healed_mode: Option<String>,
    count_on_healed: usize,
    /// Whether the write sent to the cut-off server exists on any server after the heal.
    cut_off_write_anywhere: bool,
}

fn expected() -> Observed {
    Observed {
        modes: vec!["follower".into(), "follower".into(), "leader".into()],
        healthy: true,
        read_through_another: true,
        cut_off_mode: None,
        cut_off_acknowledged: false,
        majority_modes: vec!["follower".into(), "leader".into()],
        majority_acknowledged: WRITES_DURING_CUT,
        count_on_other: WRITES_DURING_CUT,
        healed_mode: Some("follower".into()),
        count_on_healed: WRITES_DURING_CUT,
        cut_off_write_anywhere: false,
    }
}

/// `numChildren = N` of zkCli.sh's `stat`.
fn num_children(zk_cli_output: &str) -> usize {
    zk_cli_output
        .lines()
        .find_map(|l| l.trim().strip_prefix("numChildren = "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// `COMMAND PATH` through `host` after a `sync PATH` in the same session: a follower may serve a
/// read before it has applied the latest commit, and `sync` makes it catch up with the leader
/// first (ZooKeeper answers one session's requests in order).
fn read_synced(cluster: &Cluster, host: &str, command: &str, path: &str) -> String {
    let script = format!("sync {path}\n{command} {path}\n");
    cluster.zk_cli_script(host, &script, Duration::from_secs(60))
}

fn partition_and_heal(cluster: &Cluster) -> Observed {
    let zk_limit = Duration::from_secs(60);
    cluster.compose(&["up", "-d"]);

    // 1. Three servers elect one leader; the tree is one.
    cluster.wait_for_modes(
        &HOSTS,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    let modes = cluster.modes(&HOSTS);
    // The check runs every 5 s; give it a few rounds.
    support::docker::wait_for(
        &format!("the three to be healthy ({})", cluster.describe()),
        Duration::from_secs(60),
        || {
            let health: Vec<String> = HOSTS.iter().map(|h| cluster.health(h)).collect();
            health
                .iter()
                .all(|h| h != "starting")
                .then(|| format!("{health:?}"))
        },
    );
    let healthy = HOSTS.iter().all(|h| cluster.health(h) == "healthy");
    cluster.zk_cli(
        "kafka01",
        &["create", "/kafkalab-test", "written-via-kafka01"],
    );
    let read_through_another =
        read_synced(cluster, "kafka03", "get", "/kafkalab-test").contains("written-via-kafka01");

    // 2. Cut the leader off. Its client writes at once, while the server may still think it
    //    leads: it can log the proposal but never gets a quorum of acks to commit it.
    let cut = cluster.leader(&HOSTS);
    let others: Vec<&str> = HOSTS.iter().copied().filter(|h| *h != cut).collect();
    let address_before = cluster.address(&cut);
    cluster.disconnect(&cut);
    let reply = cluster.zk_cli_script(&cut, "create /kafkalab-cut minority\n", zk_limit);
    eprintln!(
        "{}: the cut-off {cut}'s client got: {}",
        cluster.describe(),
        reply
            .lines()
            .filter(|l| l.contains("kafkalab-cut") || l.contains("Exception"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let cut_off_acknowledged = reply.contains("Created /kafkalab-cut");
    support::docker::wait_for(
        &format!("the cut-off {cut} to stop serving ({})", cluster.describe()),
        Duration::from_secs(60),
        || {
            cluster
                .mode(&cut)
                .is_none()
                .then(|| cluster.srvr(&cut).trim().to_string())
        },
    );
    let cut_off_mode = cluster.mode(&cut);
    cluster.wait_for_modes(&others, &["follower", "leader"], Duration::from_secs(90));
    let majority_modes = cluster.modes(&others);
    let mut script = String::from("create /kafkalab-partition \"\"\n");
    for i in 0..WRITES_DURING_CUT {
        script.push_str(&format!("create /kafkalab-partition/w{i:02} {i}\n"));
    }
    let written = cluster.zk_cli_script(others[0], &script, zk_limit);
    let majority_acknowledged = written.matches("Created /kafkalab-partition/").count();
    let count_on_other = num_children(&read_synced(
        cluster,
        others[1],
        "stat",
        "/kafkalab-partition",
    ));

    // 3. Heal: the cut-off server rejoins the leader the two elected and catches up.
    cluster.connect(&cut);
    let address_after = cluster.address(&cut);
    assert_eq!(
        address_before, address_after,
        "Docker gave {cut} another address on reconnect; its server listens on the one its name had at start"
    );
    cluster.wait_for_modes(
        &HOSTS,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    let healed_mode = cluster.mode(&cut);
    let count_on_healed = num_children(&read_synced(cluster, &cut, "stat", "/kafkalab-partition"));
    let cut_off_write_anywhere = HOSTS.iter().any(|h| {
        let root = read_synced(cluster, h, "ls", "/");
        assert!(root.contains("kafkalab-partition"), "{h}: {root}");
        root.contains("kafkalab-cut")
    });
    Observed {
        modes,
        healthy,
        read_through_another,
        cut_off_mode,
        cut_off_acknowledged,
        majority_modes,
        majority_acknowledged,
        count_on_other,
        healed_mode,
        count_on_healed,
        cut_off_write_anywhere,
    }
}

#[test]
fn the_lab_flavors_study_ensemble_elects_a_leader_and_heals_a_partition_as_zookeeper_does() {
    let mut seen = Vec::new();
    for (flavor, label) in [(Flavor::Lab, "lab"), (Flavor::Debian, "real")] {
        let Some(cluster) = Cluster::new("study", flavor, label) else {
            return;
        };
        let observed = partition_and_heal(&cluster);
        eprintln!("{}: {observed:#?}", cluster.describe());
        seen.push((cluster.describe(), observed));
    }
    for (flavor, observed) in &seen {
        assert_eq!(observed, &expected(), "{flavor}");
    }
}
