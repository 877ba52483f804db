//! Lab 11's controller through the real programs: three `kafka-server-start` brokers with
//! `zookeeper.connect=…/my-kafka-cluster` elect one controller, which turns a topic assignment
//! written straight into ZooKeeper into partition states and tells every broker (a real client,
//! kcat, sees the leaders at any broker). When the controller's broker is killed, another one
//! takes over with the next epoch once the dead session expires, and the dead broker's
//! partition is leaderless until it returns. The same scenario runs on our coordinator and on
//! Debian's ZooKeeper 3.8; all traffic stays on 127.0.0.1.
//!
//! A second test drives one broker's session task in this process: the `ZkAdmin` requests a
//! broker's handlers make (create, configs, delete), and the controller deleting the topic.

mod common;

use kafkalab_testkit as support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{wait_until, Zk};
use lab08_znodes::client::ZkClient;
use lab11_controller::zk_data::{LeaderIsrAndControllerEpoch, NO_LEADER};
use support::broker::Broker;
use support::coordinator::Coordinator;
use support::free_port;
use support::real_zookeeper::RealZooKeeper;

const SESSION_TIMEOUT_MS: u64 = 6000;
const CHROOT: &str = "/my-kafka-cluster";

fn start_broker(root: &Path, zk: &str, id: i32, port: u16) -> Broker {
    let dir = root.join(format!("broker{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    Broker::start_with(
        &dir,
        port,
        &format!(
            "broker.id={id}\nzookeeper.connect={zk}{CHROOT}\n\
             zookeeper.session.timeout.ms={SESSION_TIMEOUT_MS}\n"
        ),
    )
}

/// What kcat (librdkafka) learns from a Metadata request at `broker`: the controller id, the
/// brokers, and topic `t`'s leaders by partition.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    controller: i64,
    brokers: Vec<i64>,
    leaders: BTreeMap<i64, i64>,
}

fn kcat_metadata(broker: &str) -> Result<Seen, String> {
    let mut child = Command::new("kcat")
        .args(["-L", "-J", "-b", broker, "-m", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("kcat did not finish within 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).map_err(|e| format!("{e}: {out}"))?;
    let mut brokers: Vec<i64> = json["brokers"]
        .as_array()
        .ok_or(out.clone())?
        .iter()
        .filter_map(|b| b["id"].as_i64())
        .collect();
    brokers.sort();
    let mut leaders = BTreeMap::new();
    for topic in json["topics"].as_array().ok_or(out.clone())? {
        if topic["topic"] == "t" {
            for p in topic["partitions"].as_array().ok_or(out.clone())? {
                leaders.insert(
                    p["partition"].as_i64().unwrap_or(-99),
                    p["leader"].as_i64().unwrap_or(-99),
                );
            }
        }
    }
    Ok(Seen {
        controller: json["controllerid"].as_i64().unwrap_or(-99),
        brokers,
        leaders,
    })
}

/// Waits until kcat at `broker` sees `want` (skipped without kcat).
fn wait_for_metadata(broker: &str, want: Seen, secs: u64) {
    if !support::tool("kcat", "apt-get install kcat") {
        return;
    }
    wait_until(&format!("Metadata at {broker} = {want:?}"), secs, || {
        let seen = kcat_metadata(broker)?;
        if seen == want {
            Ok(())
        } else {
            Err(format!("{seen:?}"))
        }
    });
}

/// Waits until partition `p`'s state znode has `leader`; returns the state.
fn wait_for_leader(zk: &mut Zk, p: i32, leader: i32, secs: u64) -> LeaderIsrAndControllerEpoch {
    wait_until(
        &format!("partition {p} led by {leader}"),
        secs,
        || match zk.state("t", p) {
            Some(s) if s.leader == leader => Ok(s),
            other => Err(format!("{other:?}")),
        },
    )
}

/// The scenario, on any ZooKeeper at `address`.
fn controller_elects_fails_over_and_leads_again(root: &Path, address: &str) {
    let started = Instant::now();
    let ports = [free_port(), free_port(), free_port()];
    let addr = |id: i32| format!("127.0.0.1:{}", ports[id as usize - 1]);
    let mut brokers: BTreeMap<i32, Broker> = (1..=3)
        .map(|id| (id, start_broker(root, address, id, ports[id as usize - 1])))
        .collect();
    let mut zk = Zk::connect(address, CHROOT);

    // One controller, the first of the cluster: epoch 1.
    let controller = wait_until("a controller", 30, || zk.controller().ok_or("none".into()));
    assert!((1..=3).contains(&controller), "controller {controller}");
    assert_eq!(zk.controller_epoch(), Some(1));

    // A topic written the way Kafka 2.6's admin tools write it: one replica per broker.
    zk.create_all(
        "/brokers/topics/t",
        br#"{"version":2,"partitions":{"0":[1],"1":[2],"2":[3]},"adding_replicas":{},"removing_replicas":{}}"#,
    );
    for p in 0..3 {
        let state = wait_for_leader(&mut zk, p, p + 1, 20);
        assert_eq!(
            state,
            LeaderIsrAndControllerEpoch {
                leader: p + 1,
                leader_epoch: 0,
                isr: vec![p + 1],
                controller_epoch: 1
            }
        );
    }
    // Every broker heard UpdateMetadata: any of them tells a client the whole cluster.
    for id in 1..=3 {
        let want = Seen {
            controller: controller as i64,
            brokers: vec![1, 2, 3],
            leaders: BTreeMap::from([(0, 1), (1, 2), (2, 3)]),
        };
        wait_for_metadata(&addr(id), want, 20);
    }

    // kill -9: the controller's session lives until ZooKeeper expires it, then another broker
    // wins /controller with epoch 2, and the dead broker's partition has no leader left.
    brokers.remove(&controller).unwrap().crash();
    let crashed = Instant::now();
    let dead_partition = controller - 1;
    let limit = 3 * SESSION_TIMEOUT_MS / 1000 + 10;
    let successor = wait_until("a new controller", limit, || match zk.controller() {
        Some(id) if id != controller => Ok(id),
        other => Err(format!("{other:?}")),
    });
    println!(
        "broker {successor} took over {:.1}s after broker {controller} was killed (session timeout {SESSION_TIMEOUT_MS} ms)",
        crashed.elapsed().as_secs_f64()
    );
    assert_eq!(zk.controller_epoch(), Some(2));
    let state = wait_for_leader(&mut zk, dead_partition, NO_LEADER, 10);
    assert_eq!((state.leader_epoch, state.controller_epoch), (1, 2));
    let live: Vec<i64> = brokers.keys().map(|id| *id as i64).collect();
    let mut leaders = BTreeMap::from([(0, 1), (1, 2), (2, 3)]);
    leaders.insert(dead_partition as i64, NO_LEADER as i64);
    for id in brokers.keys() {
        let want = Seen {
            controller: successor as i64,
            brokers: live.clone(),
            leaders: leaders.clone(),
        };
        wait_for_metadata(&addr(*id), want, 20);
    }

    // It comes back: a new registration, and the controller makes it leader again.
    brokers.insert(
        controller,
        start_broker(root, address, controller, ports[controller as usize - 1]),
    );
    let state = wait_for_leader(&mut zk, dead_partition, controller, 20);
    assert_eq!((state.leader_epoch, state.controller_epoch), (2, 2));
    let want = Seen {
        controller: successor as i64,
        brokers: vec![1, 2, 3],
        leaders: BTreeMap::from([(0, 1), (1, 2), (2, 3)]),
    };
    wait_for_metadata(&addr(controller), want, 20);
    // A controller stopped gracefully closes its session: the next one takes over at once.
    brokers.remove(&successor).unwrap().stop();
    let third = wait_until("a third controller", 10, || match zk.controller() {
        Some(id) if id != successor => Ok(id),
        other => Err(format!("{other:?}")),
    });
    assert_ne!(third, successor);
    assert_eq!(zk.controller_epoch(), Some(3));

    // Fencing: someone rewrites /controller_epoch (same value, new znode version), as a rival
    // controller would. The controller's next write — the states of a new topic — fails its
    // epoch check, so it writes nothing and gives up /controller (Kafka's
    // `triggerControllerMove`); a new election (epoch 4) creates the states.
    zk.set("/controller_epoch", b"3");
    zk.create_all(
        "/brokers/topics/u",
        br#"{"version":2,"partitions":{"0":[1,2,3]}}"#,
    );
    let state = wait_until("topic u's state", 20, || match zk.state("u", 0) {
        Some(s) => Ok(s),
        None => Err(format!("epoch {:?}", zk.controller_epoch())),
    });
    assert_eq!(zk.controller_epoch(), Some(4));
    assert_eq!(state.controller_epoch, 4, "{state:?}");
    println!("scenario took {:.1}s", started.elapsed().as_secs_f64());
}

#[test]
fn the_controller_elects_fails_over_and_leads_again_on_our_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    controller_elects_fails_over_and_leads_again(dir.path(), &coordinator.address());
}

#[test]
fn the_controller_elects_fails_over_and_leads_again_on_debians_zookeeper() {
    if !RealZooKeeper::installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("zk")).unwrap();
    let zookeeper = RealZooKeeper::start(&dir.path().join("zk"));
    controller_elects_fails_over_and_leads_again(dir.path(), &zookeeper.address());
}

/// One broker in this process, its session task serving `ZkAdmin`: what CreateTopics and
/// DeleteTopics handlers ask for lands in ZooKeeper as Kafka 2.6 writes it, and the broker's
/// own controller (it is the only broker) then deletes the topic everywhere.
#[test]
fn zk_admin_writes_topics_and_the_controller_deletes_them() {
    use lab05_broker::{server, BrokerConfig, CoreService, Router, Shared};
    use lab11_controller::{
        BrokerInfo, BrokerSession, ControllerRequestsService, EndPoint, Error, SessionConfig,
        TopicAssignment, ZkAdmin, ZkConnect,
    };
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let coordinator = Coordinator::start(dir.path(), "");
    let address = coordinator.address();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = BrokerConfig {
            broker_id: 1,
            log_dir: dir.path().join("logs"),
            advertised_host: "127.0.0.1".into(),
            advertised_port: port,
            ..BrokerConfig::default()
        };
        let shared = Shared::new(lab05_broker::Broker::open(config, 0).unwrap());
        let (admin, requests) = ZkAdmin::channel(8);
        let service =
            ControllerRequestsService::in_cluster(shared.clone(), "PLAINTEXT", admin.clone());
        let router = Router::new()
            .with(CoreService::new(shared.clone()))
            .with(service.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server::run(listener, shared, Arc::new(router), async {
            let _ = stopped.await;
        }));
        let info = BrokerInfo {
            id: 1,
            endpoints: vec![EndPoint {
                listener_name: "PLAINTEXT".into(),
                host: "127.0.0.1".into(),
                port: port as i32,
                security_protocol: "PLAINTEXT".into(),
            }],
            rack: None,
            jmx_port: -1,
            timestamp_ms: 0,
            version: 4,
        };
        let session = BrokerSession::spawn_with_controller(
            SessionConfig {
                connect: ZkConnect::parse(&format!("{address}/c")).unwrap(),
                info,
                session_timeout_ms: SESSION_TIMEOUT_MS as i32,
                cluster_id: "c1".into(),
            },
            service.clone(),
            requests,
        );
        let mut zk = ZkClient::connect(&address, 30_000).await.unwrap();

        let assignment = BTreeMap::from([(0, vec![1]), (1, vec![1])]);
        let configs = BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]);
        // The first request may come before the session: it waits for it.
        admin
            .create_topic("a", assignment.clone(), configs.clone())
            .await
            .unwrap();
        let (data, _) = zk.get("/c/config/topics/a").await.unwrap();
        assert_eq!(data, br#"{"version":1,"config":{"retention.ms":"1000"}}"#);
        let (data, _) = zk.get("/c/brokers/topics/a").await.unwrap();
        assert_eq!(
            TopicAssignment::decode(&data).unwrap().partitions,
            assignment
        );
        assert_eq!(
            admin.create_topic("a", assignment, BTreeMap::new()).await,
            Err(Error::TopicExists("a".into()))
        );
        assert_eq!(admin.topic_config("a").await, Ok(configs));
        assert_eq!(admin.topic_config("b").await, Ok(BTreeMap::new()));
        assert_eq!(
            admin.delete_topic("b").await,
            Err(Error::UnknownTopic("b".into()))
        );
        // The controller (this broker) made the partitions' states and told this broker.
        for p in 0..2 {
            let path = format!("/c/brokers/topics/a/partitions/{p}/state");
            let mut state = None;
            for _ in 0..200 {
                if let Ok((data, _)) = zk.get(&path).await {
                    state = Some(LeaderIsrAndControllerEpoch::decode(&data).unwrap());
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert_eq!(state.map(|s| s.leader), Some(1), "{path}");
        }
        // Deletion: the marker, then StopReplica to the replica, then every znode of the topic.
        admin.delete_topic("a").await.unwrap();
        let gone = [
            "/c/brokers/topics/a",
            "/c/config/topics/a",
            "/c/admin/delete_topics/a",
        ];
        let mut left = Vec::new();
        for _ in 0..200 {
            left.clear();
            for path in gone {
                if zk.exists(path).await.unwrap().is_some() {
                    left.push(path);
                }
            }
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(left.is_empty(), "still there after 10 s: {left:?}");
        // The session closed: the registration and /controller go at once, and a handler
        // hears that ZooKeeper is out of reach instead of waiting.
        session.close().await;
        assert_eq!(zk.exists("/c/controller").await.unwrap(), None);
        assert_eq!(
            zk.children("/c/brokers/ids").await.unwrap(),
            Vec::<String>::new()
        );
        assert!(matches!(
            admin.topic_config("a").await,
            Err(Error::ZooKeeper(_))
        ));
        let _ = stop.send(());
    });
}
