//! `kafkalab zookeeper-cluster-state --zookeeper HOST:PORT[,…]/chroot`: what ZooKeeper says
//! about a Kafka cluster — the controller and its epoch, the registered brokers, and every
//! partition's leader, replicas and ISR, read from Kafka 2.6's znodes (lab 11). This is what
//! Kafka 2.6's `kafka-topics.sh --zookeeper … --describe` read; here it works while every
//! broker is down too, which is when an operator most wants it. `--json` prints the same for a
//! program (`kafkalab cluster status` reads it).

use std::collections::BTreeMap;
use std::time::Duration;

use lab06_topics::client::admin::AdminClient;
use lab08_znodes::client::{ClientError, ZkClient};
use lab08_znodes::Code;
use lab11_controller::zk_data::{
    decode_cluster_id, decode_controller_epoch, paths, ControllerZNode, NO_LEADER,
};
use lab11_controller::{BrokerInfo, LeaderIsrAndControllerEpoch, TopicAssignment, ZkConnect};
use serde_json::json;

use crate::commands::kafka_tools::block_on;
use crate::error::Error;

/// One partition as ZooKeeper holds it.
#[derive(Debug, Clone)]
pub struct PartitionRow {
    pub partition: i32,
    pub replicas: Vec<i32>,
    /// `None`: no state znode yet (the controller has not elected a leader).
    pub state: Option<LeaderIsrAndControllerEpoch>,
}

/// Everything `zookeeper-cluster-state` reads.
#[derive(Debug, Clone, Default)]
pub struct ClusterState {
    pub cluster_id: Option<String>,
    pub controller: Option<i32>,
    pub controller_epoch: Option<i32>,
    /// Broker id → `host:port` of its PLAINTEXT endpoint.
    pub brokers: BTreeMap<i32, String>,
    pub topics: BTreeMap<String, Vec<PartitionRow>>,
    pub deleting: Vec<String>,
    /// Registered broker id → how many brokers its Metadata answer lists (`None`: no answer).
    /// Filled for `--json` only: a broker lists the others once the controller's first
    /// UpdateMetadata reached it, which is when it can serve clients and create topics.
    pub metadata_brokers: BTreeMap<i32, Option<usize>>,
}

pub fn run(zookeeper: &str, as_json: bool) -> Result<bool, Error> {
    let connect = ZkConnect::parse(zookeeper)?;
    let state = block_on(async {
        let mut zk = connect_any(&connect).await?;
        let state = read(&mut zk, &connect).await;
        let _ = zk.close().await;
        state
    })?;
    if as_json {
        let mut state = state;
        state.metadata_brokers = block_on(metadata_brokers(&state.brokers))?;
        println!("{}", to_json(&state));
    } else {
        print!("{}", describe(&state));
    }
    Ok(true)
}

/// Asks each broker for Metadata, with a short limit each.
async fn metadata_brokers(
    brokers: &BTreeMap<i32, String>,
) -> Result<BTreeMap<i32, Option<usize>>, Error> {
    let mut seen = BTreeMap::new();
    for (id, address) in brokers {
        let ask = async {
            let mut admin = AdminClient::connect(address, Duration::from_secs(2))
                .await
                .ok()?;
            admin.broker_ids().await.ok().map(|ids| ids.len())
        };
        let count = tokio::time::timeout(Duration::from_secs(3), ask)
            .await
            .ok()
            .flatten();
        seen.insert(*id, count);
    }
    Ok(seen)
}

async fn connect_any(connect: &ZkConnect) -> Result<ZkClient, Error> {
    let mut last = String::new();
    for (host, port) in &connect.servers {
        let address = format!("{host}:{port}");
        match tokio::time::timeout(Duration::from_secs(3), ZkClient::connect(&address, 6_000)).await
        {
            Ok(Ok(zk)) => return Ok(zk),
            Ok(Err(e)) => last = format!("{address}: {e}"),
            Err(_) => last = format!("{address}: no answer within 3 s"),
        }
    }
    Err(Error::Tool(format!(
        "no ZooKeeper server of {} gives a session ({last})",
        connect.servers_string()
    )))
}

/// Reads the cluster's znodes under the chroot; a znode that is missing is simply absent.
pub async fn read(zk: &mut ZkClient, connect: &ZkConnect) -> Result<ClusterState, Error> {
    let mut state = ClusterState::default();
    let p = |path: &str| connect.path(path);
    if let Some(bytes) = get(zk, &p(paths::CLUSTER_ID)).await? {
        state.cluster_id = decode_cluster_id(&bytes).ok();
    }
    if let Some(bytes) = get(zk, &p(paths::CONTROLLER)).await? {
        state.controller = ControllerZNode::decode(&bytes).ok().map(|c| c.broker_id);
    }
    if let Some(bytes) = get(zk, &p(paths::CONTROLLER_EPOCH)).await? {
        state.controller_epoch = decode_controller_epoch(&bytes).ok();
    }
    for name in children(zk, &p(paths::BROKER_IDS)).await? {
        let Ok(id) = name.parse::<i32>() else {
            continue;
        };
        if let Some(bytes) = get(zk, &p(&paths::broker_id(id))).await? {
            let address = BrokerInfo::decode(id, &bytes)
                .ok()
                .and_then(|b| {
                    b.plaintext_endpoint()
                        .map(|e| format!("{}:{}", e.host, e.port))
                })
                .unwrap_or_else(|| "?".into());
            state.brokers.insert(id, address);
        }
    }
    for topic in children(zk, &p(paths::TOPICS)).await? {
        let Some(bytes) = get(zk, &p(&paths::topic(&topic))).await? else {
            continue;
        };
        let assignment = TopicAssignment::decode(&bytes)?;
        let mut rows = Vec::new();
        for (partition, replicas) in assignment.partitions {
            let state_path = p(&paths::partition_state(&topic, partition));
            let state = match get(zk, &state_path).await? {
                Some(bytes) => Some(LeaderIsrAndControllerEpoch::decode(&bytes)?),
                None => None,
            };
            rows.push(PartitionRow {
                partition,
                replicas,
                state,
            });
        }
        state.topics.insert(topic, rows);
    }
    state.deleting = children(zk, &p(paths::DELETE_TOPICS)).await?;
    Ok(state)
}

async fn get(zk: &mut ZkClient, path: &str) -> Result<Option<Vec<u8>>, Error> {
    match zk.get(path).await {
        Ok((bytes, _)) => Ok(Some(bytes)),
        Err(ClientError::Keeper { code, .. }) if code == Code::NoNode.code() => Ok(None),
        Err(e) => Err(Error::Tool(format!("reading {path}: {e}"))),
    }
}

async fn children(zk: &mut ZkClient, path: &str) -> Result<Vec<String>, Error> {
    match zk.children(path).await {
        Ok(mut names) => {
            names.sort_by_key(|n| (n.parse::<i64>().unwrap_or(i64::MAX), n.clone()));
            Ok(names)
        }
        Err(ClientError::Keeper { code, .. }) if code == Code::NoNode.code() => Ok(Vec::new()),
        Err(e) => Err(Error::Tool(format!("listing {path}: {e}"))),
    }
}

fn ids(ids: &[i32]) -> String {
    ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

/// Kafka 2.6's `kafka-topics.sh --describe` lines, after the controller and the brokers.
pub fn describe(state: &ClusterState) -> String {
    let mut out = String::new();
    if let Some(id) = &state.cluster_id {
        out += &format!("Cluster id: {id}\n");
    }
    out += &match (state.controller, state.controller_epoch) {
        (Some(c), Some(e)) => format!("Controller: broker {c} (controller epoch {e})\n"),
        (Some(c), None) => format!("Controller: broker {c}\n"),
        (None, _) => "Controller: none\n".to_string(),
    };
    let brokers: Vec<String> = state
        .brokers
        .iter()
        .map(|(id, address)| format!("{id} ({address})"))
        .collect();
    out += &format!("Brokers: {}\n", brokers.join(", "));
    for (topic, rows) in &state.topics {
        let deleting = if state.deleting.contains(topic) {
            "\tMarkedForDeletion: true"
        } else {
            ""
        };
        let rf = rows.first().map_or(0, |r| r.replicas.len());
        out += &format!(
            "Topic: {topic}\tPartitionCount: {}\tReplicationFactor: {rf}{deleting}\n",
            rows.len()
        );
        for r in rows {
            let (leader, isr) = match &r.state {
                Some(s) if s.leader != NO_LEADER => (s.leader.to_string(), ids(&s.isr)),
                Some(s) => ("none".to_string(), ids(&s.isr)),
                None => ("none".to_string(), String::new()),
            };
            out += &format!(
                "\tTopic: {topic}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {isr}\n",
                r.partition,
                ids(&r.replicas)
            );
        }
    }
    out
}

/// The same as one JSON object; a partition without a state znode has `"leader": null`.
pub fn to_json(state: &ClusterState) -> serde_json::Value {
    let topics: Vec<serde_json::Value> = state
        .topics
        .iter()
        .map(|(topic, rows)| {
            let partitions: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "partition": r.partition,
                        "replicas": r.replicas,
                        "leader": r.state.as_ref().map(|s| s.leader),
                        "leader_epoch": r.state.as_ref().map(|s| s.leader_epoch),
                        "isr": r.state.as_ref().map(|s| s.isr.clone()).unwrap_or_default(),
                    })
                })
                .collect();
            json!({
                "name": topic,
                "marked_for_deletion": state.deleting.contains(topic),
                "partitions": partitions,
            })
        })
        .collect();
    let brokers: Vec<serde_json::Value> = state
        .brokers
        .iter()
        .map(|(id, address)| json!({ "id": id, "address": address }))
        .collect();
    let metadata_brokers: BTreeMap<String, Option<usize>> = state
        .metadata_brokers
        .iter()
        .map(|(id, n)| (id.to_string(), *n))
        .collect();
    json!({
        "cluster_id": state.cluster_id,
        "metadata_brokers": metadata_brokers,
        "controller": state.controller,
        "controller_epoch": state.controller_epoch,
        "brokers": brokers,
        "topics": topics,
    })
}
