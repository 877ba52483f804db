//! Step 8: what a broker of a cluster does with its logs when the controller speaks (Kafka's
//! `ReplicaManager.becomeLeaderOrFollower` and `stopReplicas`).
//!
//! - LeaderAndIsr names, for each partition, its replicas and its leader. A broker named as a
//!   replica hosts the partition: it creates the log if it has none (with the topic's settings
//!   from `/config/topics/<topic>`), and becomes its leader or a follower. A partition whose
//!   state was refused (an older leader epoch) or that does not name this broker changes
//!   nothing here.
//! - StopReplica with `delete_partition` (a topic being deleted, a replica moved away) removes
//!   the partition and its files; without it the broker stops serving it but keeps the log.
//!
//! Which broker leads is kept in the [`BrokerView`](crate::BrokerView)'s `replicas` (step 5);
//! the logs are lab 05's [`LogManager`](lab05_broker::log_manager::LogManager). A follower
//! here only holds its log: fetching from the leader to stay in sync is lab 12's job.

use lab06_topics::topic_config::TopicConfig;

use crate::requests::{error_code, LeaderAndIsrRequest, LeaderAndIsrResponse, TopicPartition};

/// What this broker is for one partition after a LeaderAndIsr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaRole {
    Leader,
    Follower,
}

/// One partition LeaderAndIsr changes on this broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalChange {
    pub partition: TopicPartition,
    pub role: ReplicaRole,
    /// The broker has no log for it yet: create one before answering (Kafka's
    /// `Partition.createLogIfNotExists`).
    pub create_log: bool,
}

/// The local changes of an accepted LeaderAndIsr: each partition of `request` that `response`
/// (step 5's answer) accepted with NONE and whose replicas include `broker_id`, leader if it
/// names this broker and follower otherwise, with `create_log` when `hosted` says the broker
/// has no log for it. A request refused as a whole changes nothing.
pub fn local_changes(
    broker_id: i32,
    request: &LeaderAndIsrRequest,
    response: &LeaderAndIsrResponse,
    hosted: impl Fn(&TopicPartition) -> bool,
) -> Vec<LocalChange> {
    // BEGIN SOLUTION step 8: for each accepted partition that names this broker a replica, leader or follower, and whether its log is missing
    // ko: 받아들여졌고 이 브로커를 레플리카로 꼽는 파티션마다 리더인지 팔로워인지, 로그가 없는지 정하기
    if response.error_code != error_code::NONE {
        return Vec::new();
    }
    let accepted = |topic: &str, partition: i32| {
        response.partition_errors.iter().any(|e| {
            e.topic_name == topic
                && e.partition_index == partition
                && e.error_code == error_code::NONE
        })
    };
    let mut changes = Vec::new();
    for topic in &request.topic_states {
        for state in &topic.partition_states {
            if !state.replicas.contains(&broker_id)
                || !accepted(&topic.topic_name, state.partition_index)
            {
                continue;
            }
            let partition = TopicPartition::new(&topic.topic_name, state.partition_index);
            let role = if state.leader == broker_id {
                ReplicaRole::Leader
            } else {
                ReplicaRole::Follower
            };
            let create_log = !hosted(&partition);
            changes.push(LocalChange {
                partition,
                role,
                create_log,
            });
        }
    }
    changes
    // END SOLUTION
}

/// A topic's settings as ZooKeeper holds them (`/config/topics/<topic>`), checked by lab 06's
/// rules. A setting this lab does not know is left out with a warning, not fatal: the log is
/// still created, with the broker's default for it.
pub fn topic_config(
    topic: &str,
    configs: &std::collections::BTreeMap<String, String>,
) -> TopicConfig {
    let mut overrides = std::collections::BTreeMap::new();
    for (key, value) in configs {
        let one = [(key.clone(), Some(value.clone()))];
        match TopicConfig::from_request(&one) {
            Ok(checked) => overrides.extend(checked.overrides),
            Err(e) => tracing::warn!(topic, "ignoring {key}={value}: {e}"),
        }
    }
    TopicConfig { overrides }
}
