//! The study topology's ZooKeeper ensemble, for real: three containers built offline from
//! Debian's packages by the same provisioning scripts as the VMs, started from
//! docker/compose.study.yml. One leader and two followers form; a write through one server is
//! read through another; the ensemble keeps its quorum when one server stops, loses it when two
//! stop, and recovers with every write when they come back.
//!
//! All traffic stays on this machine: the checks run inside the containers with `docker exec`.
//! Every wait is bounded and says what it waited for when it gives up. The containers run from a
//! copy of the Compose file with names and ports of their own (testkit's `docker` module), so a
//! learner's running cluster, or another `cargo test` on the same machine, is left alone.
//! The `lab` flavor's ensemble (ours) is tested the same way in docker_lab_ensemble.rs.

use kafkalab_testkit as support;

use std::process::Command;
use std::time::Duration;

use support::docker::{wait_for, Cluster, Flavor};

const HOSTS: [&str; 3] = ["kafka01", "kafka02", "kafka03"];

#[test]
fn the_study_ensemble_forms_keeps_quorum_with_one_down_and_loses_it_with_two() {
    let Some(cluster) = Cluster::new("study", Flavor::Debian, "real") else {
        return;
    };
    cluster.compose(&["up", "-d"]);

    let has_kafka = Command::new("docker")
        .args([
            "exec",
            &cluster.container("kafka01"),
            "test",
            "-x",
            "/usr/local/kafka/bin/kafka-server-start.sh",
        ])
        .status()
        .unwrap()
        .success();
    if !has_kafka {
        eprintln!(
            "NOTE: Apache Kafka cannot be fetched on this machine, so the images hold ZooKeeper \
             (Debian's package) and no Kafka; this test checks the ensemble. With \
             vagrant/.cache/kafka_2.12-2.6.0.tgz present the same scripts install Kafka too."
        );
    }

    // 1. Three servers elect one leader.
    cluster.wait_for_modes(
        &HOSTS,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    let first_leader = cluster.leader(&HOSTS);

    // 2. A write through one server is read through another: they share one replicated tree.
    assert!(cluster
        .zk_cli(
            "kafka01",
            &["create", "/kafkalab-test", "written-via-kafka01"]
        )
        .contains("Created /kafkalab-test"));
    assert!(cluster
        .zk_cli("kafka03", &["get", "/kafkalab-test"])
        .contains("written-via-kafka01"));

    // 3. Stop the leader: the other two (2 of 3, a majority) elect a new one and keep serving.
    cluster.compose(&["stop", &first_leader]);
    let survivors: Vec<&str> = HOSTS
        .iter()
        .copied()
        .filter(|h| *h != first_leader)
        .collect();
    cluster.wait_for_modes(&survivors, &["follower", "leader"], Duration::from_secs(90));
    assert!(cluster
        .zk_cli(
            survivors[0],
            &["create", "/kafkalab-quorum", "two-of-three"]
        )
        .contains("Created"));
    assert!(cluster
        .zk_cli(survivors[1], &["get", "/kafkalab-quorum"])
        .contains("two-of-three"));

    // 4. Stop one more: 1 of 3 is no majority, and the last server stops serving.
    cluster.compose(&["stop", survivors[0]]);
    let last = survivors[1];
    wait_for(
        &format!("{last} to lose the quorum"),
        Duration::from_secs(90),
        || {
            let s = cluster.srvr(last);
            s.contains("not currently serving requests")
                .then(|| s.trim().to_string())
        },
    );

    // 5. Start both again: the ensemble recovers with every write.
    cluster.compose(&["start", &first_leader, survivors[0]]);
    cluster.wait_for_modes(
        &HOSTS,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    for host in HOSTS {
        assert!(
            cluster
                .zk_cli(host, &["get", "/kafkalab-test"])
                .contains("written-via-kafka01"),
            "{host}"
        );
        assert!(
            cluster
                .zk_cli(host, &["get", "/kafkalab-quorum"])
                .contains("two-of-three"),
            "{host}"
        );
    }
}

#[test]
fn the_books_three_zookeeper_hosts_form_an_ensemble_of_their_own() {
    let Some(cluster) = Cluster::new("book", Flavor::Debian, "real") else {
        return;
    };
    // Only the ZooKeeper hosts: the broker hosts need the Kafka release.
    let zk = ["peter-zk01", "peter-zk02", "peter-zk03"];
    cluster.compose(&["up", "-d", zk[0], zk[1], zk[2]]);
    cluster.wait_for_modes(
        &zk,
        &["follower", "follower", "leader"],
        Duration::from_secs(120),
    );
    assert!(cluster
        .zk_cli(zk[0], &["create", "/kafka3", "chroot"])
        .contains("Created /kafka3"));
    assert!(cluster
        .zk_cli(zk[2], &["get", "/kafka3"])
        .contains("chroot"));
    let myid = support::run_ok(Command::new("docker").args([
        "exec",
        &cluster.container(zk[1]),
        "cat",
        "/data/zk/myid",
    ]));
    assert_eq!(myid, "2\n", "the book keeps ZooKeeper's data in /data/zk");
}
