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

use std::collections::BTreeMap;

use lab05_broker::shared::now_ms;
use lab05_broker::Shared;
use lab06_topics::topic_config::TopicConfig;

use crate::requests::{
    error_code, LeaderAndIsrRequest, LeaderAndIsrResponse, StopReplicaRequest, TopicPartition,
};
use crate::zk_admin::ZkAdmin;

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
pub fn topic_config(topic: &str, configs: &BTreeMap<String, String>) -> TopicConfig {
    let mut overrides = BTreeMap::new();
    for (key, value) in configs {
        let one = [(key.clone(), Some(value.clone()))];
        match TopicConfig::from_request(&one) {
            Ok(checked) => overrides.extend(checked.overrides),
            Err(e) => tracing::warn!(topic, "ignoring {key}={value}: {e}"),
        }
    }
    TopicConfig { overrides }
}

/// Given: applies an accepted LeaderAndIsr to the logs — creates the missing ones with their
/// topic's settings from ZooKeeper (KAFKA_STORAGE_ERROR for a log that cannot be created) —
/// before the answer goes back.
pub async fn apply_leader_and_isr(
    shared: &Shared,
    admin: &ZkAdmin,
    broker_id: i32,
    r: &LeaderAndIsrRequest,
    response: &mut LeaderAndIsrResponse,
) {
    let changes = {
        let broker = shared.broker();
        local_changes(broker_id, r, response, |tp| {
            broker.partition(&tp.topic, tp.partition).is_some()
        })
    };
    let mut configs: BTreeMap<String, TopicConfig> = BTreeMap::new();
    for change in &changes {
        let topic = &change.partition.topic;
        if change.create_log && !configs.contains_key(topic) {
            let config = topic_settings(admin, topic).await;
            configs.insert(topic.clone(), config);
        }
    }
    let mut broker = shared.broker();
    let defaults = broker.log_config();
    for change in changes {
        let tp = &change.partition;
        if let Some(config) = configs.get(&tp.topic).filter(|_| change.create_log) {
            let log_config = config.log_config(&defaults);
            let created =
                broker
                    .logs_mut()
                    .create_partition(&tp.topic, tp.partition, log_config, now_ms());
            if let Err(e) = created {
                tracing::error!(topic = %tp.topic, partition = tp.partition, "creating the log: {e}");
                set_partition_error(response, tp, error_code::KAFKA_STORAGE_ERROR);
                continue;
            }
        }
        match change.role {
            ReplicaRole::Leader => {
                tracing::info!(topic = %tp.topic, partition = tp.partition, "became leader")
            }
            ReplicaRole::Follower => {
                tracing::info!(topic = %tp.topic, partition = tp.partition, "became follower (fetching is lab 12's)")
            }
        }
    }
}

/// Given: after an accepted StopReplica, each partition to delete leaves the log manager and
/// its files go; the others keep their logs.
pub fn delete_stopped(shared: &Shared, r: &StopReplicaRequest) {
    let mut broker = shared.broker();
    for topic in &r.topic_states {
        for state in topic.partition_states.iter().filter(|s| s.delete_partition) {
            let (name, partition) = (&topic.topic_name, state.partition_index);
            if let Some(log) = broker.logs_mut().remove_partition(name, partition) {
                match log.delete() {
                    Ok(()) => {
                        tracing::info!(topic = %name, partition, "deleted the partition's log")
                    }
                    Err(e) => tracing::error!(topic = %name, partition, "deleting the log: {e}"),
                }
            }
        }
    }
}

/// A topic's settings for a new log, from ZooKeeper's `/config/topics/<topic>`; the
/// broker's defaults if unreadable.
async fn topic_settings(admin: &ZkAdmin, topic: &str) -> TopicConfig {
    match admin.topic_config(topic).await {
        Ok(configs) => topic_config(topic, &configs),
        Err(e) => {
            tracing::warn!(topic, "reading the topic's config: {e}; using the defaults");
            TopicConfig::default()
        }
    }
}

/// Overwrites one partition's error in a LeaderAndIsr answer.
fn set_partition_error(response: &mut LeaderAndIsrResponse, tp: &TopicPartition, code: i16) {
    for e in &mut response.partition_errors {
        if e.topic_name == tp.topic && e.partition_index == tp.partition {
            e.error_code = code;
        }
    }
}
