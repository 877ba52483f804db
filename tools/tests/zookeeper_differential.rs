//! Differential tests: the same kazoo scenario against Debian's real ZooKeeper 3.8 and against
//! lab 08's coordinator, compared field by field — results, error types and every Stat field
//! (zxids included: both start empty and count the same transactions). All traffic stays on
//! 127.0.0.1.

use kafkalab_testkit as support;

use std::io::Write;
use std::process::{Command, Stdio};

use support::coordinator::Coordinator;
use support::real_zookeeper::RealZooKeeper;
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

/// Runs the kazoo `scenario` (a JSON object of results) against the real ZooKeeper and ours,
/// asserts it saw at least `min_keys` results and that every one is the same on both, and
/// returns ours.
fn compare(
    scenario: &str,
    timeout_secs: &str,
    min_keys: usize,
    real_port: u16,
    our_port: u16,
) -> serde_json::Value {
    let run = |port: u16| -> serde_json::Value {
        let out = run_ok(Command::new("timeout").args([
            timeout_secs,
            "python3",
            "-c",
            scenario,
            &format!("127.0.0.1:{port}"),
        ]));
        serde_json::from_str(out.trim()).unwrap()
    };
    let (expected, got) = (run(real_port), run(our_port));
    let keys: Vec<&String> = expected.as_object().unwrap().keys().collect();
    assert!(keys.len() >= min_keys);
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
        "differences from ZooKeeper 3.8:\n{}\nZooKeeper: {expected}",
        differences.join("\n")
    );
    got
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
    compare(SCENARIO, "60", 20, real.port, ours.port);

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

/// ACLs (issue 19): a read-only node, a digest node before and after `add_auth`, the `auth`
/// and `ip` schemes, invalid lists, a multi with a forbidden op, and an unknown auth scheme.
const ACL_SCENARIO: &str = r#"
import json, sys
from kazoo.client import KazooClient
from kazoo.security import make_acl, make_digest_acl, OPEN_ACL_UNSAFE
def client(auth=None):
    zk = KazooClient(hosts=sys.argv[1], auth_data=auth); zk.start(timeout=10); return zk
def err(f):
    try:
        r = f(); return ["ok", r if isinstance(r, (str, int, list, bool)) else None]
    except Exception as e:
        return [type(e).__name__]
def acls(a):
    return [[x.perms, x.id.scheme, x.id.id] for x in a]
out = {}
zk, anon = client(), client()
ro = [make_acl("world", "anyone", read=True)]
out["ro"] = err(lambda: zk.create("/ro", b"r", acl=ro))
out["ro_set"] = err(lambda: zk.set("/ro", b"x") and None)
out["ro_child"] = err(lambda: zk.create("/ro/c", b""))
out["ro_get"] = err(lambda: zk.get("/ro")[0].decode())
out["ro_acl"] = err(lambda: acls(zk.get_acls("/ro")[0]))
out["ro_setacl"] = err(lambda: zk.set_acls("/ro", OPEN_ACL_UNSAFE) and None)
alice = [make_digest_acl("alice", "secret", all=True)]
out["d_create"] = err(lambda: zk.create("/secret", b"s", acl=alice))
out["d_get"] = err(lambda: zk.get("/secret")[0].decode())
out["d_exists"] = err(lambda: zk.exists("/secret").version)
out["d_getacl"] = err(lambda: acls(zk.get_acls("/secret")[0]))
out["d_children"] = err(lambda: zk.get_children("/secret"))
out["d_auth"] = err(lambda: zk.add_auth("digest", "alice:secret"))
out["d_get2"] = err(lambda: zk.get("/secret")[0].decode())
out["d_getacl2"] = err(lambda: acls(zk.get_acls("/secret")[0]))
out["d_set2"] = err(lambda: zk.set("/secret", b"t").version)
bob = client(auth=[("digest", "bob:pw")])
out["bob_get"] = err(lambda: bob.get("/secret")[0].decode())
out["mixed"] = err(lambda: zk.create("/mixed", b"m", acl=ro + alice))
out["mixed_bob_acl"] = err(lambda: acls(bob.get_acls("/mixed")[0]))
out["auth_anon"] = err(lambda: anon.create("/mine", b"", acl=[make_acl("auth", "", all=True)]))
out["auth_alice"] = err(lambda: zk.create("/mine", b"", acl=[make_acl("auth", "", read=True, write=True)]))
out["auth_acl"] = err(lambda: acls(zk.get_acls("/mine")[0]))
out["auth_anon_get"] = err(lambda: anon.get("/mine")[0].decode())
out["ip_local"] = err(lambda: zk.create("/ip", b"i", acl=[make_acl("ip", "127.0.0.0/8", all=True)]))
out["ip_local_get"] = err(lambda: anon.get("/ip")[0].decode())
out["ip_exact"] = err(lambda: zk.create("/ip1", b"i", acl=[make_acl("ip", "127.0.0.1", read=True)]))
out["ip_exact_get"] = err(lambda: anon.get("/ip1")[0].decode())
out["ip_other"] = err(lambda: zk.create("/ip10", b"i", acl=[make_acl("ip", "10.0.0.0/8", all=True)]))
out["ip_other_get"] = err(lambda: anon.get("/ip10")[0].decode())
out["ip_bad"] = err(lambda: zk.create("/ipbad", b"", acl=[make_acl("ip", "not-an-ip", all=True)]))
out["bad_scheme"] = err(lambda: zk.create("/bs", b"", acl=[make_acl("nosuch", "x", all=True)]))
out["bad_world"] = err(lambda: zk.create("/bw", b"", acl=[make_acl("world", "someone", all=True)]))
out["bad_digest"] = err(lambda: zk.create("/bd", b"", acl=[make_acl("digest", "alice", all=True)]))
out["empty"] = err(lambda: zk.create("/empty", b"", acl=[]))
out["nd"] = err(lambda: zk.create("/nd", b"", acl=[make_acl("world", "anyone", read=True, create=True)]))
out["nd_child"] = err(lambda: zk.create("/nd/c", b""))
out["nd_delete"] = err(lambda: zk.delete("/nd/c"))
out["nd_delete_missing"] = err(lambda: zk.delete("/nd/none"))
out["noparent"] = err(lambda: zk.create("/none/c", b"", acl=[make_acl("auth", "", all=True)]))
t = anon.transaction(); t.create("/m1", b""); t.set_data("/ro", b"x"); t.create("/m2", b"")
out["multi"] = [type(r).__name__ for r in t.commit()]
out["m1"] = anon.exists("/m1") is None
t = anon.transaction(); t.check("/secret", 1); t.create("/m3", b"")
out["multi_check"] = [type(r).__name__ for r in t.commit()]
t = zk.transaction(); t.create("/m4", b"", acl=ro); t.create("/m4/c", b"")
out["multi_inner"] = [type(r).__name__ for r in t.commit()]
out["setacl"] = err(lambda: zk.set_acls("/secret", OPEN_ACL_UNSAFE).aversion)
out["anon_after"] = err(lambda: anon.get("/secret")[0].decode())
out["stat"] = err(lambda: [zk.exists(p).aversion for p in ["/secret", "/mine"]])
out["ro_delete"] = err(lambda: zk.delete("/ro"))
bad = client()
out["authfail"] = err(lambda: bad.add_auth("nosuch", "x"))
out["authfail_then"] = err(lambda: bad.exists("/") and None)
for c in (zk, anon, bob, bad):
    try:
        c.stop(); c.close()
    except Exception:
        pass
print(json.dumps(out, sort_keys=True))
"#;

#[test]
fn our_coordinator_enforces_acls_like_zookeeper_3_8() {
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
    let got = compare(ACL_SCENARIO, "90", 40, real.port, ours.port);
    // The scenario saw what it means to: refusals, and data once authenticated.
    assert_eq!(got["ro_set"], serde_json::json!(["NoAuthError"]));
    assert_eq!(got["d_get2"], serde_json::json!(["ok", "s"]));
    assert_eq!(got["authfail"], serde_json::json!(["AuthFailedError"]));
}

/// zkCli.sh's `addauth`, `getAcl` and `setAcl` against ours. A one-shot zkCli.sh runs one
/// command per process, and an auth lasts as long as the connection: so one-shot for what needs
/// no auth, and commands on the standard input of an interactive zkCli.sh (one session) for
/// `addauth` and what follows it.
#[test]
fn zkcli_acl_commands_work_against_our_coordinator() {
    if !support::tool_path(
        "/usr/share/zookeeper/bin/zkCli.sh",
        "apt-get install zookeeper",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ours = Coordinator::start(dir.path(), "");
    let server = format!("127.0.0.1:{}", ours.port);
    let cli = |args: &[&str], stdin: &str| {
        let mut child = Command::new("timeout")
            .args([
                "60",
                "/usr/share/zookeeper/bin/zkCli.sh",
                "-server",
                &server,
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    // digest:alice:<base64 of SHA-1 of "alice:secret">, as zkCli.sh users write it.
    let alice = "digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=:cdrwa";
    assert!(cli(&["create", "/locked", "secret", alice], "").contains("Created /locked"));
    let out = cli(&["get", "/locked"], "");
    assert!(out.contains("Insufficient permission : /locked"), "{out}");
    let out = cli(&["getAcl", "/"], "");
    assert!(out.contains("'world,'anyone\n: cdrwa"), "{out}");
    let session = "addauth digest alice:secret\nget /locked\ngetAcl /locked\n\
                   setAcl /locked world:anyone:r\ngetAcl /locked\nset /locked again\nquit\n";
    let out = cli(&[], session);
    assert!(
        out.contains("secret\n"),
        "the data once authenticated: {out}"
    );
    assert!(
        out.contains("'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=\n: cdrwa"),
        "{out}"
    );
    assert!(out.contains("'world,'anyone\n: r"), "{out}");
    assert!(
        out.contains("Insufficient permission : /locked"),
        "read-only now, even for alice: {out}"
    );
    let out = cli(&["addauth", "nosuch", "x"], "");
    assert!(!out.contains("Exception in thread"), "{out}");

    // kafkalab zookeeper-shell, interactive on its standard input, does the same.
    let mut shell = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args(["zookeeper-shell", &server])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    shell
        .stdin
        .take()
        .unwrap()
        .write_all(
            format!("create /mine x {alice}\nget /mine\naddauth digest alice:secret\nget /mine\nsetAcl /mine auth::rw\ngetAcl /mine\nquit\n").as_bytes(),
        )
        .unwrap();
    let out = shell.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("Insufficient permission : /mine"), "{out}");
    assert!(out.contains("] x\n"), "{out}");
    assert!(
        out.contains("'digest,'alice:x\n: rw"),
        "auth:: became alice's digest; without ADMIN the hash is hidden: {out}"
    );
}

/// Issue 12, item 8: sequential creates mixed with deletes. ZooKeeper 3.8 names a sequential
/// child with the parent's persisted `cversion`, which counts creates only; the `cversion` a
/// client sees counts creates and deletes (`DataNode.copyStat`: `cversion * 2 - numChildren`).
/// So after a delete the next suffix is not the visible cversion. Deletes of the newest child,
/// of an older one, of every child, an ephemeral sequential child ended by its session, and a
/// multi that creates, deletes and creates again.
const SEQUENTIAL_SCENARIO: &str = r#"
import json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
out = {}
def st(s):
    return {k: getattr(s, k) for k in ["czxid","mzxid","pzxid","version","cversion","aversion","dataLength","numChildren"]}
def err(f):
    try:
        r = f(); return ["ok", r if isinstance(r, (str, int, list)) else None]
    except Exception as e:
        return [type(e).__name__]
zk.create("/q", b"")
seq = lambda p="/q/n-", **kw: err(lambda: zk.create(p, b"", sequence=True, **kw))
out["s0"] = [seq() for _ in range(3)]
out["del_newest"] = err(lambda: zk.delete("/q/n-0000000002"))
out["s1"] = seq()
out["q1"] = st(zk.exists("/q"))
out["del_oldest"] = err(lambda: zk.delete("/q/n-0000000000"))
out["s2"] = [seq(), seq("/q/m-")]
out["q2"] = st(zk.exists("/q"))
out["plain"] = err(lambda: zk.create("/q/plain", b""))
out["del_plain"] = err(lambda: zk.delete("/q/plain"))
out["s3"] = seq()
for c in sorted(zk.get_children("/q")):
    zk.delete("/q/" + c)
out["q3"] = st(zk.exists("/q"))
out["s4"] = seq()
other = KazooClient(hosts=sys.argv[1]); other.start(timeout=10)
out["eph"] = err(lambda: other.create("/q/e-", b"", sequence=True, ephemeral=True))
other.stop(); other.close()
out["q4"] = st(zk.exists("/q"))
out["s5"] = seq()
q = zk.exists("/q"); nxt = (q.cversion + q.numChildren) // 2
t = zk.transaction(); t.create("/q/t-", b"", sequence=True); t.delete("/q/t-%010d" % nxt); t.create("/q/t-", b"", sequence=True)
out["multi"] = [r if isinstance(r, (str, bool)) else type(r).__name__ for r in t.commit()]
out["q5"] = st(zk.exists("/q"))
t = zk.transaction(); t.create("/q/u-", b"", sequence=True); t.delete("/q/none")
out["multi_fail"] = [type(r).__name__ for r in t.commit()]
out["s6"] = seq()
out["kids"] = sorted(zk.get_children("/q"))
out["root"] = st(zk.exists("/"))
zk.stop(); zk.close()
print(json.dumps(out, sort_keys=True))
"#;

#[test]
fn sequential_creates_after_deletes_are_numbered_like_zookeeper_3_8() {
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
    let got = compare(SEQUENTIAL_SCENARIO, "90", 15, real.port, ours.port);
    // The scenario reached what it is about: a suffix chosen right after a delete.
    assert_eq!(got["s1"], serde_json::json!(["ok", "/q/n-0000000003"]));
}
