//! Step 6: the broker's side of the controller's requests on the real wire. A broker on
//! 127.0.0.1:0 gets UpdateMetadata, LeaderAndIsr and StopReplica as bytes over TCP, then
//! answers Metadata for the whole cluster and refuses Produce, Fetch and ListOffsets for a
//! partition another broker leads with NOT_LEADER_OR_FOLLOWER (6) — checked with a raw client
//! (lab 06's connection, with the independent `kafka-protocol` codec), kcat and kafka-python.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    BrokerId, FetchRequest, ListOffsetsRequest, MetadataRequest, MetadataResponse, ProduceRequest,
    TopicName,
};
use kafka_protocol::protocol::StrBytes;
use lab04_protocol_codec::{Decoder, Encoder};
use lab05_broker::{server, Broker, BrokerConfig, CoreService, Router, Shared};
use lab06_topics::client::connection::BrokerConnection;
use lab11_controller::requests::*;
use lab11_controller::ControllerRequestsService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Broker 1 on 127.0.0.1:0 with a local 3-partition topic `orders`, lab 05's APIs and lab 11's
/// service. The sender stops it when dropped.
async fn start(dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = BrokerConfig {
        broker_id: 1,
        log_dir: dir.to_path_buf(),
        advertised_host: "127.0.0.1".into(),
        advertised_port: addr.port(),
        ..BrokerConfig::default()
    };
    let mut broker = Broker::open(config, 1_000).unwrap();
    broker.create_topic("orders", 3, 1_000).unwrap();
    let shared = Shared::new(broker);
    let router =
        Router::new()
            .with(CoreService::new(shared.clone()))
            .with(ControllerRequestsService::new(
                shared.clone(),
                100,
                "PLAINTEXT",
            ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, shared, Arc::new(router), async {
        let _ = stopped.await;
    }));
    (addr.to_string(), stop)
}

/// One request as a controller sends it: header (v2 when flexible, with an empty tag section),
/// then the body; returns the response body after its header.
async fn send_raw(addr: &str, key: i16, version: i16, flexible: bool, body: &[u8]) -> Vec<u8> {
    let mut request = Vec::new();
    request.extend(key.to_be_bytes());
    request.extend(version.to_be_bytes());
    request.extend(42i32.to_be_bytes()); // correlation id
    request.extend(10i16.to_be_bytes()); // client id: a classic string even in header v2
    request.extend(b"controller");
    if flexible {
        request.push(0); // header tags
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
    assert_eq!(response[..4], 42i32.to_be_bytes(), "correlation id");
    let header = if flexible { 5 } else { 4 };
    response[header..].to_vec()
}

fn partition(index: i32, leader: i32, controller_epoch: i32) -> UpdateMetadataPartitionState {
    UpdateMetadataPartitionState {
        partition_index: index,
        controller_epoch,
        leader,
        leader_epoch: 4,
        isr: vec![leader],
        zk_version: 0,
        replicas: vec![leader, leader % 3 + 1],
        offline_replicas: vec![],
    }
}

/// The cluster as controller 2 (epoch `controller_epoch`) describes it: brokers 1, 2 and 3,
/// all reachable at `addr` (so a client that follows a leader comes back to this broker), and
/// `orders` with partition p led by broker p + 1.
fn update_metadata(addr: &str, controller_epoch: i32) -> UpdateMetadataRequest {
    let (host, port) = addr.rsplit_once(':').unwrap();
    UpdateMetadataRequest {
        controller_id: 2,
        controller_epoch,
        broker_epoch: 100,
        topic_states: vec![UpdateMetadataTopicState {
            topic_name: "orders".into(),
            partition_states: (0..3)
                .map(|p| partition(p, p + 1, controller_epoch))
                .collect(),
        }],
        live_brokers: (1..=3)
            .map(|id| UpdateMetadataBroker {
                id,
                endpoints: vec![UpdateMetadataEndpoint {
                    port: port.parse().unwrap(),
                    host: host.into(),
                    listener: "PLAINTEXT".into(),
                    security_protocol: 0,
                }],
                rack: None,
            })
            .collect(),
    }
}

async fn send_update_metadata(addr: &str, request: &UpdateMetadataRequest) -> i16 {
    let mut e = Encoder::new();
    request.encode(&mut e, 6);
    let body = send_raw(addr, 6, 6, true, &e.into_bytes()).await;
    let mut d = Decoder::new(&body);
    let response = UpdateMetadataResponse::decode(&mut d, 6).unwrap();
    d.finish().unwrap();
    response.error_code
}

async fn metadata(addr: &str) -> MetadataResponse {
    let mut c = BrokerConnection::connect(addr, "step6", TIMEOUT)
        .await
        .unwrap();
    c.call(&MetadataRequest::default().with_topics(None))
        .await
        .unwrap()
}

/// One partition as Metadata describes it: (partition, leader, replicas, isr).
type Described = (i32, i32, Vec<i32>, Vec<i32>);

/// (node id, port) of each broker, and each partition of `orders`.
fn describe(m: &MetadataResponse) -> (Vec<(i32, i32)>, Vec<Described>) {
    let mut brokers: Vec<(i32, i32)> = m.brokers.iter().map(|b| (b.node_id.0, b.port)).collect();
    brokers.sort();
    let mut partitions = Vec::new();
    for t in m
        .topics
        .iter()
        .filter(|t| t.name.as_ref().is_some_and(|n| n.as_str() == "orders"))
    {
        for p in &t.partitions {
            partitions.push((
                p.partition_index,
                p.leader_id.0,
                p.replica_nodes.iter().map(|b| b.0).collect(),
                p.isr_nodes.iter().map(|b| b.0).collect(),
            ));
        }
    }
    partitions.sort();
    (brokers, partitions)
}

fn batch() -> Bytes {
    let mut b = lab01_record_batch::RecordBatchBuilder::new(0);
    b.append(1_000, Some(b"k"), Some(b"v"), vec![]);
    Bytes::from(b.build().encode())
}

fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step6_update_metadata_bytes_make_metadata_list_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _stop) = start(dir.path()).await;
    let port: i32 = addr.rsplit_once(':').unwrap().1.parse().unwrap();

    // Before any controller: lab 05's single broker, leading everything.
    let (brokers, partitions) = describe(&metadata(&addr).await);
    assert_eq!(brokers, vec![(1, port)]);
    assert!(partitions.iter().all(|p| p.1 == 1), "{partitions:?}");

    assert_eq!(
        send_update_metadata(&addr, &update_metadata(&addr, 5)).await,
        0
    );
    let answer = metadata(&addr).await;
    let (brokers, partitions) = describe(&answer);
    assert_eq!(brokers, vec![(1, port), (2, port), (3, port)]);
    assert_eq!(
        partitions,
        vec![
            (0, 1, vec![1, 2], vec![1]),
            (1, 2, vec![2, 3], vec![2]),
            (2, 3, vec![3, 1], vec![3]),
        ]
    );
    assert_eq!(answer.controller_id.0, 2);

    // A deposed controller (epoch 4 < 5) is refused, and the cache keeps what epoch 5 said.
    let mut stale = update_metadata(&addr, 4);
    stale.topic_states[0].partition_states[0].leader = 3;
    assert_eq!(
        send_update_metadata(&addr, &stale).await,
        error_code::STALE_CONTROLLER_EPOCH
    );
    assert_eq!(describe(&metadata(&addr).await).1, partitions);

    // A topic the controller never mentioned is unknown: no auto-creation in a cluster.
    let mut c = BrokerConnection::connect(&addr, "step6", TIMEOUT)
        .await
        .unwrap();
    let answer = c
        .call(&MetadataRequest::default().with_topics(Some(vec![
            kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
                .with_name(Some(name("payments"))),
        ])))
        .await
        .unwrap();
    assert_eq!(answer.topics[0].error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step6_a_partition_another_broker_leads_answers_not_leader_or_follower() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _stop) = start(dir.path()).await;
    assert_eq!(
        send_update_metadata(&addr, &update_metadata(&addr, 5)).await,
        0
    );
    let mut c = BrokerConnection::connect(&addr, "step6", TIMEOUT)
        .await
        .unwrap();

    // Produce to partitions 0 (ours) and 1 (broker 2's) in one request.
    let produce = ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(1000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name("orders"))
            .with_partition_data(vec![
                PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(batch())),
                PartitionProduceData::default()
                    .with_index(1)
                    .with_records(Some(batch())),
            ])]);
    let answer = c.call(&produce).await.unwrap();
    let mut codes: Vec<(i32, i16)> = answer
        .responses
        .iter()
        .flat_map(|t| {
            t.partition_responses
                .iter()
                .map(|p| (p.index, p.error_code))
        })
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        vec![(0, 0), (1, 6)],
        "partition 1 is led by broker 2"
    );

    let fetch = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(5_000)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(vec![FetchTopic::default()
            .with_topic(name("orders"))
            .with_partitions(vec![FetchPartition::default()
                .with_partition(2)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(0)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(1 << 20)])]);
    let answer = c.call(&fetch).await.unwrap();
    assert_eq!(answer.responses[0].partitions[0].error_code, 6);

    let list = |partition| {
        ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(name("orders"))
                .with_partitions(vec![ListOffsetsPartition::default()
                    .with_partition_index(partition)
                    .with_current_leader_epoch(-1)
                    .with_timestamp(-1)])])
    };
    let answer = c.call(&list(1)).await.unwrap();
    assert_eq!(answer.topics[0].partitions[0].error_code, 6);
    let answer = c.call(&list(0)).await.unwrap();
    let ours = &answer.topics[0].partitions[0];
    assert_eq!(
        (ours.error_code, ours.offset),
        (0, 1),
        "partition 0 has our record"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step6_leader_and_isr_and_stop_replica_over_the_wire() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _stop) = start(dir.path()).await;
    let state = LeaderAndIsrPartitionState {
        partition_index: 0,
        controller_epoch: 5,
        leader: 1,
        leader_epoch: 4,
        isr: vec![1, 2],
        zk_version: 0,
        replicas: vec![1, 2],
        adding_replicas: vec![],
        removing_replicas: vec![],
        is_new: true,
    };
    let request = LeaderAndIsrRequest {
        controller_id: 2,
        controller_epoch: 5,
        broker_epoch: 100,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: "orders".into(),
            partition_states: vec![state],
        }],
        live_leaders: vec![],
    };
    for (version, flexible) in [(1, false), (4, true)] {
        let mut e = Encoder::new();
        request.encode(&mut e, version);
        let body = send_raw(&addr, 4, version, flexible, &e.into_bytes()).await;
        let response = LeaderAndIsrResponse::decode(&mut Decoder::new(&body), version).unwrap();
        assert_eq!(response.error_code, 0);
        // The same leader epoch twice: the second is not newer, as Kafka answers it.
        let expected = if version == 1 {
            0
        } else {
            error_code::STALE_CONTROLLER_EPOCH
        };
        assert_eq!(response.partition_errors[0].error_code, expected);
    }

    // News for an earlier registration of this broker (epoch 99 < 100) is refused.
    let stop = StopReplicaRequest {
        controller_id: 2,
        controller_epoch: 5,
        broker_epoch: 99,
        topic_states: vec![StopReplicaTopicState {
            topic_name: "orders".into(),
            partition_states: vec![StopReplicaPartitionState {
                partition_index: 0,
                leader_epoch: 5,
                delete_partition: false,
            }],
        }],
    };
    let mut e = Encoder::new();
    stop.encode(&mut e, 3);
    let body = send_raw(&addr, 5, 3, true, &e.into_bytes()).await;
    let response = StopReplicaResponse::decode(&mut Decoder::new(&body), 3).unwrap();
    assert_eq!(response.error_code, error_code::STALE_BROKER_EPOCH);
    let mut e = Encoder::new();
    StopReplicaRequest {
        broker_epoch: 100,
        ..stop
    }
    .encode(&mut e, 3);
    let body = send_raw(&addr, 5, 3, true, &e.into_bytes()).await;
    let response = StopReplicaResponse::decode(&mut Decoder::new(&body), 3).unwrap();
    assert_eq!(response.error_code, 0);
    assert_eq!(response.partition_errors.len(), 1);
}

/// kcat's `-L` and kafka-python, after real UpdateMetadata bytes: three brokers, the leaders
/// the controller named, and NOT_LEADER_OR_FOLLOWER for a produce to broker 2's partition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step6_real_clients_see_three_brokers_and_not_leader() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _stop) = start(dir.path()).await;
    assert_eq!(
        send_update_metadata(&addr, &update_metadata(&addr, 5)).await,
        0
    );

    if kafkalab_testkit::tool("kcat", "apt-get install kcat") {
        let addr = addr.clone();
        let out = tokio::task::spawn_blocking(move || {
            kafkalab_testkit::run_ok(
                std::process::Command::new("kcat")
                    .args(["-b", &addr, "-L", "-t", "orders", "-m", "10"]),
            )
        })
        .await
        .unwrap();
        assert!(out.contains(" 3 brokers:"), "{out}");
        for (p, leader) in [(0, 1), (1, 2), (2, 3)] {
            assert!(
                out.contains(&format!("partition {p}, leader {leader},")),
                "{out}"
            );
        }
    }

    if kafkalab_testkit::python_module("kafka", "pip install kafka-python") {
        let script = r#"
import sys
from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import NotLeaderForPartitionError
addr = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=addr, request_timeout_ms=10000)
cluster = admin.describe_cluster()
print("brokers", sorted(b["broker_id"] for b in cluster["brokers"]))
for t in admin.describe_topics(["orders"]):
    for p in sorted(t["partitions"], key=lambda p: p["partition_index"]):
        print("partition", p["partition_index"], "leader", p["leader_id"])
admin.close()
producer = KafkaProducer(bootstrap_servers=addr, retries=0, acks=1, request_timeout_ms=10000)
try:
    producer.send("orders", b"v", partition=1).get(timeout=10)
    print("produced")
except NotLeaderForPartitionError as e:
    print("error", type(e).__name__, e.errno)
producer.close(timeout=5)
"#;
        let addr = addr.clone();
        let out = tokio::task::spawn_blocking(move || {
            kafkalab_testkit::run_ok(
                std::process::Command::new("python3").args(["-c", script, &addr]),
            )
        })
        .await
        .unwrap();
        assert!(out.contains("brokers [1, 2, 3]"), "{out}");
        for (p, leader) in [(0, 1), (1, 2), (2, 3)] {
            assert!(
                out.contains(&format!("partition {p} leader {leader}\n")),
                "{out}"
            );
        }
        assert!(out.contains("error NotLeaderForPartitionError 6"), "{out}");
    }
}
