//! The install scripts write, for every host of both topologies, the zoo.cfg, myid and
//! server.properties that the topology file calls for — byte for byte what `kafkalab::topology`
//! renders from the same YAML read with serde. The scripts run in render-only mode: `KL_ROOT`
//! stands for `/`, so `configure` writes under a temporary folder and changes nothing else.

use kafkalab_testkit as support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use kafkalab::topology::{parse_properties, Role, Target, Topology, TopologyError};

/// Runs a provisioning script in render-only mode: files land under `root`, nothing else changes.
fn render(script: &str, arg: &str, env: &[(String, String)], root: &Path) {
    support::run_ok(
        Command::new("sh")
            .arg(support::repo().join("vagrant/provision").join(script))
            .arg(arg)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("KL_ROOT", root),
    );
}

fn as_map(p: Vec<(String, String)>) -> BTreeMap<String, String> {
    p.into_iter().collect()
}

/// Reads `path` (absolute, as on the host) from under the render root.
fn read_rendered(root: &Path, path: &str) -> String {
    let file = root.join(path.trim_start_matches('/'));
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("the script did not write {}: {e}", file.display()))
}

#[test]
fn scripts_write_the_configs_the_topology_calls_for() {
    if !support::tool("ruby", "apt-get install ruby (it comes with vagrant)") {
        return;
    }
    let repo = support::repo();
    let mut checked = 0;
    for name in ["study", "book"] {
        let topology = Topology::load(&Topology::path(&repo, name)).unwrap();
        let zk_conf = format!("{}/conf/zoo.cfg", topology.zookeeper.install_dir);
        let myid = format!("{}/myid", topology.zookeeper.data_dir);
        let kafka_conf = format!("{}/config/server.properties", topology.kafka.install_dir);
        for host in &topology.hosts {
            for (target, target_name) in [(Target::Vm, "vm"), (Target::Docker, "docker")] {
                // The scripts get the topology through Ruby (vagrant/topology.rb), the Rust side
                // through serde: two readings of one YAML file, which must agree byte for byte.
                let env = support::topology_env(name, &host.name, target_name);
                let root = tempfile::tempdir().unwrap();
                let at = format!("{name}/{} ({target_name})", host.name);
                if host.has(Role::Zookeeper) {
                    render("zookeeper.sh", "configure", &env, root.path());
                    assert_eq!(
                        read_rendered(root.path(), &zk_conf),
                        topology.zoo_cfg(&host.name).unwrap(),
                        "zoo.cfg of {at}"
                    );
                    assert_eq!(
                        read_rendered(root.path(), &myid),
                        topology.myid(&host.name).unwrap(),
                        "myid of {at}"
                    );
                    checked += 1;
                }
                if host.has(Role::Kafka) {
                    render("kafka.sh", "configure", &env, root.path());
                    assert_eq!(
                        read_rendered(root.path(), &kafka_conf),
                        topology.server_properties(&host.name, target).unwrap(),
                        "server.properties of {at}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked,
        2 * (3 * 2 + 3 + 3),
        "every role of every host, for VMs and containers"
    );
}

#[test]
fn the_study_configs_are_the_slides_configs() {
    let topology = Topology::load(&Topology::path(&support::repo(), "study")).unwrap();
    let zoo = as_map(parse_properties(&topology.zoo_cfg("kafka02").unwrap()));
    assert_eq!(zoo["server.1"], "kafka01:2888:3888");
    assert_eq!(zoo["server.3"], "kafka03:2888:3888");
    assert_eq!(zoo["dataDir"], "/usr/local/zookeeper/data");
    assert_eq!(topology.myid("kafka02").unwrap(), "2\n");
    let kafka = as_map(parse_properties(
        &topology.server_properties("kafka02", Target::Vm).unwrap(),
    ));
    assert_eq!(kafka["broker.id"], "2");
    assert_eq!(
        kafka["zookeeper.connect"],
        "kafka01:2181,kafka02:2181,kafka03:2181/my-kafka-cluster"
    );
    assert_eq!(
        kafka["advertised.listeners"],
        "INTERNAL://kafka02:9092,EXTERNAL://192.168.56.12:19092"
    );
    let docker = as_map(parse_properties(
        &topology
            .server_properties("kafka02", Target::Docker)
            .unwrap(),
    ));
    assert_eq!(
        docker["advertised.listeners"],
        "INTERNAL://kafka02:9092,EXTERNAL://127.0.0.1:19092"
    );
}

#[test]
fn etc_hosts_lists_every_host_and_never_maps_its_own_name_to_loopback() {
    if !support::tool("ruby", "apt-get install ruby (it comes with vagrant)") {
        return;
    }
    let env = support::topology_env("study", "kafka02", "vm");
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    let hosts = root.path().join("etc/hosts");
    std::fs::write(
        &hosts,
        concat!(
            "127.0.0.1\tlocalhost kafka02\n",
            "127.0.1.1\tkafka02.example kafka02\n", // Debian's installer
            "127.0.2.1 kafka02 kafka02\n",          // Vagrant without hostname: true
            "::1 localhost\n",
            "10.0.0.9 kafka01\n", // a stale address
        ),
    )
    .unwrap();
    render("common.sh", "", &env, root.path());
    render("common.sh", "", &env, root.path()); // running twice changes nothing more
    let text = std::fs::read_to_string(&hosts).unwrap();
    assert_eq!(
        text,
        "127.0.0.1\tlocalhost\n::1 localhost\n192.168.56.11 kafka01\n192.168.56.12 kafka02\n192.168.56.13 kafka03\n"
    );
}

#[test]
fn compose_files_are_generated_from_the_topologies() {
    if !support::tool("ruby", "apt-get install ruby (it comes with vagrant)") {
        return;
    }
    for name in ["study", "book"] {
        let generated = support::run_ok(
            Command::new("ruby")
                .arg(support::repo().join("vagrant/topology.rb"))
                .args(["compose", name]),
        );
        let committed =
            std::fs::read_to_string(support::repo().join(format!("docker/compose.{name}.yml")))
                .unwrap();
        assert_eq!(committed, generated, "docker/compose.{name}.yml is stale: run `ruby vagrant/topology.rb compose {name} > docker/compose.{name}.yml`");
    }
}

#[test]
fn bad_topologies_are_refused_with_the_reason() {
    let study = std::fs::read_to_string(Topology::path(&support::repo(), "study")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let check = |text: String, expected: &str| {
        let path = dir.path().join("t.yaml");
        std::fs::write(&path, text).unwrap();
        let e = Topology::load(&path).unwrap_err();
        assert!(matches!(e, TopologyError::Invalid { .. }));
        assert!(e.to_string().contains(expected), "{e}");
    };
    check(
        study.replace("192.168.56.12", "192.168.56.11"),
        "ip 192.168.56.11 is used by two hosts",
    );
    check(
        study.replace("zookeeper_id: 3", "zookeeper_id: 1"),
        "zookeeper_id 1 is used by two hosts",
    );
    check(
        study.replace(", broker_id: 2", ""),
        "kafka02: a kafka host needs a broker_id",
    );
    check(
        study.replace("chroot: /my-kafka-cluster", "chroot: my-kafka-cluster"),
        "must start with /",
    );
    check(
        study.replace("tick_time: 2000", "tick_time: soon"),
        "tick_time",
    );
    let topology = Topology::load(&Topology::path(&support::repo(), "book")).unwrap();
    assert!(matches!(
        topology.zoo_cfg("peter-kafka01"),
        Err(TopologyError::MissingRole { .. })
    ));
    assert!(topology
        .host("kafka01")
        .unwrap_err()
        .to_string()
        .contains("peter-zk01"));
}
