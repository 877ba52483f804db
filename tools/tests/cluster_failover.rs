//! Lab 13's controller rules in the running cluster (real `kafka-server-start` processes, on
//! our coordinator and on Debian's ZooKeeper 3.8, all on 127.0.0.1):
//!
//! - controlled shutdown: SIGTERM to a leader → it sends ControlledShutdown (API 7) to the
//!   controller, which moves its leaderships to the ISR and shrinks the ISRs *before* the
//!   broker exits: at its exit the state znodes already name new leaders (no offline window);
//! - preferred election: `kafka-leader-election --election-type preferred` (ElectLeaders,
//!   API 43) hands leadership back to the first replica, and so does the controller by itself
//!   with `auto.leader.rebalance.enable` at a short interval;
//! - unclean election: a partition whose only in-sync replica is dead gets an out-of-sync live
//!   replica as leader with `unclean.leader.election.enable=true`, and stays offline without.
//!
//! Replication is not needed: leadership and ISR live in ZooKeeper and in Metadata. The
//! preferred-election scenarios start from states written before the brokers start (leaders
//! moved by earlier failovers, followers back in the ISR), as a restarted cluster finds them:
//! a broker that rejoins the ISR by fetching is lab 12's wiring, not this test's.

mod common;

use kafkalab_testkit as support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{start_cluster, wait_for_state, wait_until, Zk};
use lab11_controller::zk_data::{LeaderIsrAndControllerEpoch, NO_LEADER};
use support::coordinator::Coordinator;
use support::free_port;
use support::real_zookeeper::RealZooKeeper;

/// Topic `topic`'s leaders by partition as kcat (librdkafka) reads them at `broker`.
fn kcat_leaders(broker: &str, topic: &str) -> Result<BTreeMap<i64, i64>, String> {
    let mut child = Command::new("kcat")
        .args(["-L", "-J", "-b", broker, "-t", topic, "-m", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("kcat did not finish within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))?;
    let mut leaders = BTreeMap::new();
    for t in json["topics"].as_array().ok_or(out.clone())? {
        if t["topic"] == topic {
            for p in t["partitions"].as_array().ok_or(out.clone())? {
                leaders.insert(
                    p["partition"].as_i64().unwrap_or(-99),
                    p["leader"].as_i64().unwrap_or(-99),
                );
            }
        }
    }
    Ok(leaders)
}

fn wait_for_kcat(broker: &str, topic: &str, want: &BTreeMap<i64, i64>, secs: u64) {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    wait_until(&format!("kcat at {broker} sees {want:?}"), secs, || {
        let seen = kcat_leaders(broker, topic)?;
        if &seen == want {
            Ok(())
        } else {
            Err(format!("{seen:?}"))
        }
    });
}

fn leader_election(bootstrap: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(support::tools_bin())
        .arg("kafka-leader-election")
        .args([
            "--bootstrap-server",
            bootstrap,
            "--election-type",
            "preferred",
        ])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// SIGTERM to a leader: its leaderships move to the ISR before it exits.
fn controlled_shutdown_moves_leaders_before_exit(root: &Path, address: &str) {
    let chroot = "/controlled-shutdown";
    // The controller is elected once all three brokers registered, so it sees them all when
    // the topic appears: a controller that missed one would make the next replica the leader.
    let mut zk = Zk::connect(address, chroot);
    zk.create_all("/brokers/ids", b"");
    zk.hold_controller();
    let mut brokers = start_cluster(
        root,
        address,
        chroot,
        &[1, 2, 3],
        "auto.leader.rebalance.enable=false\n",
    );
    zk.release_controller(3);
    let controller = wait_until("a controller", 30, || match zk.controller() {
        Some(99) | None => Err("none yet".into()),
        Some(id) => Ok(id),
    });
    zk.create_all(
        "/brokers/topics/t",
        br#"{"version":2,"partitions":{"0":[1,2,3],"1":[2,3,1],"2":[3,1,2]},"adding_replicas":{},"removing_replicas":{}}"#,
    );
    for p in 0..3 {
        wait_for_state(&mut zk, "t", p, 20, |s| {
            s.leader == p + 1 && s.isr.len() == 3
        });
    }
    let all = BTreeMap::from([(0, 1), (1, 2), (2, 3)]);
    for b in brokers.values() {
        wait_for_kcat(&b.address(), "t", &all, 20);
    }

    // A leader that is not the controller stops gracefully.
    let victim = (1..=3).find(|id| *id != controller).unwrap();
    let took = brokers.get_mut(&victim).unwrap().stop();
    println!("broker {victim} stopped {took:?} after SIGTERM (controller {controller})");
    // Read the moment it is gone: the controller wrote before it answered, so there is no
    // window in which a partition names the stopped broker.
    for p in 0..3 {
        let s = zk.state("t", p).unwrap();
        assert_ne!(s.leader, victim, "t-{p}: {s:?}");
        assert_ne!(s.leader, NO_LEADER, "t-{p}: {s:?}");
        assert!(!s.isr.contains(&victim), "t-{p}: {s:?}");
        assert_eq!(s.leader_epoch, 1, "t-{p}: {s:?}");
    }
    // The partition it led goes to the next replica in assignment order.
    let moved = zk.state("t", victim - 1).unwrap();
    assert_eq!(moved.leader, victim % 3 + 1, "{moved:?}");
    let b = &brokers[&victim];
    assert_eq!(b.log_count("controlled shutdown succeeded"), 1);
    assert_eq!(
        brokers[&controller].log_count("controlled shutdown request answered"),
        1
    );
    let mut leaders = all.clone();
    leaders.insert((victim - 1) as i64, (victim % 3 + 1) as i64);
    wait_for_kcat(&brokers[&controller].address(), "t", &leaders, 20);

    // The controller stops too: its own ControlledShutdown reaches its own core; the last
    // broker leads everything before the controller's session (and /controller) goes.
    brokers.remove(&victim);
    let last = (1..=3)
        .find(|id| *id != controller && *id != victim)
        .unwrap();
    brokers.get_mut(&controller).unwrap().stop();
    for p in 0..3 {
        let s = zk.state("t", p).unwrap();
        assert_eq!(
            (s.leader, s.isr.clone()),
            (last, vec![last]),
            "t-{p}: {s:?}"
        );
    }
    // The last one has nobody to hand over to: it does not wait out the retries.
    let took = brokers.get_mut(&last).unwrap().stop();
    assert!(
        took < Duration::from_secs(5),
        "the last broker took {took:?}"
    );
}

/// Assignment of topic `p` on brokers 1–3 and states led by each partition's *second*
/// replica with both replicas in sync, as earlier failovers leave them. `/controller` is held
/// so that the controller that loads them sees all three brokers (a controller that saw only
/// the first would rightly elect it).
fn seed_moved_leaders(zk: &mut Zk) {
    zk.create_all(
        "/brokers/topics/p",
        br#"{"version":2,"partitions":{"0":[1,2],"1":[2,3],"2":[3,1]},"adding_replicas":{},"removing_replicas":{}}"#,
    );
    for (p, replicas) in [(0, [1, 2]), (1, [2, 3]), (2, [3, 1])] {
        let state = LeaderIsrAndControllerEpoch {
            leader: replicas[1],
            leader_epoch: 3,
            isr: replicas.to_vec(),
            controller_epoch: 0,
        };
        zk.create_all(
            &format!("/brokers/topics/p/partitions/{p}/state"),
            &state.encode(),
        );
    }
    zk.hold_controller();
}

/// `kafka-leader-election --election-type preferred`, for one partition then for all.
fn preferred_election_with_the_tool(root: &Path, address: &str) {
    let chroot = "/preferred";
    let mut zk = Zk::connect(address, chroot);
    seed_moved_leaders(&mut zk);
    let brokers = start_cluster(
        root,
        address,
        chroot,
        &[1, 2, 3],
        "auto.leader.rebalance.enable=false\n",
    );
    zk.release_controller(3);
    wait_until("a controller", 30, || match zk.controller() {
        Some(id) if id != 99 => Ok(id),
        other => Err(format!("{other:?}")),
    });
    let bootstrap = brokers[&1].address();
    let moved = BTreeMap::from([(0, 2), (1, 3), (2, 1)]);
    wait_for_kcat(&bootstrap, "p", &moved, 20);

    let (ok, out) = leader_election(&bootstrap, &["--topic", "p", "--partition", "0"]);
    assert!(ok, "{out}");
    assert_eq!(
        out.trim(),
        "Successfully completed leader election (PREFERRED) for partitions p-0"
    );
    // Written before the answer came back.
    let s = zk.state("p", 0).unwrap();
    assert_eq!(
        (s.leader, s.leader_epoch, s.isr.clone()),
        (1, 4, vec![1, 2])
    );

    let (ok, out) = leader_election(&bootstrap, &["--all-topic-partitions"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Successfully completed leader election (PREFERRED) for partitions p-1, p-2"),
        "{out}"
    );
    assert!(
        out.contains("Valid replica already elected for partitions p-0"),
        "{out}"
    );
    let (ok, out) = leader_election(&bootstrap, &["--all-topic-partitions"]);
    assert!(ok, "{out}");
    assert_eq!(
        out.trim(),
        "Valid replica already elected for partitions p-0, p-1, p-2"
    );
    // A partition the controller does not know: Kafka's error line, and exit status 1.
    let (ok, out) = leader_election(&bootstrap, &["--topic", "nope", "--partition", "0"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("Error completing leader election (PREFERRED) for partition: nope-0: org.apache.kafka.common.errors.UnknownTopicOrPartitionException"),
        "{out}"
    );
    let preferred = BTreeMap::from([(0, 1), (1, 2), (2, 3)]);
    for b in brokers.values() {
        wait_for_kcat(&b.address(), "p", &preferred, 20);
    }
}

/// `auto.leader.rebalance.enable` with a one-second check: the controller does it alone.
fn auto_leader_rebalance(root: &Path, address: &str) {
    let chroot = "/auto-rebalance";
    let mut zk = Zk::connect(address, chroot);
    seed_moved_leaders(&mut zk);
    let brokers = start_cluster(
        root,
        address,
        chroot,
        &[1, 2, 3],
        "leader.imbalance.check.interval.seconds=1\n",
    );
    zk.release_controller(3);
    let controller = wait_until("a controller", 30, || match zk.controller() {
        Some(id) if id != 99 => Ok(id),
        other => Err(format!("{other:?}")),
    });
    for (p, preferred) in [(0, 1), (1, 2), (2, 3)] {
        let s = wait_for_state(&mut zk, "p", p, 15, |s| s.leader == preferred);
        assert_eq!(s.isr.len(), 2, "{s:?}");
    }
    assert!(brokers[&controller].log_count("auto leader rebalance") >= 1);
}

/// A partition whose only in-sync replica (3) is dead, and a live out-of-sync replica (1).
fn unclean_election(root: &Path, address: &str, enabled: bool) {
    let chroot = if enabled {
        "/unclean-on"
    } else {
        "/unclean-off"
    };
    let mut zk = Zk::connect(address, chroot);
    zk.create_all(
        "/brokers/topics/u",
        br#"{"version":2,"partitions":{"0":[3,1]},"adding_replicas":{},"removing_replicas":{}}"#,
    );
    let state = LeaderIsrAndControllerEpoch {
        leader: 3,
        leader_epoch: 0,
        isr: vec![3],
        controller_epoch: 0,
    };
    zk.create_all("/brokers/topics/u/partitions/0/state", &state.encode());
    let brokers = start_cluster(
        root,
        address,
        chroot,
        &[1],
        &format!("unclean.leader.election.enable={enabled}\n"),
    );
    // Metadata is sent after every write of the controller's step: once a client sees the
    // partition, the controller has decided.
    let want = if enabled { 1 } else { NO_LEADER as i64 };
    wait_for_kcat(
        &brokers[&1].address(),
        "u",
        &BTreeMap::from([(0, want)]),
        20,
    );
    let s = wait_for_state(&mut zk, "u", 0, 20, |s| s.leader_epoch >= 1);
    let logged =
        brokers[&1].log_count("unclean leader election for u-0: broker 1 was not in the ISR");
    if enabled {
        assert_eq!((s.leader, s.isr.clone()), (1, vec![1]), "{s:?}");
        assert_eq!(logged, 1);
    } else {
        assert_eq!((s.leader, s.isr.clone()), (NO_LEADER, vec![3]), "{s:?}");
        assert_eq!(logged, 0);
    }
}

fn all_scenarios(root: &Path, address: &str) {
    let started = Instant::now();
    controlled_shutdown_moves_leaders_before_exit(root, address);
    println!(
        "controlled shutdown: {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let at = Instant::now();
    preferred_election_with_the_tool(root, address);
    println!("kafka-leader-election: {:.1}s", at.elapsed().as_secs_f64());
    let at = Instant::now();
    auto_leader_rebalance(root, address);
    println!("auto rebalance: {:.1}s", at.elapsed().as_secs_f64());
    let at = Instant::now();
    unclean_election(root, address, true);
    unclean_election(root, address, false);
    println!("unclean on/off: {:.1}s", at.elapsed().as_secs_f64());
    println!("all: {:.1}s", started.elapsed().as_secs_f64());
}

#[test]
fn failover_rules_in_the_running_cluster_on_our_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    all_scenarios(dir.path(), &coordinator.address());
}

#[test]
fn failover_rules_in_the_running_cluster_on_debians_zookeeper() {
    if !RealZooKeeper::installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zk")).unwrap();
    let zookeeper = RealZooKeeper::start(&dir.path().join("zk"));
    all_scenarios(dir.path(), &zookeeper.address());
}

/// A bad failover key stops the broker at start, naming the key.
#[test]
fn a_bad_failover_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for (line, key) in [
        (
            "controlled.shutdown.max.retries=many",
            "controlled.shutdown.max.retries",
        ),
        (
            "unclean.leader.election.enable=yes",
            "unclean.leader.election.enable",
        ),
        (
            "leader.imbalance.check.interval.seconds=0",
            "leader.imbalance.check.interval.seconds",
        ),
        (
            "leader.imbalance.per.broker.percentage=150",
            "leader.imbalance.per.broker.percentage",
        ),
    ] {
        let config = dir.path().join("server.properties");
        std::fs::write(
            &config,
            format!(
                "broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:{}\nlog.dirs={}\n\
                 zookeeper.connect=127.0.0.1:1\n{line}\n",
                free_port(),
                dir.path().join("logs").display()
            ),
        )
        .unwrap();
        let out = Command::new(support::tools_bin())
            .arg("kafka-server-start")
            .arg(&config)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{line}: started anyway");
        assert!(stderr.contains(key), "{line}: {stderr}");
    }
}
