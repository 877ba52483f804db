//! Step 7: what a broker writes in ZooKeeper when it starts (`KafkaServer.startup`): the chroot
//! of `zookeeper.connect`, Kafka's top-level persistent znodes, `/cluster/id` when no broker
//! wrote it yet, and its own ephemeral `/brokers/ids/<id>`. The session that keeps that
//! registration alive is `zk_session` (given).

use lab08_znodes::client::{ClientError, ZkClient};
use lab08_znodes::Code;

use crate::broker_info::BrokerInfo;
use crate::error::{Error, Result};
use crate::zk_connect::ZkConnect;
use crate::zk_data::{self, paths};

/// `ZkData.PersistentZkPaths`: the znodes every Kafka 2.6 broker makes sure exist at startup
/// (`KafkaZkClient.createTopLevelPaths`), so that later writes never race to create a parent.
pub const PERSISTENT_PATHS: &[&str] = &[
    "/consumers",
    paths::BROKER_IDS,
    paths::TOPICS,
    "/config/changes",
    paths::DELETE_TOPICS,
    "/brokers/seqid",
    "/isr_change_notification",
    "/latest_producer_id_block",
    "/log_dir_event_notification",
    "/config/topics",
    "/config/clients",
    "/config/users",
    "/config/brokers",
];

/// What registering told the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// `/cluster/id`'s id: the one this broker wrote, or the one another broker wrote first.
    pub cluster_id: String,
    /// The broker epoch: the `czxid` of `/brokers/ids/<id>` (KIP-380).
    pub broker_epoch: i64,
}

/// The paths `makeSurePersistentPathExists` creates for `path`, parents first:
/// `/a/b/c` → `/a`, `/a/b`, `/a/b/c`. `/` (or an empty path) needs none.
pub fn path_chain(path: &str) -> Vec<String> {
    // BEGIN SOLUTION step 7: every prefix of the path that ends at a `/`, then the path itself
    // ko: 경로의 모든 접두사(부모부터)를 차례로 만들고, 마지막에 경로 자체를 넣으세요
    let mut chain = Vec::new();
    let mut prefix = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        prefix.push('/');
        prefix.push_str(part);
        chain.push(prefix.clone());
    }
    chain
    // END SOLUTION
}

/// Creates `path` and its missing parents, with no data; what exists already is no error.
pub async fn ensure_path(zk: &mut ZkClient, path: &str) -> Result<()> {
    for p in path_chain(path) {
        create_if_missing(zk, &p, b"", 0).await?;
    }
    Ok(())
}

/// Registers the broker on a fresh session `zk` (connected to the servers, *not* inside the
/// chroot: the paths are made with `connect.path`). `cluster_id` is the id to write when
/// `/cluster/id` is missing.
pub async fn register(
    zk: &mut ZkClient,
    connect: &ZkConnect,
    info: &BrokerInfo,
    cluster_id: &str,
) -> Result<Registration> {
    // BEGIN SOLUTION step 7: the chroot, the persistent paths, /cluster/id (create, or read the winner's), then the ephemeral registration and its czxid
    // ko: chroot, 영구 경로들, /cluster/id(없으면 만들고 있으면 먼저 쓴 브로커의 값을 읽기), 그다음 임시 등록 노드와 그 czxid
    if let Some(chroot) = &connect.chroot {
        ensure_path(zk, chroot).await?;
    }
    for path in PERSISTENT_PATHS {
        ensure_path(zk, &connect.path(path)).await?;
    }
    // Two brokers may start together: whoever creates /cluster/id first wins, the other reads.
    let id_path = connect.path(paths::CLUSTER_ID);
    ensure_path(zk, &connect.path("/cluster")).await?;
    create_if_missing(zk, &id_path, &zk_data::encode_cluster_id(cluster_id), 0).await?;
    let (bytes, _) = zk.get(&id_path).await.map_err(zk_error)?;
    let cluster_id = zk_data::decode_cluster_id(&bytes)?;
    // Ephemeral (flag 1): it lives as long as this session, which is how the controller learns
    // that the broker died.
    let me = connect.path(&paths::broker_id(info.id));
    zk.create(&me, &info.encode(), 1).await.map_err(zk_error)?;
    let broker_epoch = match zk.exists(&me).await.map_err(zk_error)? {
        Some(stat) => stat.czxid,
        None => {
            return Err(Error::ZooKeeper(format!(
                "{me} vanished right after its creation"
            )))
        }
    };
    Ok(Registration {
        cluster_id,
        broker_epoch,
    })
    // END SOLUTION
}

async fn create_if_missing(zk: &mut ZkClient, path: &str, data: &[u8], flags: i32) -> Result<()> {
    match zk.create(path, data, flags).await {
        Ok(_) => Ok(()),
        Err(ClientError::Keeper { code, .. }) if code == Code::NodeExists.code() => Ok(()),
        Err(e) => Err(zk_error(e)),
    }
}

/// The client's error as this lab's.
pub fn zk_error(e: ClientError) -> Error {
    Error::ZooKeeper(e.to_string())
}
