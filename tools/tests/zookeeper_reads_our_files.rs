//! Lab 09's files are ZooKeeper 3.8's own (issue 12): our coordinator writes its transaction
//! log and snapshots, then ZooKeeper's own tools in Debian's jar print them
//! (`TxnLogToolkit`, the 3.8 successor of `LogFormatter`, and `SnapshotFormatter`), and a real
//! ZooKeeper started on a copy of our dataDir serves the same tree, Stat for Stat, as ours
//! restarted on it. (The other direction, our recovery from ZooKeeper's own files, is lab 09's
//! `step4_recovers_zookeepers_own_data_dir`, on golden files.) All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::coordinator::Coordinator;
use support::real_zookeeper::RealZooKeeper;
use support::run_ok;

/// One of each transaction type; every session is closed at the end, so no ephemeral node
/// waits for an expiry.
const WRITES: &str = r#"
import sys
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
zk.create("/app", b"v1")
zk.create("/app/seq-", b"s", sequence=True)
zk.create("/app/seq-", b"t", sequence=True)
zk.create("/app/c2", b"with stat", include_data=True)
zk.set("/app", b"v2")
zk.set_acls("/app/seq-0000000000", [make_digest_acl("alice", "secret", all=True)])
zk.delete("/app/seq-0000000001")
try:
    zk.create("/app", b"again")
except Exception:
    pass
t = zk.transaction()
t.create("/app/m", b"m"); t.set_data("/app", b"v3"); t.check("/app/c2", 0); t.delete("/app/c2")
t.commit()
t = zk.transaction(); t.create("/app/n", b""); t.delete("/app/none"); t.commit()
other = KazooClient(hosts=sys.argv[1]); other.start(timeout=10)
other.create("/app/eph", b"e", ephemeral=True)
other.create("/app/eph-seq-", b"", ephemeral=True, sequence=True)
other.create("/app/kept", b"k")
other.stop(); other.close()
for i in range(12):
    zk.create("/app/item-", str(i).encode(), sequence=True)
zk.create("/app/after", "ü".encode())
zk.stop(); zk.close()
"#;

/// The whole tree with every Stat field and ACL, then one more sequential create: the name it
/// gets shows the parent's count of creates came through too.
const DUMP: &str = r#"
import base64, json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], auth_data=[("digest", "alice:secret")]); zk.start(timeout=10)
out = {}
def walk(path):
    data, s = zk.get(path)
    acls = [[a.perms, a.id.scheme, a.id.id] for a in zk.get_acls(path)[0]]
    out[path] = [base64.b64encode(data or b"").decode(), s.czxid, s.mzxid, s.pzxid, s.ctime, s.mtime,
                 s.version, s.cversion, s.aversion, s.ephemeralOwner, s.dataLength, s.numChildren, acls]
    for c in sorted(zk.get_children(path)):
        walk(path.rstrip("/") + "/" + c)
walk("/")
out["next"] = zk.create("/app/seq-", b"", sequence=True)
zk.stop(); zk.close()
print(json.dumps(out, sort_keys=True))
"#;

fn kazoo(script: &str, address: &str) -> String {
    run_ok(Command::new("timeout").args(["90", "python3", "-c", script, address]))
}

/// The files of `dir` whose names start with `prefix`, by the zxid in their names.
fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let zxid = |p: &PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        name.rsplit('.')
            .next()
            .and_then(|hex| i64::from_str_radix(hex, 16).ok())
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    out.sort_by_key(|p| (zxid(p), p.clone()));
    out
}

/// Runs one of ZooKeeper's formatters on `file`: its standard output, which must be whole
/// (exit 0, no exception).
fn zookeeper_prints(class: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new("timeout")
        .args(["60", "java", "-cp", "/usr/share/java/*", class])
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success() && !stdout.contains("Exception") && !stderr.contains("Exception"),
        "{class} on {}: {}\n{stdout}\n{stderr}",
        file.display(),
        out.status
    );
    stdout
}

#[test]
fn zookeeper_3_8_reads_our_log_and_snapshots() {
    if !support::python_module("kazoo", "pip install kazoo") || !RealZooKeeper::installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // snapCount=8: a snapshot every 5 to 8 transactions, so there are several.
    let ours = Coordinator::start(dir.path(), "snapCount=8\n");
    kazoo(WRITES, &ours.address());
    drop(ours); // SIGKILL: what is acknowledged is on disk
    let version2 = dir.path().join("data/version-2");

    // TxnLogToolkit prints every transaction of every log, each as ZooKeeper would.
    let mut printed = String::new();
    let mut count = 0;
    for log in files(&version2, "log.") {
        let out = zookeeper_prints(
            "org.apache.zookeeper.server.persistence.TxnLogToolkit",
            &["-d"],
            &log,
        );
        assert!(out.contains("txnlog format version 2"), "{out}");
        let n: usize = out
            .rsplit("EOF reached after ")
            .next()
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no txn count in {out}"));
        count += n;
        printed.push_str(&out);
    }
    for expected in [
        "createSession 10000",
        "cxid 0x1 zxid 0x2 create /app,v1,",
        "create /app/seq-0000000000,s,",
        "create2 /app/c2,with stat,",
        "setData /app,v2,1",
        "setACL '/app/seq-0000000000,v{s{31,s{'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=}}},1",
        "delete '/app/seq-0000000001",
        "error -110",
        "multi create:",
        "closeSession v{'/app/eph-seq-0000000005,'/app/eph}",
        "create /app/item-0000000018,",
    ] {
        assert!(
            printed.contains(expected),
            "{expected:?} not in:\n{printed}"
        );
    }
    assert!(count >= 30, "{count} transactions printed:\n{printed}");

    // SnapshotFormatter prints every snapshot; the newest holds the nodes written before it.
    let snapshots = files(&version2, "snapshot.");
    assert!(snapshots.len() >= 2, "{snapshots:?}");
    for snapshot in &snapshots {
        let out = zookeeper_prints(
            "org.apache.zookeeper.server.SnapshotFormatter",
            &[],
            snapshot,
        );
        assert!(
            out.contains("ZNode Details") && out.contains("/zookeeper/quota"),
            "{out}"
        );
    }
    let newest = zookeeper_prints(
        "org.apache.zookeeper.server.SnapshotFormatter",
        &[],
        snapshots.last().unwrap(),
    );
    assert!(newest.contains("/app/kept"), "{newest}");

    // A real ZooKeeper on a copy of our dataDir serves what ours serves after a restart.
    let real_dir = tempfile::tempdir().unwrap();
    let copy = real_dir.path().join("data/version-2");
    std::fs::create_dir_all(&copy).unwrap();
    for f in files(&version2, "") {
        std::fs::copy(&f, copy.join(f.file_name().unwrap())).unwrap();
    }
    let ours = Coordinator::start(dir.path(), "snapCount=8\n");
    let ours_tree: serde_json::Value =
        serde_json::from_str(kazoo(DUMP, &ours.address()).trim()).unwrap();
    drop(ours);
    let real = RealZooKeeper::start_on_data_dir(real_dir.path(), &real_dir.path().join("data"));
    let real_tree: serde_json::Value =
        serde_json::from_str(kazoo(DUMP, &real.address()).trim()).unwrap();
    assert_eq!(
        ours_tree["next"],
        serde_json::json!("/app/seq-0000000020"),
        "{ours_tree}"
    );
    let differences: Vec<String> = real_tree
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| real_tree[k.as_str()] != ours_tree[k.as_str()])
        .map(|k| {
            format!(
                "{k}: ZooKeeper {} / ours {}",
                real_tree[k.as_str()],
                ours_tree[k.as_str()]
            )
        })
        .collect();
    assert!(
        differences.is_empty()
            && real_tree.as_object().unwrap().len() == ours_tree.as_object().unwrap().len(),
        "ZooKeeper 3.8 on our files differs from ours:\n{}",
        differences.join("\n")
    );
}

/// ZooKeeper's `TxnLogToolkit` lines without their clock and session id: from " cxid " on.
fn without_time_and_session(printed: &str) -> Vec<String> {
    printed
        .lines()
        .map(|line| match line.find(" cxid ") {
            Some(at) => line[at..].to_string(),
            None => line.to_string(),
        })
        .collect()
}

/// The writes of `labs/09-persistence/tests/data/capture.py`, which made the golden log
/// `zk38-log.1` on Debian's ZooKeeper 3.8, run against ours: ZooKeeper's own tool prints our log
/// line for line as it prints its own — same types, cxids, zxids, resolved names, versions,
/// parent cversions, ephemeral lists — but for the one documented shortcut: a failed multi is
/// logged as error records only.
#[test]
fn our_log_of_the_golden_writes_prints_like_zookeepers_own() {
    if !support::python_module("kazoo", "pip install kazoo") || !RealZooKeeper::installed() {
        return;
    }
    let data = support::repo().join("labs/09-persistence/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let ours = Coordinator::start(dir.path(), "");
    run_ok(Command::new("timeout").args([
        "90",
        "python3",
        &data.join("capture.py").display().to_string(),
        &ours.address(),
    ]));
    drop(ours);
    let toolkit = "org.apache.zookeeper.server.persistence.TxnLogToolkit";
    let theirs = zookeeper_prints(toolkit, &["-d"], &data.join("zk38-log.1"));
    let ours = zookeeper_prints(toolkit, &["-d"], &dir.path().join("data/version-2/log.1"));
    let (theirs, ours) = (
        without_time_and_session(&theirs),
        without_time_and_session(&ours),
    );
    assert_eq!(theirs.len(), ours.len(), "{ours:#?}");
    for (zk, us) in theirs.iter().zip(&ours) {
        if zk.contains(" multi create:") && zk.contains(";error:") {
            // ZooKeeper keeps the ops before the failing one; we write their error codes.
            assert!(us.contains(" multi error:"), "{us}");
            assert_eq!(zk.split(" multi").next(), us.split(" multi").next());
        } else {
            assert_eq!(zk, us);
        }
    }
}
