//! The `lab` flavor's cluster in containers started through `testcontainers`
//! (tests/lab_containers): the book's layout, our coordinator on three ZooKeeper hosts (lab 10)
//! and our broker on three Kafka hosts (labs 11-13) with `zookeeper.connect` to them, on a
//! network the test creates and removes, from the image built on this machine (never pulled).
//!
//! Checked as a learner would: `srvr` says one leader and two followers; zkCli.sh (Debian's,
//! through `docker exec`) lists `[1, 2, 3]` under the chroot's `/brokers/ids`; the brokers'
//! ports are published on 127.0.0.1 only; kcat on this machine gets Metadata listing the three
//! brokers from each; kafka-python produces with acks=all and reads every record back. The
//! faults are in docker_faults.rs.

mod lab_containers;

use std::process::Command;
use std::time::Duration;

use kafkalab_testkit as support;
use lab_containers::acks::{self, Producer, Tally};
use lab_containers::LabCluster;

#[test]
fn the_lab_flavors_ensemble_and_brokers_run_in_containers_started_by_testcontainers() {
    let Some(cluster) = LabCluster::start("up") else {
        return;
    };
    // LabCluster::start waited for one leader and two followers, and for each broker's
    // Metadata to list three brokers.
    let zk = cluster.zookeepers();
    assert_eq!(
        cluster.ensemble_modes(&zk),
        ["follower", "follower", "leader"]
    );

    // The brokers registered in our ensemble, as the real zkCli.sh reads it.
    let ids = support::docker::zk_cli_script_in(
        &zk[2],
        &format!("ls {}/brokers/ids\n", cluster.chroot()),
        Duration::from_secs(60),
    );
    assert!(ids.contains("[1, 2, 3]"), "{ids}");

    // Published on 127.0.0.1 only: `docker port` lists one binding per broker, on 127.0.0.1.
    for id in 1..=3 {
        let ports = support::run_ok(Command::new("docker").args(["port", &cluster.broker(id)]));
        let bindings: Vec<&str> = ports.lines().collect();
        assert_eq!(
            bindings,
            [format!(
                "{0}/tcp -> {1}",
                cluster.address(id).rsplit(':').next().unwrap(),
                cluster.address(id)
            )],
            "broker {id}"
        );
    }
    for container in &zk {
        let ports = support::run_ok(Command::new("docker").args(["port", container]));
        assert_eq!(ports.trim(), "", "{container} publishes nothing");
    }

    // A topic with three replicas: kafka-python on this machine produces with acks=all and
    // reads every record back. The brokers advertise their container names: the client
    // resolves them to 127.0.0.1, where their ports are published.
    if !acks::clients_present() {
        return;
    }
    cluster.create_topic("hello", 3);
    let before = cluster.partitions("hello").unwrap();
    let produced = Producer::start(&cluster, "hello", "hello", 30, 1).finish();
    let read = acks::read_back(&cluster, "hello");
    let tally = Tally::of(&produced, &read, &before);
    assert_eq!(
        (tally.acknowledged, tally.read, tally.lost.len()),
        (30, 30, 0),
        "{produced:?}\n{read:?}"
    );
}
