//! Static checks of the install lesson: shellcheck on every script (the provisioning, the box
//! build, vagrant/test-up.sh), `vagrant validate` on the
//! Vagrantfile for both topologies, `systemd-analyze verify` on the units, and the Compose
//! files as docker-compose reads them.

use kafkalab_testkit as support;

use std::path::Path;
use std::process::Command;

fn scripts() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["vagrant/provision", "vagrant/box", "docker"] {
        for entry in std::fs::read_dir(support::repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "sh") {
                files.push(
                    path.strip_prefix(support::repo())
                        .unwrap()
                        .display()
                        .to_string(),
                );
            }
        }
    }
    files.push(".ci/run".into());
    files.push("vagrant/test-up.sh".into());
    files.sort();
    files
}

#[test]
fn every_script_passes_shellcheck() {
    if !support::tool("shellcheck", "apt-get install shellcheck") {
        return;
    }
    let files = scripts();
    assert!(files.len() >= 9, "{files:?}");
    // Run from the repository root: the scripts' `# shellcheck source=` paths start there.
    support::run_ok(
        Command::new("shellcheck")
            .arg("-x")
            .args(&files)
            .current_dir(support::repo()),
    );
}

#[test]
fn the_vagrantfile_validates_for_both_topologies() {
    if !support::tool("vagrant", "apt-get install vagrant") {
        return;
    }
    for topology in ["study", "book"] {
        let out = support::run_ok(
            Command::new("vagrant")
                .args(["validate", "--ignore-provider"])
                .current_dir(support::repo().join("vagrant"))
                .env("KAFKALAB_TOPOLOGY", topology)
                .env("VAGRANT_CHECKPOINT_DISABLE", "1"),
        );
        assert!(out.contains("Vagrantfile validated successfully"), "{out}");
    }
    let out = Command::new("vagrant")
        .args(["validate", "--ignore-provider"])
        .current_dir(support::repo().join("vagrant"))
        .env("KAFKALAB_TOPOLOGY", "no-such-layout")
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no topology \"no-such-layout\""));
}

/// Writes the unit into a scratch root that has systemd's own targets and the unit's launcher,
/// and verifies it there: `systemd-analyze verify` checks the ExecStart path exists.
fn verify_unit(script: &str, unit: &str, launcher: &str) {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let text = support::run_ok(
        Command::new("sh")
            .arg(support::repo().join("vagrant/provision").join(script))
            .arg("unit")
            .env("KL_ZK_INSTALL_DIR", "/usr/local/zookeeper")
            .env("KL_ZK_DATA_DIR", "/data/zk")
            .env("KL_ZK_USER", "zookeeper")
            .env("KL_KAFKA_INSTALL_DIR", "/usr/local/kafka")
            .env("KL_KAFKA_LOG_DIRS", "/data/kafka-logs")
            .env("KL_KAFKA_USER", "kafka"),
    );
    assert!(
        text.contains(&format!("ExecStart=/usr/local/bin/{launcher}")),
        "{text}"
    );
    std::fs::create_dir_all(r.join("etc/systemd/system")).unwrap();
    std::fs::create_dir_all(r.join("usr/local/bin")).unwrap();
    std::fs::create_dir_all(r.join("usr/lib/systemd/system")).unwrap();
    for entry in std::fs::read_dir("/usr/lib/systemd/system").unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|e| e == "target" || e == "slice")
            && path.is_file()
        {
            std::fs::copy(
                &path,
                r.join("usr/lib/systemd/system")
                    .join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    let launcher_path = r.join("usr/local/bin").join(launcher);
    std::fs::write(&launcher_path, "#!/bin/sh\n").unwrap();
    Command::new("chmod")
        .arg("755")
        .arg(&launcher_path)
        .status()
        .unwrap();
    let unit_path = r.join("etc/systemd/system").join(unit);
    std::fs::write(&unit_path, &text).unwrap();
    let out = Command::new("systemd-analyze")
        .arg(format!("--root={}", r.display()))
        .arg("verify")
        .arg(&unit_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "{unit}: {stderr}"
    );
}

#[test]
fn the_systemd_units_verify() {
    if !Path::new("/usr/lib/systemd/system/multi-user.target").exists()
        || !support::tool("systemd-analyze", "apt-get install systemd")
    {
        assert!(
            !support::require_all(),
            "systemd's unit files are missing: apt-get install systemd"
        );
        return;
    }
    verify_unit(
        "zookeeper.sh",
        "zookeeper-server.service",
        "zookeeper-server-run",
    );
    verify_unit("kafka.sh", "kafka-server.service", "kafka-server-run");
}

#[test]
fn the_compose_files_are_valid_for_docker_compose() {
    let Some(compose) = support::compose_command() else {
        return;
    };
    for name in ["study", "book"] {
        let file = support::repo().join(format!("docker/compose.{name}.yml"));
        support::run_ok(
            Command::new(&compose[0])
                .args(&compose[1..])
                .arg("-f")
                .arg(&file)
                .args(["config", "-q"]),
        );
    }
}
