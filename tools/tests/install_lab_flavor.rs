//! The install lesson's `lab` flavor (vagrant/provision, and the Docker images built from the
//! same scripts) starts the labs' servers as `$KL_LAB_BIN_DIR/kafkalab-tools SUBCOMMAND CONFIG`.
//! The runner (`kafkalab`) is not installed on the hosts, so the scripts must call
//! kafkalab-tools itself, with subcommands it has.

use std::process::Command;

use kafkalab_testkit as support;

/// The `'$KL_LAB_BIN_DIR/PROGRAM' SUBCOMMAND` launch lines of a provisioning script.
fn lab_launches(script: &str) -> Vec<(String, String)> {
    let path = support::repo().join("vagrant/provision").join(script);
    let text = std::fs::read_to_string(&path).unwrap();
    let marker = "'$KL_LAB_BIN_DIR/";
    text.lines()
        .filter_map(|line| {
            let rest = &line[line.find(marker)? + marker.len()..];
            let (program, rest) = rest.split_once('\'')?;
            let subcommand = rest.split_whitespace().next()?;
            Some((program.to_string(), subcommand.to_string()))
        })
        .collect()
}

#[test]
fn the_lab_flavor_starts_servers_that_kafkalab_tools_has() {
    for (script, expected) in [
        ("kafka.sh", "kafka-server-start"),
        ("zookeeper.sh", "zookeeper-server-start"),
    ] {
        let launches = lab_launches(script);
        assert_eq!(
            launches,
            vec![("kafkalab-tools".to_string(), expected.to_string())],
            "{script}"
        );
        let out = support::run_ok(Command::new(support::tools_bin()).args([expected, "--help"]));
        assert!(out.contains("Usage: kafkalab-tools"), "{out}");
    }
}
