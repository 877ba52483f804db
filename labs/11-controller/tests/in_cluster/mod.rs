//! Helpers of the step 8 tests: broker 1 of a three-broker cluster on 127.0.0.1:0, in-process,
//! with lab 05–07's services and lab 11's in cluster mode, a fake ZooKeeper (a task serving
//! `ZkAdmin::channel`) that records what the broker writes, and the controller's requests sent
//! as bytes, as a controller sends them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lab04_protocol_codec::{Decoder, Encoder};
use lab05_broker::{server, Broker, BrokerConfig, CoreService, Router, Shared};
use lab06_topics::client::connection::BrokerConnection;
use lab06_topics::TopicsService;
use lab07_consumer_groups::coordinator::CoordinatorConfig;
use lab07_consumer_groups::GroupService;
use lab11_controller::requests::*;
use lab11_controller::{
    AdminRequest, ClusterGroupService, ControllerRequestsService, Error, ZkAdmin,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const TIMEOUT: Duration = Duration::from_secs(10);
pub const CONTROLLER_EPOCH: i32 = 5;
pub const BROKER_EPOCH: i64 = 100;

/// A topic as the fake ZooKeeper holds it: assignment and settings.
pub type Written = (BTreeMap<i32, Vec<i32>>, BTreeMap<String, String>);

/// What the broker wrote into the fake ZooKeeper.
#[derive(Debug, Default)]
pub struct FakeZk {
    pub topics: BTreeMap<String, Written>,
    pub deletions: Vec<String>,
}

pub struct Node {
    pub addr: String,
    pub port: i32,
    pub shared: Arc<Shared>,
    pub zk: Arc<Mutex<FakeZk>>,
    /// Woken after each write to the fake ZooKeeper.
    pub zk_changed: Arc<tokio::sync::Notify>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Node {
    pub fn written(&self, topic: &str) -> Option<Written> {
        self.zk.lock().unwrap().topics.get(topic).cloned()
    }

    /// Waits (at most [`TIMEOUT`]) until the broker has written `topic`.
    pub async fn wait_written(&self, topic: &str) -> Written {
        let wait = async {
            loop {
                let changed = self.zk_changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if let Some(written) = self.written(topic) {
                    return written;
                }
                changed.await;
            }
        };
        tokio::time::timeout(TIMEOUT, wait)
            .await
            .unwrap_or_else(|_| panic!("{topic} was not written to ZooKeeper"))
    }

    pub async fn client(&self) -> BrokerConnection {
        BrokerConnection::connect(&self.addr, "step8", TIMEOUT)
            .await
            .unwrap()
    }
}

/// Serves the broker's ZooKeeper requests from `zk` until the broker's handles are gone.
fn serve_fake_zk(
    mut rx: tokio::sync::mpsc::Receiver<AdminRequest>,
    zk: Arc<Mutex<FakeZk>>,
    changed: Arc<tokio::sync::Notify>,
) {
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            let mut zk = zk.lock().unwrap();
            match request {
                AdminRequest::CreateTopic {
                    topic,
                    assignment,
                    configs,
                    reply,
                } => {
                    let answer = match zk.topics.entry(topic.clone()) {
                        std::collections::btree_map::Entry::Occupied(_) => {
                            Err(Error::TopicExists(topic))
                        }
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert((assignment, configs));
                            Ok(())
                        }
                    };
                    let _ = reply.send(answer);
                }
                AdminRequest::DeleteTopic { topic, reply } => {
                    let answer = if zk.topics.contains_key(&topic) {
                        zk.deletions.push(topic);
                        Ok(())
                    } else {
                        Err(Error::UnknownTopic(topic))
                    };
                    let _ = reply.send(answer);
                }
                AdminRequest::TopicConfig { topic, reply } => {
                    let configs = zk.topics.get(&topic).map(|t| t.1.clone());
                    let _ = reply.send(Ok(configs.unwrap_or_default()));
                }
                AdminRequest::UpdatePartitionState { reply, .. } => {
                    let _ = reply.send(Err(Error::ZooKeeper("not in this fake".into())));
                }
                AdminRequest::CreateSequential { reply, .. } => {
                    let _ = reply.send(Err(Error::ZooKeeper("not in this fake".into())));
                }
            }
            drop(zk);
            changed.notify_waiters();
        }
    });
}

/// Broker 1 in a cluster, its ZooKeeper holding `topics` already.
pub async fn start(dir: &std::path::Path, topics: FakeZk) -> Node {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = BrokerConfig {
        broker_id: 1,
        log_dir: dir.to_path_buf(),
        advertised_host: "127.0.0.1".into(),
        advertised_port: addr.port(),
        num_partitions: 6,
        ..BrokerConfig::default()
    };
    let shared = Shared::new(Broker::open(config, 1_000).unwrap());
    let (admin, rx) = ZkAdmin::channel(16);
    let zk = Arc::new(Mutex::new(topics));
    let zk_changed = Arc::new(tokio::sync::Notify::new());
    serve_fake_zk(rx, zk.clone(), zk_changed.clone());
    let controller = ControllerRequestsService::in_cluster(shared.clone(), "PLAINTEXT", admin);
    controller.set_broker_epoch(BROKER_EPOCH);
    let groups = GroupService::open(shared.clone(), CoordinatorConfig::default()).unwrap();
    let router = Router::new()
        .with(CoreService::new(shared.clone()))
        .with(TopicsService::open(shared.clone()).unwrap())
        .with(groups.clone())
        .with(controller.clone())
        .with(ClusterGroupService::new(controller, groups));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(
        listener,
        shared.clone(),
        Arc::new(router),
        async {
            let _ = stopped.await;
        },
    ));
    Node {
        addr: addr.to_string(),
        port: i32::from(addr.port()),
        shared,
        zk,
        zk_changed,
        _stop: stop,
    }
}

/// One request as a controller sends it (header v1, or v2 with empty tags when flexible);
/// returns the response body.
pub async fn send_raw(addr: &str, key: i16, version: i16, flexible: bool, body: &[u8]) -> Vec<u8> {
    let mut request = Vec::new();
    request.extend(key.to_be_bytes());
    request.extend(version.to_be_bytes());
    request.extend(42i32.to_be_bytes());
    request.extend(10i16.to_be_bytes());
    request.extend(b"controller");
    if flexible {
        request.push(0);
    }
    request.extend(body);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(&(request.len() as i32).to_be_bytes())
        .await
        .unwrap();
    stream.write_all(&request).await.unwrap();
    let mut size = [0u8; 4];
    tokio::time::timeout(TIMEOUT, stream.read_exact(&mut size))
        .await
        .expect("the broker answers in time")
        .expect("the broker answers instead of closing the connection");
    let mut response = vec![0u8; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut response).await.unwrap();
    let header = if flexible { 5 } else { 4 };
    response[header..].to_vec()
}

/// (partition, leader, replicas) of one topic.
pub type Layout<'a> = &'a [(i32, i32, &'a [i32])];

pub async fn leader_and_isr(addr: &str, topic: &str, layout: Layout<'_>) -> LeaderAndIsrResponse {
    let request = LeaderAndIsrRequest {
        controller_id: 2,
        controller_epoch: CONTROLLER_EPOCH,
        broker_epoch: BROKER_EPOCH,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: topic.into(),
            partition_states: layout
                .iter()
                .map(|(p, leader, replicas)| LeaderAndIsrPartitionState {
                    partition_index: *p,
                    controller_epoch: CONTROLLER_EPOCH,
                    leader: *leader,
                    leader_epoch: 0,
                    isr: replicas.to_vec(),
                    zk_version: 0,
                    replicas: replicas.to_vec(),
                    adding_replicas: vec![],
                    removing_replicas: vec![],
                    is_new: true,
                })
                .collect(),
        }],
        live_leaders: vec![],
    };
    let mut e = Encoder::new();
    request.encode(&mut e, 4);
    let body = send_raw(addr, 4, 4, true, &e.into_bytes()).await;
    LeaderAndIsrResponse::decode(&mut Decoder::new(&body), 4).unwrap()
}

/// UpdateMetadata: brokers 1, 2, 3 (1 at `port`, the others at made-up ports 9002 and 9003)
/// and `topics`.
pub async fn update_metadata(addr: &str, port: i32, topics: &[(&str, Layout<'_>)]) -> i16 {
    let request = UpdateMetadataRequest {
        controller_id: 2,
        controller_epoch: CONTROLLER_EPOCH,
        broker_epoch: BROKER_EPOCH,
        topic_states: topics
            .iter()
            .map(|(topic, layout)| UpdateMetadataTopicState {
                topic_name: topic.to_string(),
                partition_states: layout
                    .iter()
                    .map(|(p, leader, replicas)| UpdateMetadataPartitionState {
                        partition_index: *p,
                        controller_epoch: CONTROLLER_EPOCH,
                        leader: *leader,
                        leader_epoch: 0,
                        isr: replicas.to_vec(),
                        zk_version: 0,
                        replicas: replicas.to_vec(),
                        offline_replicas: vec![],
                    })
                    .collect(),
            })
            .collect(),
        live_brokers: (1..=3)
            .map(|id| UpdateMetadataBroker {
                id,
                endpoints: vec![UpdateMetadataEndpoint {
                    port: if id == 1 { port } else { 9000 + id },
                    host: "127.0.0.1".into(),
                    listener: "PLAINTEXT".into(),
                    security_protocol: 0,
                }],
                rack: None,
            })
            .collect(),
    };
    let mut e = Encoder::new();
    request.encode(&mut e, 6);
    let body = send_raw(addr, 6, 6, true, &e.into_bytes()).await;
    UpdateMetadataResponse::decode(&mut Decoder::new(&body), 6)
        .unwrap()
        .error_code
}

pub async fn stop_replica(addr: &str, topic: &str, partition: i32, delete: bool) -> i16 {
    let request = StopReplicaRequest {
        controller_id: 2,
        controller_epoch: CONTROLLER_EPOCH,
        broker_epoch: BROKER_EPOCH,
        topic_states: vec![StopReplicaTopicState {
            topic_name: topic.into(),
            partition_states: vec![StopReplicaPartitionState {
                partition_index: partition,
                leader_epoch: -2,
                delete_partition: delete,
            }],
        }],
    };
    let mut e = Encoder::new();
    request.encode(&mut e, 3);
    let body = send_raw(addr, 5, 3, true, &e.into_bytes()).await;
    StopReplicaResponse::decode(&mut Decoder::new(&body), 3)
        .unwrap()
        .error_code
}
