//! Given: Kafka's `AdminZkClient` — the session task's answers to [`AdminRequest`]s, the
//! writes a broker's request handlers ask for (`zk_admin`).
//!
//! The writes are plain, not guarded by a controller epoch: any broker may add a topic or ask
//! for a deletion; the controller, watching `/brokers/topics` and `/admin/delete_topics`, does
//! the rest.

use std::collections::BTreeMap;

use lab08_znodes::Code;

use crate::error::{Error, Result};
use crate::kafka_zk_client::{failed_with, KafkaZkClient, ZkFailure, ZkResult};
use crate::zk_admin::AdminRequest;
use crate::zk_data::{paths, TopicAssignment, TopicConfig};

/// Answers `request`. `Err` only when the session is lost (the request's caller hears
/// `Error::ZooKeeper` too): the shell must start a new session.
pub async fn serve(zk: &mut KafkaZkClient<'_>, request: AdminRequest) -> ZkResult<()> {
    let mut lost = None;
    match request {
        AdminRequest::CreateTopic {
            topic,
            assignment,
            configs,
            reply,
        } => {
            let answer = create_topic(zk, &topic, assignment, configs).await;
            let _ = reply.send(answer_of(answer, &mut lost));
        }
        AdminRequest::DeleteTopic { topic, reply } => {
            let answer = delete_topic(zk, &topic).await;
            let _ = reply.send(answer_of(answer, &mut lost));
        }
        AdminRequest::TopicConfig { topic, reply } => {
            let answer = topic_config(zk, &topic).await;
            let _ = reply.send(answer_of(answer, &mut lost));
        }
        AdminRequest::UpdatePartitionState {
            path,
            data,
            version,
            reply,
        } => {
            let answer = update_partition_state(zk, &path, &data, version).await;
            let _ = reply.send(answer_of(answer, &mut lost));
        }
        AdminRequest::CreateSequential {
            path_prefix,
            data,
            reply,
        } => {
            let answer = create_sequential(zk, &path_prefix, &data).await;
            let _ = reply.send(answer_of(answer, &mut lost));
        }
    }
    lost.map_or(Ok(()), Err)
}

/// The caller's answer: its own error, or ZooKeeper's as `Error::ZooKeeper`. A lost session
/// is also kept in `lost`, for the shell.
fn answer_of<T>(answer: ZkResult<Result<T>>, lost: &mut Option<ZkFailure>) -> Result<T> {
    match answer {
        Ok(answer) => answer,
        Err(f) => {
            let e = Error::ZooKeeper(f.to_string());
            if let ZkFailure::Session(_) = f {
                *lost = Some(f);
            }
            Err(e)
        }
    }
}

/// `createTopicWithAssignment`: the settings first, then the assignment — whose creation is
/// what the controller watches, so it must come last. The outer error is ZooKeeper's, the
/// inner one the caller's.
async fn create_topic(
    zk: &mut KafkaZkClient<'_>,
    topic: &str,
    assignment: BTreeMap<i32, Vec<i32>>,
    configs: BTreeMap<String, String>,
) -> ZkResult<Result<()>> {
    let topic_path = zk.connect.path(&paths::topic(topic));
    if zk.zk.exists(&topic_path).await?.is_some() {
        return Ok(Err(Error::TopicExists(topic.to_string())));
    }
    let config_path = zk.connect.path(&paths::config_topic(topic));
    let config = TopicConfig { config: configs }.encode();
    // `setOrCreateEntityConfigs`: settings left by an earlier topic of that name are replaced.
    let created = zk
        .zk
        .create(&config_path, &config, 0)
        .await
        .map_err(ZkFailure::from);
    if failed_with(&created, Code::NodeExists) {
        zk.zk.set(&config_path, &config, -1).await?;
    } else {
        created?;
    }
    let data = TopicAssignment {
        partitions: assignment,
        ..TopicAssignment::default()
    }
    .encode();
    let created = zk
        .zk
        .create(&topic_path, &data, 0)
        .await
        .map_err(ZkFailure::from);
    if failed_with(&created, Code::NodeExists) {
        return Ok(Err(Error::TopicExists(topic.to_string())));
    }
    created?;
    Ok(Ok(()))
}

/// `deleteTopic`: only a topic that exists, and asking twice is fine.
async fn delete_topic(zk: &mut KafkaZkClient<'_>, topic: &str) -> ZkResult<Result<()>> {
    let topic_path = zk.connect.path(&paths::topic(topic));
    if zk.zk.exists(&topic_path).await?.is_none() {
        return Ok(Err(Error::UnknownTopic(topic.to_string())));
    }
    let marker = zk.connect.path(&paths::delete_topic(topic));
    let created = zk.zk.create(&marker, b"", 0).await.map_err(ZkFailure::from);
    if !failed_with(&created, Code::NodeExists) {
        created?;
    }
    Ok(Ok(()))
}

/// `/config/topics/<topic>`'s settings; none written is an empty map.
async fn topic_config(
    zk: &mut KafkaZkClient<'_>,
    topic: &str,
) -> ZkResult<Result<BTreeMap<String, String>>> {
    let path = zk.connect.path(&paths::config_topic(topic));
    let read = zk.zk.get(&path).await.map_err(ZkFailure::from);
    if failed_with(&read, Code::NoNode) {
        return Ok(Ok(BTreeMap::new()));
    }
    let (bytes, _) = read?;
    Ok(TopicConfig::decode(&bytes).map(|c| c.config))
}

/// `ReplicationUtils.updateLeaderAndIsr`: a conditional setData. A failed version check
/// (BADVERSION) is an answer, `None`, not an error: the leader re-reads what LeaderAndIsr says.
async fn update_partition_state(
    zk: &mut KafkaZkClient<'_>,
    path: &str,
    data: &[u8],
    version: i32,
) -> ZkResult<Result<Option<i32>>> {
    let path = zk.connect.path(path);
    let written = zk
        .zk
        .set(&path, data, version)
        .await
        .map_err(ZkFailure::from);
    if failed_with(&written, Code::BadVersion) {
        return Ok(Ok(None));
    }
    Ok(Ok(Some(written?.version)))
}

/// A persistent sequential znode (flags 2): ZooKeeper appends a 10-digit counter to the name.
async fn create_sequential(
    zk: &mut KafkaZkClient<'_>,
    path_prefix: &str,
    data: &[u8],
) -> ZkResult<Result<String>> {
    let path = zk.connect.path(path_prefix);
    let created = zk.zk.create(&path, data, 2).await?;
    Ok(Ok(created))
}
