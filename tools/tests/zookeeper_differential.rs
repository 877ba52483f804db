//! Differential tests: the same kazoo scenario against Debian's real ZooKeeper 3.8 and against
//! lab 08's coordinator, compared field by field — results, error types and every Stat field
//! (zxids included: both start empty and count the same transactions). All traffic stays on
//! 127.0.0.1.

use kafkalab_testkit as support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::broker::free_port;
use support::coordinator::Coordinator;
use support::run_ok;

const SCENARIO: &str = r#"
import json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
out = {}
def st(s):
    return {k: getattr(s, k) for k in ["czxid","mzxid","pzxid","version","cversion","aversion","dataLength","numChildren"]} | {"eph": s.ephemeralOwner != 0}
def err(f):
    try:
        r = f(); return ["ok", r if isinstance(r, (str, int, list)) else None]
    except Exception as e:
        return [type(e).__name__]
out["root"] = st(zk.exists("/"))
out["zk"] = st(zk.exists("/zookeeper"))
out["zkc"] = sorted(zk.get_children("/zookeeper"))
out["c1"] = err(lambda: zk.create("/a", b"x"))
out["a"] = st(zk.exists("/a"))
out["c2"] = err(lambda: zk.create("/a", b"x"))
out["a2"] = st(zk.exists("/a"))
out["c3"] = err(lambda: zk.create("/a/b", b"yy", ephemeral=True))
out["a3"] = st(zk.exists("/a"))
out["b"] = st(zk.exists("/a/b"))
out["s1"] = err(lambda: zk.set("/a", b"zzz", version=0) and None)
out["s2"] = err(lambda: zk.set("/a", b"zzz", version=0) and None)
out["a4"] = st(zk.exists("/a"))
out["q"] = [err(lambda: zk.create("/a/s-", b"", sequence=True)) for _ in range(2)]
out["d1"] = err(lambda: zk.delete("/a"))
out["d2"] = err(lambda: zk.delete("/a/b", version=5))
out["d3"] = err(lambda: zk.delete("/zookeeper"))
out["d4"] = err(lambda: zk.delete("/zookeeper/quota"))
out["e1"] = err(lambda: zk.create("/a/b/c", b""))
out["bad"] = [err(lambda: zk.create(p, b"")) for p in ["/x/", "/x//y", "/x/./y"]]
out["acl"] = err(lambda: zk.set_acls("/a", [__import__("kazoo.security", fromlist=["OPEN_ACL_UNSAFE"]).OPEN_ACL_UNSAFE[0]]) and None)
out["a5"] = st(zk.exists("/a"))
t = zk.transaction(); t.create("/t1", b"a"); t.set_data("/a", b"q", version=7)
out["txn"] = [type(r).__name__ for r in t.commit()]
out["t1"] = zk.exists("/t1") is None
out["a6"] = st(zk.exists("/a"))
out["kids"] = sorted(zk.get_children("/a"))
out["data"] = zk.get("/a")[0].decode()
zk.stop(); zk.close()
print(json.dumps(out, sort_keys=True))
"#;

/// Debian's ZooKeeper, standalone, in `dir`.
struct RealZooKeeper {
    child: Child,
    port: u16,
}

impl RealZooKeeper {
    fn start(dir: &Path) -> RealZooKeeper {
        let port = free_port();
        let config = dir.join("zoo.cfg");
        std::fs::write(
            &config,
            format!(
                "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=ruok\nadmin.enableServer=false\n",
                dir.join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("java")
            .args([
                "-cp",
                "/usr/share/java/*:/etc/zookeeper/conf",
                "org.apache.zookeeper.server.ZooKeeperServerMain",
            ])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it answers ruok (the JVM takes a few seconds).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(b"ruok");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer == "imok" {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "ZooKeeper did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        RealZooKeeper { child, port }
    }
}

impl Drop for RealZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn our_coordinator_answers_like_zookeeper_3_8() {
    if !support::python_module("kazoo", "pip install kazoo")
        || !support::tool_path(
            "/usr/share/zookeeper/bin/zkCli.sh",
            "apt-get install zookeeper",
        )
    {
        return;
    }
    let (real_dir, our_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let real = RealZooKeeper::start(real_dir.path());
    let ours = Coordinator::start(our_dir.path(), "");
    let run = |port: u16| -> serde_json::Value {
        let out = run_ok(Command::new("timeout").args([
            "60",
            "python3",
            "-c",
            SCENARIO,
            &format!("127.0.0.1:{port}"),
        ]));
        serde_json::from_str(out.trim()).unwrap()
    };
    let (expected, got) = (run(real.port), run(ours.port));
    let keys: Vec<&String> = expected.as_object().unwrap().keys().collect();
    assert!(keys.len() >= 20);
    let differences: Vec<String> = keys
        .iter()
        .filter(|k| expected[k.as_str()] != got[k.as_str()])
        .map(|k| {
            format!(
                "{k}: ZooKeeper {} / ours {}",
                expected[k.as_str()],
                got[k.as_str()]
            )
        })
        .collect();
    assert!(
        differences.is_empty(),
        "differences from ZooKeeper 3.8:\n{}",
        differences.join("\n")
    );

    // kafkalab zookeeper-shell speaks to the real one too.
    let out = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args([
            "zookeeper-shell",
            &format!("127.0.0.1:{}", real.port),
            "ls",
            "/zookeeper",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[config, quota]\n");
}

#[test]
fn zkcli_one_shot_commands_work_against_our_coordinator() {
    if !support::tool_path(
        "/usr/share/zookeeper/bin/zkCli.sh",
        "apt-get install zookeeper",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ours = Coordinator::start(dir.path(), "");
    let server = format!("127.0.0.1:{}", ours.port);
    // zkCli.sh prints some answers on stdout and some (errors, "Created") on stderr: read both.
    let cli = |args: &[&str]| {
        let out = Command::new("timeout")
            .args([
                "60",
                "/usr/share/zookeeper/bin/zkCli.sh",
                "-server",
                &server,
            ])
            .args(args)
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert!(cli(&["create", "/fromcli", "hello"]).contains("Created /fromcli"));
    assert!(
        cli(&["create", "-s", "/fromcli/seq-", "x"]).contains("Created /fromcli/seq-0000000000")
    );
    assert!(cli(&["get", "/fromcli"]).contains("hello"));
    let stat = cli(&["stat", "/fromcli"]);
    assert!(
        stat.contains("dataLength = 5")
            && stat.contains("numChildren = 1")
            && stat.contains("cversion = 1"),
        "{stat}"
    );
    cli(&["set", "/fromcli", "again"]);
    assert!(cli(&["get", "/fromcli"]).contains("again"));
    assert!(cli(&["ls", "/"]).contains("[fromcli, zookeeper]"));
    let out = cli(&["delete", "/fromcli"]);
    assert!(out.contains("Node not empty: /fromcli"), "{out}");
    cli(&["deleteall", "/fromcli"]);
    assert!(cli(&["ls", "/"]).contains("[zookeeper]"));
}
