//! Lab 08's coordinator, started as `kafkalab zookeeper-server-start zoo.cfg`, used by real
//! ZooKeeper clients with no special settings: kazoo (paths, ephemeral and sequential nodes,
//! versions, ZooKeeper's errors, transactions, session close) and the four-letter words. All
//! traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use support::coordinator::Coordinator;
use support::run_ok;

fn four_letter(port: u16, word: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(word.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

const KAZOO: &str = r#"
import json, sys
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError, NodeExistsError, BadVersionError, NotEmptyError, NoChildrenForEphemeralsError, BadArgumentsError
out = {}
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
zk.ensure_path("/brokers/ids")
out["ephemeral"] = zk.create("/brokers/ids/1", b"host1", ephemeral=True)
out["seq"] = [zk.create("/q/item-", b"", sequence=True, makepath=True) for _ in range(3)]
data, stat = zk.get("/brokers/ids/1")
out["get"] = [data.decode(), stat.version, stat.ephemeralOwner == zk.client_id[0], stat.dataLength]
out["set"] = zk.set("/brokers/ids/1", b"h2", version=0).version
def error(f):
    try:
        f()
        return "none"
    except Exception as e:
        return type(e).__name__
out["errors"] = [
    error(lambda: zk.set("/brokers/ids/1", b"h3", version=0)),
    error(lambda: zk.create("/brokers/ids/1", b"")),
    error(lambda: zk.delete("/brokers")),
    error(lambda: zk.get("/nope")),
    error(lambda: zk.create("/brokers/ids/1/child", b"")),
    error(lambda: zk.delete("/zookeeper")),
]
out["children"] = sorted(zk.get_children("/"))
t = zk.transaction(); t.create("/t1", b"a"); t.create("/t2", b"b"); t.check("/t1", 0)
out["txn_ok"] = [str(r) for r in t.commit()]
t = zk.transaction(); t.create("/t3"); t.create("/t1")
out["txn_fail"] = [type(r).__name__ for r in t.commit()]
out["t3"] = zk.exists("/t3") is None
zk.delete("/q", recursive=True)
out["q"] = zk.exists("/q") is None
# A second client sees the first one's ephemeral node until that session closes.
other = KazooClient(hosts=sys.argv[1]); other.start(timeout=10)
out["seen_before"] = other.exists("/brokers/ids/1") is not None
zk.stop(); zk.close()
out["seen_after"] = other.exists("/brokers/ids/1") is not None
out["parent"] = other.get_children("/brokers/ids")
other.stop(); other.close()
print(json.dumps(out))
"#;

#[test]
fn kazoo_uses_our_coordinator() {
    if !support::python_module("kazoo", "pip install kazoo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    let out = run_ok(Command::new("timeout").args(["60", "python3", "-c", KAZOO, &zk.address()]));
    let v: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["ephemeral"], "/brokers/ids/1");
    assert_eq!(
        v["seq"],
        serde_json::json!([
            "/q/item-0000000000",
            "/q/item-0000000001",
            "/q/item-0000000002"
        ])
    );
    assert_eq!(v["get"], serde_json::json!(["host1", 0, true, 5]));
    assert_eq!(v["set"], 1);
    assert_eq!(
        v["errors"],
        serde_json::json!([
            "BadVersionError",
            "NodeExistsError",
            "NotEmptyError",
            "NoNodeError",
            "NoChildrenForEphemeralsError",
            "BadArgumentsError"
        ])
    );
    assert_eq!(
        v["children"],
        serde_json::json!(["brokers", "q", "zookeeper"])
    );
    assert_eq!(v["txn_ok"], serde_json::json!(["/t1", "/t2", "True"]));
    assert_eq!(
        v["txn_fail"],
        serde_json::json!(["RolledBackError", "NodeExistsError"])
    );
    assert_eq!(
        (v["t3"].as_bool(), v["q"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (v["seen_before"].as_bool(), v["seen_after"].as_bool()),
        (Some(true), Some(false)),
        "closing a session deletes its ephemeral nodes"
    );
    assert_eq!(v["parent"], serde_json::json!([]));
}

#[test]
fn four_letter_words_follow_the_whitelist() {
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "4lw.commands.whitelist=ruok,srvr,mntr,conf\n");
    assert_eq!(four_letter(zk.port, "ruok"), "imok");
    let srvr = four_letter(zk.port, "srvr");
    assert!(
        srvr.contains("Mode: standalone") && srvr.contains("Node count: 5"),
        "{srvr}"
    );
    assert!(four_letter(zk.port, "mntr").contains("zk_znode_count\t5"));
    assert!(four_letter(zk.port, "conf").contains(&format!("clientPort={}", zk.port)));
    assert_eq!(
        four_letter(zk.port, "stat"),
        "stat is not executed because it is not in the whitelist.\n"
    );
    drop(zk);
    // ZooKeeper's default whitelist is srvr alone.
    let zk = Coordinator::start(dir.path(), "");
    assert!(four_letter(zk.port, "ruok").contains("not in the whitelist"));
    assert!(four_letter(zk.port, "srvr").starts_with("Zookeeper version:"));
}

/// ZooKeeper takes the word off the socket before it answers and closes. A server that closes
/// with the word still unread resets the connection instead, and `echo srvr | nc HOST 2181` (the
/// install lesson's check) then often prints nothing: nc sees the reset before it prints.
#[test]
fn a_four_letter_word_is_answered_with_a_plain_close_not_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "4lw.commands.whitelist=ruok,srvr\n");
    for word in ["ruok", "srvr", "ruok", "srvr"] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", zk.port)).unwrap();
        s.write_all(word.as_bytes()).unwrap();
        let mut out = String::new();
        let read = s.read_to_string(&mut out);
        // Not a time limit: on loopback a reset sent with the close has arrived by then.
        std::thread::sleep(std::time::Duration::from_millis(100));
        let error = s.take_error().unwrap().or(read.err());
        assert!(
            error.is_none(),
            "{word}: the connection was reset ({error:?}) after the answer {out:?}"
        );
    }
}

#[test]
fn bad_input_closes_only_that_connection() {
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    // A 2 GiB length prefix, garbage, a request before connecting: each connection is closed.
    for bytes in [
        &[0x7f, 0xff, 0xff, 0xff][..],
        b"\x00\x00\x00\x05hello",
        b"\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x04",
    ] {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", zk.port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        s.write_all(bytes).unwrap();
        let mut buf = Vec::new();
        let n = s.read_to_end(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "closed without an answer for {bytes:?}");
    }
    // And the server still answers everyone else.
    assert!(four_letter(zk.port, "srvr").starts_with("Zookeeper version:"));
}

fn shell(server: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .arg("zookeeper-shell")
        .arg(server)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn zookeeper_shell_one_shot_and_interactive() {
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    let a = zk.address();
    assert_eq!(
        shell(&a, &["create", "/brokers", "b"]).1,
        "Created /brokers\n"
    );
    assert_eq!(
        shell(&a, &["create", "-s", "/brokers/id-", "x"]).1,
        "Created /brokers/id-0000000000\n"
    );
    assert_eq!(shell(&a, &["ls", "/"]).1, "[brokers, zookeeper]\n");
    assert_eq!(
        shell(&a, &["ls", "-R", "/brokers"]).1,
        "/brokers\n/brokers/id-0000000000\n"
    );
    assert_eq!(shell(&a, &["get", "/brokers"]).1, "b\n");
    let stat = shell(&a, &["stat", "/brokers"]).1;
    assert!(
        stat.contains("cversion = 1\n")
            && stat.contains("numChildren = 1\n")
            && stat.contains("dataLength = 1\n"),
        "{stat}"
    );
    let (ok, _, err) = shell(&a, &["delete", "/brokers"]);
    assert!(!ok && err.trim() == "Node not empty: /brokers", "{err}");
    let (ok, _, err) = shell(&a, &["set", "/brokers", "c", "7"]);
    assert!(!ok && err.contains("version No is not valid"), "{err}");
    // Interactive: commands from standard input, a prompt for each.
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .args(["zookeeper-shell", &a])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"deleteall /brokers\nls /\nquit\n")
        .unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert!(out.contains("(CONNECTED) 1] [zookeeper]"), "{out}");
    let (ok, _, err) = shell("127.0.0.1:1", &["ls", "/"]);
    assert!(!ok && err.contains("cannot reach ZooKeeper"), "{err}");
}

const WRITES: &str = r#"
import json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
created = [zk.create("/acked/n-", str(i).encode(), sequence=True, makepath=True) for i in range(300)]
zk.set("/acked", b"last write")
print(json.dumps(created))
"#;

const READ_BACK: &str = r#"
import json, sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=10)
kids = sorted(zk.get_children("/acked"))
print(json.dumps({"kids": ["/acked/" + k for k in kids], "data": zk.get("/acked")[0].decode(),
                  "values": [zk.get("/acked/" + k)[0].decode() for k in kids[:5]]}))
zk.stop()
"#;

#[test]
fn acknowledged_writes_survive_kill_9() {
    if !support::python_module("kazoo", "pip install kazoo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    let out = run_ok(Command::new("timeout").args(["60", "python3", "-c", WRITES, &zk.address()]));
    let created: Vec<String> = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(created.len(), 300);
    drop(zk); // SIGKILL: no shutdown, no flush
    let zk = Coordinator::start(dir.path(), "");
    let out =
        run_ok(Command::new("timeout").args(["60", "python3", "-c", READ_BACK, &zk.address()]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let kids: Vec<String> = serde_json::from_value(v["kids"].clone()).unwrap();
    assert_eq!(kids, created, "every acknowledged create is back");
    assert_eq!(v["data"], "last write");
    assert_eq!(v["values"], serde_json::json!(["0", "1", "2", "3", "4"]));
    // New sequential names go on after the old ones.
    let (_, out, _) = shell(&zk.address(), &["create", "-s", "/acked/n-", "x"]);
    assert_eq!(out, "Created /acked/n-0000000300\n");
}

#[test]
fn zk_bench_prints_a_line_per_phase_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    let out = run_ok(
        Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools")).args([
            "zk-bench",
            "--server",
            &zk.address(),
            "--clients",
            "3",
            "--ops",
            "50",
        ]),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].starts_with("phase") && lines[1].contains("p99 ms"),
        "{out}"
    );
    for (line, phase) in lines[2..]
        .iter()
        .zip(["create", "setData", "getData", "delete"])
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((fields[0], fields[1]), (phase, "150"), "{out}");
        assert!(fields[2].parse::<f64>().unwrap() > 0.0);
    }
    assert_eq!(
        shell(&zk.address(), &["ls", "/"]).1,
        "[zookeeper]\n",
        "the benchmark removed its nodes"
    );
}

/// Several servers, comma-separated: client i uses server i mod n (here one server, listed
/// twice, so that the test needs no ensemble).
#[test]
fn zk_bench_spreads_clients_over_a_server_list() {
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    let servers = format!("{},{}", zk.address(), zk.address());
    let out = run_ok(
        Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools")).args([
            "zk-bench",
            "--server",
            &servers,
            "--clients",
            "2",
            "--ops",
            "10",
        ]),
    );
    assert!(out.lines().next().unwrap().ends_with(&servers), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains(" 20 ")).count(),
        4,
        "{out}"
    );
    assert_eq!(shell(&zk.address(), &["ls", "/"]).1, "[zookeeper]\n");
}

const WATCHES: &str = r#"
import json, subprocess, sys, time
from kazoo.client import KazooClient
server = sys.argv[1]
events = []
a = KazooClient(hosts=server); a.start(timeout=10)
a.ensure_path("/brokers/ids")
@a.ChildrenWatch("/brokers/ids")
def kids(children):
    events.append(["kids", sorted(children)])
@a.DataWatch("/controller")
def controller(data, stat):
    events.append(["controller", data.decode() if data else None])
# Another process registers a "broker" and becomes "controller", then dies without closing its
# session: its ephemeral nodes go when the session times out.
subprocess.run([sys.executable, "-c", f'''
import os
from kazoo.client import KazooClient
b = KazooClient(hosts="{server}", timeout=1.5); b.start(timeout=10)
b.create("/brokers/ids/1", b"h1", ephemeral=True)
b.create("/controller", b"1", ephemeral=True)
b.set("/controller", b"2")
os._exit(0)
'''], check=True)
deadline = time.time() + 15
while time.time() < deadline and events[-2:] != [["kids", []], ["controller", None]] and events[-2:] != [["controller", None], ["kids", []]]:
    time.sleep(0.1)
a.stop()
print(json.dumps(events))
"#;

#[test]
fn kazoo_watches_see_creates_changes_and_a_dead_sessions_nodes_going() {
    if !support::python_module("kazoo", "pip install kazoo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "tickTime=500\n");
    let out = run_ok(Command::new("timeout").args(["60", "python3", "-c", WATCHES, &zk.address()]));
    let events: Vec<serde_json::Value> = serde_json::from_str(out.trim()).unwrap();
    let kids: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e[0] == "kids")
        .map(|e| &e[1])
        .collect();
    let controller: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e[0] == "controller")
        .map(|e| &e[1])
        .collect();
    assert_eq!(
        kids,
        [
            &serde_json::json!([]),
            &serde_json::json!(["1"]),
            &serde_json::json!([])
        ],
        "{events:?}"
    );
    assert_eq!(
        controller.first(),
        Some(&&serde_json::Value::Null),
        "{events:?}"
    );
    assert_eq!(
        controller.last(),
        Some(&&serde_json::Value::Null),
        "the node went with the session: {events:?}"
    );
    assert!(
        controller.iter().any(|c| **c == "1" || **c == "2"),
        "the creation was seen: {events:?}"
    );
}

const RECIPES: &str = r#"
import json, sys, threading, time
from kazoo.client import KazooClient
server = sys.argv[1]
a = KazooClient(hosts=server); a.start(timeout=10)
b = KazooClient(hosts=server); b.start(timeout=10)
out = {}
# Lock: b waits while a holds it, and gets it when a lets go.
la, lb = a.Lock("/locks/res", "a"), b.Lock("/locks/res", "b")
la.acquire(timeout=10)
out["contenders"] = la.contenders()
from kazoo.exceptions import LockTimeout
try:
    out["b_while_a_holds"] = lb.acquire(timeout=1)
except LockTimeout:
    out["b_while_a_holds"] = False
order = []
def b_takes():
    lb.acquire(timeout=10); order.append("b"); lb.release()
t = threading.Thread(target=b_takes); t.start()
time.sleep(0.5); order.append("a releases"); la.release(); t.join(15)
out["lock_order"] = order
out["contenders_after"] = la.contenders()
# Election: a leads first; when a's leadership ends, b leads.
leaders = []
stop_a = threading.Event()
def lead(name, until):
    leaders.append(name); until.wait(15)
ea, eb = a.Election("/election", "a"), b.Election("/election", "b")
ta = threading.Thread(target=lambda: ea.run(lead, "a", stop_a)); ta.start()
time.sleep(1)
stop_b = threading.Event()
tb = threading.Thread(target=lambda: eb.run(lead, "b", stop_b)); tb.start()
time.sleep(1)
out["contenders_election"] = ea.contenders()
stop_a.set(); ta.join(15)
deadline = time.time() + 10
while time.time() < deadline and len(leaders) < 2:
    time.sleep(0.1)
stop_b.set(); tb.join(15)
out["leaders"] = leaders
a.stop(); b.stop()
print(json.dumps(out))
"#;

#[test]
fn kazoo_lock_and_election_recipes_work_between_two_clients() {
    if !support::python_module("kazoo", "pip install kazoo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let zk = Coordinator::start(dir.path(), "");
    let out = run_ok(Command::new("timeout").args(["90", "python3", "-c", RECIPES, &zk.address()]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["b_while_a_holds"], false, "{v}");
    assert_eq!(
        v["lock_order"],
        serde_json::json!(["a releases", "b"]),
        "{v}"
    );
    assert_eq!(v["contenders"], serde_json::json!(["a"]), "{v}");
    assert_eq!(v["contenders_after"], serde_json::json!([]), "{v}");
    assert_eq!(
        v["contenders_election"],
        serde_json::json!(["a", "b"]),
        "{v}"
    );
    assert_eq!(v["leaders"], serde_json::json!(["a", "b"]), "{v}");
}

#[test]
fn bad_config_names_the_line_and_max_client_cnxns_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("zoo.cfg");
    std::fs::write(&config, "tickTime=2000\nclientPort=not-a-port\n").unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("kafkalab-tools"))
        .arg("zookeeper-server-start")
        .arg(&config)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("zoo.cfg line 2: clientPort"),
        "{err}"
    );
    // Two connections from one address at most: the third is closed at once.
    let zk = Coordinator::start(dir.path(), "maxClientCnxns=2\n");
    let first = std::net::TcpStream::connect(("127.0.0.1", zk.port)).unwrap();
    let second = std::net::TcpStream::connect(("127.0.0.1", zk.port)).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut third = std::net::TcpStream::connect(("127.0.0.1", zk.port)).unwrap();
    third
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(
        third.read(&mut buf).unwrap_or(0),
        0,
        "the third connection is closed"
    );
    drop((first, second));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        four_letter(zk.port, "srvr")
            .lines()
            .next()
            .map(|l| l.starts_with("Zookeeper version")),
        Some(true),
        "room again once they close"
    );
}

const RECONNECT: &str = r#"
import json, sys, time
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState
server, phase = sys.argv[1], sys.argv[2]
out = {}
a = KazooClient(hosts=server, timeout=20)
a.start(timeout=10)
a.create("/mine", b"", ephemeral=True)
seen = []
@a.DataWatch("/w")
def w(data, stat):
    seen.append(data.decode() if data else None)
session = a.client_id[0]
print("ready", flush=True)
sys.stdin.readline()          # the server restarts here
deadline = time.time() + 20
while time.time() < deadline and a.state != KazooState.CONNECTED:
    time.sleep(0.1)
time.sleep(0.5)
b = KazooClient(hosts=server); b.start(timeout=10)
b.create("/w", b"after restart")
deadline = time.time() + 10
while time.time() < deadline and "after restart" not in seen:
    time.sleep(0.1)
out["same_session"] = a.client_id[0] == session
out["mine_kept"] = b.exists("/mine") is not None
out["seen"] = seen
b.stop(); a.stop()
print(json.dumps(out), flush=True)
"#;

/// A client keeps its session and its watches across a coordinator restart: the session comes
/// back from the log, the client reconnects with it and sends setWatches, and the next change
/// still reaches it.
#[test]
fn a_session_and_its_watches_survive_a_coordinator_restart() {
    if !support::python_module("kazoo", "pip install kazoo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = support::broker::free_port();
    let zk = Coordinator::start_on(dir.path(), port, "");
    let mut client = Command::new("timeout")
        .args(["60", "python3", "-c", RECONNECT, &zk.address(), "x"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(client.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    drop(zk); // kill -9
    let _zk = Coordinator::start_on(dir.path(), port, "");
    client.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(client.wait().unwrap().success(), "{rest}");
    let v: serde_json::Value =
        serde_json::from_str(rest.trim()).unwrap_or_else(|e| panic!("{e}: {rest}"));
    assert_eq!(v["same_session"], true, "{v}");
    assert_eq!(
        v["mine_kept"], true,
        "the session's ephemeral node is still there: {v}"
    );
    assert_eq!(v["seen"], serde_json::json!([null, "after restart"]), "{v}");
}
