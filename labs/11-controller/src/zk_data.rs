//! Kafka 2.6's znodes (`kafka.zk.ZkData`): where each lives and the JSON it holds.
//!
//! Paths here are Kafka's own, without the chroot: `ZkConnect::path` adds it.
//!
//! ```text
//! /cluster/id                               {"version":"1","id":"ZnVuLWNsdXN0ZXItaWQ"}   (version is a string!)
//! /controller                    ephemeral  {"version":1,"brokerid":1,"timestamp":"1596000000000"}
//! /controller_epoch                         1                                             (a plain number)
//! /brokers/ids/<id>              ephemeral  see broker_info.rs
//! /brokers/topics/<t>                       {"version":2,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{}}
//! /brokers/topics/<t>/partitions/<p>/state  {"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}
//! /admin/delete_topics/<t>                  (no data: the name is the request)
//! /config/topics/<t>                        {"version":1,"config":{"cleanup.policy":"compact"}}
//! ```
//!
//! Kafka writes these through Jackson from Scala maps, so the key order of the bigger objects
//! is a hash map's. We write the order `zkCli.sh get` shows on a Kafka 2.6 cluster, and we read
//! any order, as Kafka does.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A partition has no leader (`LeaderAndIsr.NoLeader`).
pub const NO_LEADER: i32 = -1;
/// The leader sent in UpdateMetadata while a topic is being deleted (`LeaderAndIsr.LeaderDuringDelete`).
pub const LEADER_DURING_DELETE: i32 = -2;
/// The leader epoch sent in StopReplica for a deletion (`LeaderAndIsr.EpochDuringDelete`).
pub const EPOCH_DURING_DELETE: i32 = -2;
/// A new partition's first leader epoch.
pub const INITIAL_LEADER_EPOCH: i32 = 0;

/// Where each znode lives (Kafka's `*ZNode.path`), without the chroot.
pub mod paths {
    pub const CLUSTER_ID: &str = "/cluster/id";
    pub const CONTROLLER: &str = "/controller";
    pub const CONTROLLER_EPOCH: &str = "/controller_epoch";
    pub const BROKER_IDS: &str = "/brokers/ids";
    pub const TOPICS: &str = "/brokers/topics";
    pub const DELETE_TOPICS: &str = "/admin/delete_topics";
    pub const CONFIG_TOPICS: &str = "/config/topics";
    /// Lab 12: where partition leaders announce ISR changes (`isr_change_<10 digits>`).
    pub const ISR_CHANGE_NOTIFICATION: &str = "/isr_change_notification";

    /// `/brokers/ids/<id>`.
    pub fn broker_id(id: i32) -> String {
        format!("{BROKER_IDS}/{id}")
    }
    /// `/brokers/topics/<topic>`.
    pub fn topic(topic: &str) -> String {
        format!("{TOPICS}/{topic}")
    }
    /// `/brokers/topics/<topic>/partitions`.
    pub fn topic_partitions(topic: &str) -> String {
        format!("{TOPICS}/{topic}/partitions")
    }
    /// `/brokers/topics/<topic>/partitions/<partition>/state`.
    pub fn partition_state(topic: &str, partition: i32) -> String {
        format!("{TOPICS}/{topic}/partitions/{partition}/state")
    }
    /// `/admin/delete_topics/<topic>`.
    pub fn delete_topic(topic: &str) -> String {
        format!("{DELETE_TOPICS}/{topic}")
    }
    /// `/config/topics/<topic>`.
    pub fn config_topic(topic: &str) -> String {
        format!("{CONFIG_TOPICS}/{topic}")
    }
}

fn bad(znode: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::BadZnodeData {
        znode,
        reason: reason.to_string(),
    }
}

/// `/controller`: who the controller is (`ControllerZNode`). Ephemeral: it disappears with
/// the controller's ZooKeeper session, and that is what starts the next election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerZNode {
    pub broker_id: i32,
    /// When it was elected, in ms since the epoch (written as a JSON string).
    pub timestamp_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct ControllerJson {
    version: i32,
    brokerid: i32,
    timestamp: String,
}

impl ControllerZNode {
    /// `{"version":1,"brokerid":N,"timestamp":"ms"}`.
    pub fn encode(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 1: write version 1, brokerid and the timestamp as a string
        // ko: version 1, brokerid, 문자열로 된 timestamp를 쓰세요
        serde_json::to_vec(&ControllerJson {
            version: 1,
            brokerid: self.broker_id,
            timestamp: self.timestamp_ms.to_string(),
        })
        .expect("a struct of numbers and strings always serializes")
        // END SOLUTION
    }

    /// Reads what `encode` (or Kafka) wrote.
    pub fn decode(bytes: &[u8]) -> Result<ControllerZNode> {
        // BEGIN SOLUTION step 1: parse the JSON, check version 1 and read brokerid and the timestamp string
        // ko: JSON을 파싱하고 version 1을 확인한 뒤 brokerid와 timestamp 문자열을 읽으세요
        let json: ControllerJson =
            serde_json::from_slice(bytes).map_err(|e| bad("/controller", e))?;
        if json.version != 1 {
            return Err(Error::UnsupportedVersion {
                znode: "/controller",
                version: json.version.into(),
            });
        }
        let timestamp_ms = json
            .timestamp
            .parse()
            .map_err(|_| bad("/controller", "timestamp is not a number"))?;
        Ok(ControllerZNode {
            broker_id: json.brokerid,
            timestamp_ms,
        })
        // END SOLUTION
    }
}

/// `/controller_epoch`: how many controllers there have been, as plain decimal text
/// (`ControllerEpochZNode`). Persistent; each election adds one.
pub fn encode_controller_epoch(epoch: i32) -> Vec<u8> {
    // BEGIN SOLUTION step 1: the epoch as decimal text, no JSON
    // ko: JSON 없이 에포크를 10진수 텍스트로 쓰세요
    epoch.to_string().into_bytes()
    // END SOLUTION
}

/// Reads `/controller_epoch`.
pub fn decode_controller_epoch(bytes: &[u8]) -> Result<i32> {
    // BEGIN SOLUTION step 1: parse decimal text
    // ko: 10진수 텍스트를 파싱하세요
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| bad("/controller_epoch", "not a decimal number"))
    // END SOLUTION
}

#[derive(Serialize, Deserialize)]
struct ClusterIdJson {
    version: String,
    id: String,
}

/// `/cluster/id`: `{"version":"1","id":"..."}` — note the version is a JSON *string* here
/// (`ClusterIdZNode.toJson`), unlike every other znode.
pub fn encode_cluster_id(id: &str) -> Vec<u8> {
    // BEGIN SOLUTION step 1: version as the string 1, then the id
    // ko: version은 문자열 1로, 그다음 id를 쓰세요
    serde_json::to_vec(&ClusterIdJson {
        version: "1".to_string(),
        id: id.to_string(),
    })
    .expect("strings always serialize")
    // END SOLUTION
}

/// Reads `/cluster/id`.
pub fn decode_cluster_id(bytes: &[u8]) -> Result<String> {
    // BEGIN SOLUTION step 1: parse the JSON and return its id
    // ko: JSON을 파싱해 id를 돌려주세요
    let json: ClusterIdJson = serde_json::from_slice(bytes).map_err(|e| bad("/cluster/id", e))?;
    Ok(json.id)
    // END SOLUTION
}

/// `/brokers/topics/<t>`: the replica assignment of every partition (`TopicZNode`, version 2
/// since Kafka 2.4's KIP-455; 2.6 writes no `topic_id` yet). The first replica of each list
/// is the partition's *preferred* leader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicAssignment {
    /// Partition → replicas (broker ids).
    pub partitions: BTreeMap<i32, Vec<i32>>,
    /// Replicas being added by a reassignment (empty here: this lab does not reassign).
    pub adding_replicas: BTreeMap<i32, Vec<i32>>,
    /// Replicas being removed by a reassignment.
    pub removing_replicas: BTreeMap<i32, Vec<i32>>,
}

/// Integer map keys serialize as JSON strings ("0") in ascending numeric order.
#[derive(Serialize, Deserialize)]
struct TopicJson {
    version: i32,
    partitions: BTreeMap<i32, Vec<i32>>,
    #[serde(default)]
    adding_replicas: BTreeMap<i32, Vec<i32>>,
    #[serde(default)]
    removing_replicas: BTreeMap<i32, Vec<i32>>,
}

impl TopicAssignment {
    /// `{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{}}`.
    pub fn encode(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 1: write version 2 and the three maps, partition numbers as string keys
        // ko: version 2와 세 맵을 쓰세요. 파티션 번호는 문자열 키입니다
        serde_json::to_vec(&TopicJson {
            version: 2,
            partitions: self.partitions.clone(),
            adding_replicas: self.adding_replicas.clone(),
            removing_replicas: self.removing_replicas.clone(),
        })
        .expect("maps of numbers always serialize")
        // END SOLUTION
    }

    /// Reads versions 1 (no adding/removing maps) and 2.
    pub fn decode(bytes: &[u8]) -> Result<TopicAssignment> {
        // BEGIN SOLUTION step 1: parse the JSON, accept versions 1 and 2, missing maps are empty
        // ko: JSON을 파싱하고 version 1과 2를 받아들이세요. 없는 맵은 빈 맵입니다
        let json: TopicJson =
            serde_json::from_slice(bytes).map_err(|e| bad("/brokers/topics/<topic>", e))?;
        if !(1..=2).contains(&json.version) {
            return Err(Error::UnsupportedVersion {
                znode: "/brokers/topics/<topic>",
                version: json.version.into(),
            });
        }
        Ok(TopicAssignment {
            partitions: json.partitions,
            adding_replicas: json.adding_replicas,
            removing_replicas: json.removing_replicas,
        })
        // END SOLUTION
    }
}

/// `/brokers/topics/<t>/partitions/<p>/state`: who leads a partition
/// (`TopicPartitionStateZNode`, Kafka's `LeaderIsrAndControllerEpoch`). The znode's own
/// `Stat.version` (its *zkVersion*) is kept beside it by whoever reads it: every update is a
/// conditional setData on that version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderIsrAndControllerEpoch {
    /// The leader's broker id, or `NO_LEADER`.
    pub leader: i32,
    /// Bumped at every change of leader or ISR by the controller; replicas use it to ignore
    /// stale news.
    pub leader_epoch: i32,
    /// The in-sync replicas.
    pub isr: Vec<i32>,
    /// The epoch of the controller that wrote this state.
    pub controller_epoch: i32,
}

#[derive(Serialize, Deserialize)]
struct PartitionStateJson {
    controller_epoch: i32,
    leader: i32,
    version: i32,
    leader_epoch: i32,
    isr: Vec<i32>,
}

impl LeaderIsrAndControllerEpoch {
    /// `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}`.
    pub fn encode(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 1: write controller_epoch, leader, version 1, leader_epoch and isr in that order
        // ko: controller_epoch, leader, version 1, leader_epoch, isr를 이 순서로 쓰세요
        serde_json::to_vec(&PartitionStateJson {
            controller_epoch: self.controller_epoch,
            leader: self.leader,
            version: 1,
            leader_epoch: self.leader_epoch,
            isr: self.isr.clone(),
        })
        .expect("numbers always serialize")
        // END SOLUTION
    }

    /// Reads version 1.
    pub fn decode(bytes: &[u8]) -> Result<LeaderIsrAndControllerEpoch> {
        // BEGIN SOLUTION step 1: parse the JSON, check version 1, keep the four fields
        // ko: JSON을 파싱하고 version 1을 확인한 뒤 네 필드를 담으세요
        let json: PartitionStateJson =
            serde_json::from_slice(bytes).map_err(|e| bad("partition state", e))?;
        if json.version != 1 {
            return Err(Error::UnsupportedVersion {
                znode: "partition state",
                version: json.version.into(),
            });
        }
        Ok(LeaderIsrAndControllerEpoch {
            leader: json.leader,
            leader_epoch: json.leader_epoch,
            isr: json.isr,
            controller_epoch: json.controller_epoch,
        })
        // END SOLUTION
    }
}

/// `/config/topics/<t>`: a topic's overrides of the broker defaults (`ConfigEntityZNode`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicConfig {
    pub config: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct ConfigJson {
    version: i32,
    config: BTreeMap<String, String>,
}

impl TopicConfig {
    /// `{"version":1,"config":{"cleanup.policy":"compact"}}`.
    pub fn encode(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 1: version 1 and the config map of strings
        // ko: version 1과 문자열 config 맵을 쓰세요
        serde_json::to_vec(&ConfigJson {
            version: 1,
            config: self.config.clone(),
        })
        .expect("strings always serialize")
        // END SOLUTION
    }

    /// Reads version 1.
    pub fn decode(bytes: &[u8]) -> Result<TopicConfig> {
        // BEGIN SOLUTION step 1: parse the JSON, check version 1, keep the config map
        // ko: JSON을 파싱하고 version 1을 확인한 뒤 config 맵을 담으세요
        let json: ConfigJson =
            serde_json::from_slice(bytes).map_err(|e| bad("/config/topics/<topic>", e))?;
        if json.version != 1 {
            return Err(Error::UnsupportedVersion {
                znode: "/config/topics/<topic>",
                version: json.version.into(),
            });
        }
        Ok(TopicConfig {
            config: json.config,
        })
        // END SOLUTION
    }
}
