//! Lab 08's `ZkClient` watches and multi, the two things a controller on ZooKeeper needs: the
//! same scenario against our coordinator and against Debian's real ZooKeeper 3.8 must give the
//! same transcript. All traffic stays on 127.0.0.1.

use kafkalab_testkit as support;

use lab08_znodes::client::{ClientError, WatchedEvent, ZkClient};
use lab08_znodes::code::Code;
use lab08_znodes::proto::{Op, OpResult};
use support::coordinator::Coordinator;
use support::real_zookeeper::RealZooKeeper;
use tokio::sync::mpsc::UnboundedReceiver;

/// Pings until a notification has arrived: the server sends it before it answers a ping sent
/// after the write that fired it, so one ping is usually enough; the bound keeps a lost event
/// from hanging the test.
async fn next_event(zk: &mut ZkClient, rx: &mut UnboundedReceiver<WatchedEvent>) -> String {
    for _ in 0..200 {
        zk.ping().await.unwrap();
        if let Ok(e) = rx.try_recv() {
            return format!("event {} {} {}", e.kind, e.state, e.path);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no watch notification after 200 pings");
}

/// What is on the channel after a ping: a watch that fired once must stay quiet until re-armed.
async fn quiet(zk: &mut ZkClient, rx: &mut UnboundedReceiver<WatchedEvent>) -> String {
    zk.ping().await.unwrap();
    zk.ping().await.unwrap();
    match rx.try_recv() {
        Ok(e) => format!("unexpected event {} {} {}", e.kind, e.state, e.path),
        Err(_) => "quiet".into(),
    }
}

fn multi_outcome(r: Result<Vec<OpResult>, ClientError>) -> String {
    match r {
        Ok(results) => {
            let parts: Vec<String> = results
                .iter()
                .map(|r| match r {
                    OpResult::Empty => "ok".to_string(),
                    OpResult::Path(p) => format!("created {p}"),
                    OpResult::Stat(s) => format!("version {}", s.version),
                    other => format!("{other:?}"),
                })
                .collect();
            format!("ok [{}]", parts.join(", "))
        }
        Err(ClientError::Multi { index, code, .. }) => {
            format!(
                "failed at {index}: {}",
                Code::from_code(code).unwrap().name()
            )
        }
        Err(e) => format!("other error: {e}"),
    }
}

async fn scenario(addr: String) -> Vec<String> {
    let mut a = ZkClient::connect(&addr, 10_000).await.unwrap();
    let mut b = ZkClient::connect(&addr, 10_000).await.unwrap();
    let mut rx = a.events().unwrap();
    assert!(a.events().is_none(), "the receiver is taken once");
    let mut out = Vec::new();

    // A child watch fires once, on the first child created, and must be re-armed.
    a.create("/w", b"", 0).await.unwrap();
    out.push(format!("{:?}", a.children_and_watch("/w").await.unwrap()));
    b.create("/w/c1", b"", 0).await.unwrap();
    out.push(next_event(&mut a, &mut rx).await);
    b.create("/w/c2", b"", 0).await.unwrap();
    out.push(quiet(&mut a, &mut rx).await);
    out.push(format!("{:?}", a.children_and_watch("/w").await.unwrap()));
    b.delete("/w/c2", -1).await.unwrap();
    out.push(next_event(&mut a, &mut rx).await);

    // A data watch fires on setData, and (re-armed) on delete.
    a.create("/d", b"x", 0).await.unwrap();
    a.get_and_watch("/d").await.unwrap();
    b.set("/d", b"y", -1).await.unwrap();
    out.push(next_event(&mut a, &mut rx).await);
    a.get_and_watch("/d").await.unwrap();
    b.delete("/d", -1).await.unwrap();
    out.push(next_event(&mut a, &mut rx).await);

    // An exists watch on an absent node fires on its create.
    out.push(format!("{:?}", a.exists_and_watch("/e").await.unwrap()));
    b.create("/e", b"", 0).await.unwrap();
    out.push(next_event(&mut a, &mut rx).await);
    out.push(quiet(&mut a, &mut rx).await);

    // Multi: Kafka's controller writes only if /controller_epoch is still at the version it read.
    a.create("/controller_epoch", b"1", 0).await.unwrap();
    let ok = a
        .multi(&[
            Op::check("/controller_epoch", 0),
            Op::create("/m1", b"x", 0),
        ])
        .await;
    out.push(multi_outcome(ok));
    let stale = a
        .multi(&[
            Op::check("/controller_epoch", 5),
            Op::create("/m2", b"x", 0),
        ])
        .await;
    out.push(multi_outcome(stale));
    out.push(format!(
        "m2 exists: {}",
        a.exists("/m2").await.unwrap().is_some()
    ));
    let second_fails = a
        .multi(&[
            Op::check("/controller_epoch", 0),
            Op::create("/m1", b"x", 0),
        ])
        .await;
    out.push(multi_outcome(second_fails));
    let writes = a
        .multi(&[
            Op::check("/controller_epoch", 0),
            Op::set_data("/m1", b"z", 0),
            Op::delete("/m1", 1),
        ])
        .await;
    out.push(multi_outcome(writes));
    out.push(format!(
        "m1 exists: {}",
        a.exists("/m1").await.unwrap().is_some()
    ));

    // Our own writes fired nothing on a (no watch was armed for them).
    out.push(quiet(&mut a, &mut rx).await);
    b.close().await.unwrap();
    a.close().await.unwrap();
    out
}

fn run(addr: String) -> Vec<String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(scenario(addr))
}

fn expected() -> Vec<String> {
    [
        "[]",
        "event 4 3 /w",
        "quiet",
        "[\"c1\", \"c2\"]",
        "event 4 3 /w",
        "event 3 3 /d",
        "event 2 3 /d",
        "None",
        "event 1 3 /e",
        "quiet",
        "ok [ok, created /m1]",
        "failed at 0: BADVERSION",
        "m2 exists: false",
        "failed at 1: NODEEXISTS",
        "ok [ok, version 1, ok]",
        "m1 exists: false",
        "quiet",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn client_watches_and_multi_on_our_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let ours = Coordinator::start(dir.path(), "");
    assert_eq!(run(ours.address()), expected());
}

#[test]
fn client_watches_and_multi_same_on_zookeeper_3_8() {
    if !RealZooKeeper::installed() {
        return;
    }
    let (real_dir, our_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let real = RealZooKeeper::start(real_dir.path());
    let ours = Coordinator::start(our_dir.path(), "");
    let theirs = run(real.address());
    assert_eq!(theirs, expected(), "the real ZooKeeper 3.8");
    assert_eq!(run(ours.address()), theirs, "ours against the real one");
}
