//! Step 7: a broker registers in ZooKeeper as Kafka 2.6 does — the chroot and Kafka's persistent
//! paths made if missing, one `/cluster/id` for everyone, and an ephemeral `/brokers/ids/<id>`
//! whose czxid is the broker epoch. Run on lab 08's coordinator, in this process; the same
//! registration against Debian's ZooKeeper 3.8 and through `kafka-server-start` is in
//! `tools/tests/cluster_registration.rs`.

use std::time::Duration;

use lab08_znodes::client::ZkClient;
use lab08_znodes::cnxn_factory::{run as serve, Shared};
use lab08_znodes::config::ZooConfig;
use lab11_controller::registration::{path_chain, PERSISTENT_PATHS};
use lab11_controller::zk_data::decode_cluster_id;
use lab11_controller::{register, BrokerInfo, BrokerSession, EndPoint, SessionConfig, ZkConnect};
use tokio::net::TcpListener;

fn broker(id: i32) -> BrokerInfo {
    BrokerInfo {
        id,
        endpoints: vec![EndPoint {
            listener_name: "PLAINTEXT".into(),
            host: "127.0.0.1".into(),
            port: 9090 + id,
            security_protocol: "PLAINTEXT".into(),
        }],
        rack: None,
        jmx_port: -1,
        timestamp_ms: 1_596_000_000_000,
        version: 4,
    }
}

/// Lab 08's coordinator on a loopback port of this process; the guard stops it.
async fn coordinator(dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (config, _) = ZooConfig::parse(&format!(
        "dataDir={}\nclientPort=0\nclientPortAddress=127.0.0.1\n",
        dir.display()
    ))
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, Shared::new(config), async {
        let _ = stopped.await;
    }));
    (address, stop)
}

#[test]
fn step7_path_chain_lists_every_parent_first() {
    assert_eq!(
        path_chain("/my-kafka-cluster/brokers/ids"),
        [
            "/my-kafka-cluster",
            "/my-kafka-cluster/brokers",
            "/my-kafka-cluster/brokers/ids"
        ]
    );
    assert_eq!(path_chain("/cluster"), ["/cluster"]);
    assert!(path_chain("/").is_empty());
    // A trailing or doubled slash does not make an empty name.
    assert_eq!(path_chain("/a//b/"), ["/a", "/a/b"]);
}

#[tokio::test]
async fn step7_three_brokers_register_under_the_chroot() {
    let dir = tempfile::tempdir().unwrap();
    let (address, _stop) = coordinator(dir.path()).await;
    let connect = ZkConnect::parse(&format!("{address}/my-kafka-cluster")).unwrap();
    let mut sessions = Vec::new();
    let mut cluster_ids = Vec::new();
    for id in [3, 1, 2] {
        let mut zk = ZkClient::connect(&address, 6000).await.unwrap();
        // Each broker proposes its own id; only the first one's is written.
        let registration = register(&mut zk, &connect, &broker(id), &format!("cluster-of-{id}"))
            .await
            .unwrap();
        cluster_ids.push(registration.cluster_id.clone());
        let (_, stat) = zk
            .get(&format!("/my-kafka-cluster/brokers/ids/{id}"))
            .await
            .unwrap();
        assert_eq!(
            registration.broker_epoch, stat.czxid,
            "the broker epoch is the czxid"
        );
        assert_eq!(
            stat.ephemeral_owner, zk.session_id,
            "the registration is ephemeral"
        );
        sessions.push(zk);
    }
    assert_eq!(
        cluster_ids, ["cluster-of-3"; 3],
        "the first broker's cluster id wins"
    );

    let mut admin = ZkClient::connect(&address, 6000).await.unwrap();
    assert_eq!(
        admin
            .children("/my-kafka-cluster/brokers/ids")
            .await
            .unwrap(),
        ["1", "2", "3"]
    );
    let (json, _) = admin.get("/my-kafka-cluster/brokers/ids/2").await.unwrap();
    assert_eq!(BrokerInfo::decode(2, &json).unwrap(), broker(2));
    let (id, _) = admin.get("/my-kafka-cluster/cluster/id").await.unwrap();
    assert_eq!(decode_cluster_id(&id).unwrap(), "cluster-of-3");
    for path in PERSISTENT_PATHS {
        let path = format!("/my-kafka-cluster{path}");
        assert!(
            admin.exists(&path).await.unwrap().is_some(),
            "{path} is missing"
        );
    }
    // Nothing outside the chroot but the chroot itself (and ZooKeeper's own /zookeeper).
    let mut top = admin.children("/").await.unwrap();
    top.retain(|c| c != "zookeeper");
    assert_eq!(top, ["my-kafka-cluster"]);

    // A broker whose session ends is gone from /brokers/ids at once.
    sessions.remove(0).close().await.unwrap();
    assert_eq!(
        admin
            .children("/my-kafka-cluster/brokers/ids")
            .await
            .unwrap(),
        ["1", "2"]
    );
    // Its id cannot be registered twice while the first registration lives.
    let mut twin = ZkClient::connect(&address, 6000).await.unwrap();
    let twice = register(&mut twin, &connect, &broker(1), "x").await;
    assert!(twice.is_err(), "a second broker 1 registered: {twice:?}");
}

#[tokio::test]
async fn step7_the_session_task_registers_pings_and_closes() {
    let dir = tempfile::tempdir().unwrap();
    let (address, _stop) = coordinator(dir.path()).await;
    // The first server listed is down: the task goes on to the next one.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_address = dead.local_addr().unwrap().to_string();
    drop(dead);
    let connect = ZkConnect::parse(&format!("{dead_address},{address}/kafka/prod")).unwrap();
    // A session timeout of 2 s pings every ~0.7 s: the registration outlives several timeouts.
    let session = BrokerSession::spawn(SessionConfig {
        connect,
        info: broker(7),
        session_timeout_ms: 2000,
        cluster_id: "c1".into(),
    });
    let mut admin = ZkClient::connect(&address, 6000).await.unwrap();
    let mut registered = false;
    for _ in 0..100 {
        if session.registration().is_some() {
            registered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(registered, "the session task did not register within 5 s");
    tokio::time::sleep(Duration::from_millis(5000)).await;
    assert_eq!(
        admin.children("/kafka/prod/brokers/ids").await.unwrap(),
        ["7"]
    );
    session.close().await;
    assert!(admin
        .children("/kafka/prod/brokers/ids")
        .await
        .unwrap()
        .is_empty());
}
