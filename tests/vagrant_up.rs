//! A real `vagrant up` of the study layout on libvirt: `sh vagrant/test-up.sh study debian lab`
//! builds kafkalab's box offline (cached), boots kafka01..03 in a network namespace of its own,
//! copies this build's `kafkalab-tools` into them and provisions them with vagrant/provision,
//! then checks from inside the VMs what the slides check: `getent hosts kafka02` on kafka01, one
//! leader and two followers in `srvr`, the brokers `[1, 2, 3]` under
//! /my-kafka-cluster/brokers/ids, lines produced on kafka01 read back on kafka03; destroys
//! everything. The VMs boot once and serve two flavors in turn: first `debian` (Debian's
//! ZooKeeper 3.8 as the ensemble, our brokers on it), then, servers stopped and data emptied,
//! `lab` (our coordinator ensemble and brokers; at the end kafka02 is halted and the other two
//! must keep a quorum and take a write). One test, not two: booting VMs under software emulation
//! is most of its time, and two scripts could not run at once anyway (they take one lock). See
//! vagrant/README.md.
//!
//! It needs root, libvirt, QEMU and vagrant-libvirt (CI installs them from .ci/packages); where
//! KVM cannot run, `KAFKALAB_LIBVIRT_DRIVER=qemu` (CI sets it). Skipped without them, failing
//! under `KAFKALAB_REQUIRE_ALL=1`.

use kafkalab_testkit as support;

use std::process::Command;

/// Whether this process runs as root (the script makes a network namespace, starts libvirtd).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether the vagrant-libvirt plugin is there (`vagrant plugin list`).
fn has_libvirt_plugin() -> bool {
    let ok = Command::new("vagrant")
        .args(["plugin", "list"])
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("vagrant-libvirt"));
    if !ok {
        let message = "the vagrant-libvirt plugin is missing: apt-get install vagrant-libvirt";
        assert!(!support::require_all(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    ok
}

#[test]
fn vagrant_up_boots_the_study_cluster_with_the_lab_and_debian_flavors() {
    let packages = "apt-get install vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils dnsmasq-base";
    let tools = [
        "vagrant",
        "virsh",
        "libvirtd",
        "virtlogd",
        "qemu-system-x86_64",
        "qemu-img",
        "debootstrap",
        "ruby",
    ];
    if !tools.iter().all(|t| support::tool(t, packages)) || !has_libvirt_plugin() {
        return;
    }
    if !is_root() {
        let message = "vagrant/test-up.sh needs root (a network namespace, libvirtd)";
        assert!(!support::require_all(), "{message}");
        eprintln!("SKIPPED: {message}");
        return;
    }
    // The script prints its progress and timings; they go to the test's output as they come.
    let status = Command::new("sh")
        .arg(support::repo().join("vagrant/test-up.sh"))
        .args(["study", "debian", "lab"])
        .env("KAFKALAB_LAB_BIN", support::built_tools_bin())
        // The debian flavor runs your brokers too: the slides' `ls /my-kafka-cluster/brokers/ids`
        // answered by Debian's real ZooKeeper.
        .env("KAFKALAB_DEBIAN_BROKERS", "lab")
        .stdin(std::process::Stdio::null())
        .status()
        .expect("cannot run sh vagrant/test-up.sh");
    assert!(
        status.success(),
        "sh vagrant/test-up.sh study debian lab failed ({status}): its output above says which check and what it saw"
    );
}
