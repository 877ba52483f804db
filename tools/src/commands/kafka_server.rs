//! `kafkalab kafka-server-start server.properties`: the broker of the labs, started the way
//! Kafka's `kafka-server-start.sh` starts Kafka. Stops on Ctrl-C or SIGTERM after flushing.
//!
//! With `zookeeper.connect` (lab 11) the broker also keeps a ZooKeeper session, registers
//! `/brokers/ids/<broker.id>` under the chroot, runs its controller on that session (one broker
//! of the cluster wins `/controller`) and answers the controller's requests; without it, it is
//! the single broker of labs 05–07, exactly.

use std::path::Path;

use std::sync::Arc;

use lab05_broker::{server, Broker, BrokerConfig, CoreService, Router, ServerProperties, Shared};
use lab06_topics::TopicsService;
use lab07_consumer_groups::coordinator::CoordinatorConfig;
use lab07_consumer_groups::GroupService;

use lab11_controller::zk_session::{new_cluster_id, DEFAULT_SESSION_TIMEOUT_MS};
use lab11_controller::{
    BrokerInfo, BrokerSession, ClusterConfig, ClusterGroupService, ControllerRequestsService,
    EndPoint, SessionConfig, ZkAdmin, ZkConnect,
};

use lab11_controller::cluster_describe_configs::ClusterDescribeConfigs;
use lab11_controller::cluster_topic_changes::ClusterTopicChanges;
use lab11_controller::controller_commands::ControllerCommands;
use lab12_replication::{
    cluster_replication, ClusterReplication, ReplicaConfig, ReplicationService,
};
use lab13_failover::controller_client::controlled_shutdown;
use lab13_failover::failover_config::FailoverConfig;
use lab13_failover::failover_service::FailoverService;
use lab13_failover::leader_epoch_caches::LeaderEpochCaches;
use lab13_failover::leader_epoch_service::LeaderEpochService;
use lab14_exactly_once::cluster_producers;
use lab14_exactly_once::cluster_transactions::ClusterTransactions;
use lab14_exactly_once::service::ExactlyOnceService;

use crate::commands::server_start::{bind, read_config, runtime, shutdown_signal};
use crate::error::Error;

pub fn run(config_path: &Path) -> Result<(), Error> {
    let text = read_config(config_path)?;
    // Each lab reads its own keys; what no lab read is reported, naming the key.
    let properties = ServerProperties::parse(&text);
    let config = BrokerConfig::from_properties(&properties)?;
    let groups = CoordinatorConfig::from_properties(&properties)?;
    let transactions = lab14_exactly_once::service::transaction_config(&properties)?;
    let zookeeper = zookeeper_config(&properties, &config)?;
    // Only in a cluster: replication factors for new topics (lab 11 step 8), lab 12's replica
    // keys (one broker has no followers) and lab 13's failover keys.
    let cluster = match &zookeeper {
        Some(_) => Some((
            ClusterConfig::from_properties(&properties)?,
            FailoverConfig::from_properties(&properties)?,
            replica_config(&properties)?,
        )),
        None => None,
    };
    for w in properties.unused() {
        tracing::warn!("{w}");
    }
    let runtime = runtime(config_path)?;
    runtime.block_on(async {
        // Every listener of `listeners` (Kafka: `SocketServer` binds one acceptor per name).
        let mut bound = Vec::new();
        for l in config.all_listeners() {
            let (listener, local) = bind(format!("{}:{}", l.host, l.port)).await?;
            bound.push((l, listener, local));
        }
        // In a cluster, lab 12's replica rules: followers fetch, the ISR decides the HW.
        let replication = cluster.as_ref().map(|(_, _, replicas)| {
            ClusterReplication::new(config.broker_id, *replicas, lab05_broker::shared::now_ms())
        });
        let broker = match &replication {
            Some((rules, _)) => {
                rules.load_high_watermarks(&config.log_dir);
                Broker::open_with(config, rules.clone(), lab05_broker::shared::now_ms())?
            }
            None => Broker::open(config, lab05_broker::shared::now_ms())?,
        };
        for (l, _, local) in &bound {
            tracing::info!(
                "broker {} listening on {local} ({}), advertised as {}:{}, logs in {}",
                broker.config().broker_id,
                l.name,
                l.advertised_host,
                l.advertised_port,
                broker.log_dir().display()
            );
        }
        // A line a script or test can wait for, whatever the log level: the first listener's
        // address, then the others'.
        let locals: Vec<&str> = bound.iter().map(|(_, _, local)| local.as_str()).collect();
        println!("kafkalab broker started on {}", locals.join(" "));
        let inter_broker = broker.config().inter_broker_listener.clone();
        let shared = Shared::new(broker);
        // Lab 05's APIs, lab 06's topic APIs and lab 07's consumer groups, side by side; lab
        // 14's idempotent producer after lab 05's, whose InitProducerId it replaces.
        let groups = GroupService::open(shared.clone(), groups)?;
        let topics = TopicsService::open(shared.clone())?;
        let router = Router::new()
            .with(CoreService::new(shared.clone()))
            .with(topics.clone())
            .with(groups.clone());
        // A broker alone: lab 14 whole. In a cluster: producer state on leaders and followers
        // now, the transaction coordinator with lab 11's services below.
        let router = if zookeeper.is_none() {
            router.with(ExactlyOnceService::open(
                shared.clone(),
                groups.clone(),
                transactions,
            ))
        } else {
            cluster_producers::open(&shared);
            router
        };
        // In a cluster, lab 11's services go last: a later route replaces an earlier one, so
        // Metadata, Produce, Fetch, ListOffsets and the topic APIs follow what the controller
        // said, and group requests go to the leader of the group's offsets partition. The
        // session task runs the controller and does the handlers' ZooKeeper writes. Lab 12's
        // service replicates; lab 13's failover rules ride on the controller: ControlledShutdown
        // and ElectLeaders reach it through `commands`, and on SIGTERM the broker asks it to
        // move its leaderships away before it stops serving.
        let stop_replication = tokio_util::sync::CancellationToken::new();
        let mut replication_service = None;
        let (router, cluster) = match (zookeeper, cluster, replication) {
            (Some(config), Some((cluster, failover, _)), Some((rules, zk_ops))) => {
                let (admin, admin_requests) = ZkAdmin::channel(64);
                let writes = admin.clone();
                let (commands, command_requests) = ControllerCommands::channel(16);
                let service = ControllerRequestsService::in_cluster_with(
                    shared.clone(),
                    &inter_broker,
                    admin,
                    cluster,
                );
                let session = BrokerSession::spawn_with_failover(
                    config,
                    service.clone(),
                    admin_requests,
                    Arc::new(failover.rules.clone()),
                    command_requests,
                    failover.leader_imbalance_check_interval,
                );
                tokio::spawn(cluster_replication::run_timers(
                    shared.clone(),
                    rules.clone(),
                    stop_replication.clone(),
                ));
                tokio::spawn(cluster_replication::run_zk_writes(
                    shared.clone(),
                    rules.clone(),
                    writes,
                    zk_ops,
                ));
                // Lab 13's leader epochs: each partition's `leader-epoch-checkpoint`, loaded
                // now; followers truncate by them, and the broker answers OffsetsForLeaderEpoch.
                let epochs = LeaderEpochCaches::new();
                {
                    let broker = shared.broker();
                    let logs = broker.logs();
                    epochs.load_all(
                        logs.topic_names()
                            .iter()
                            .filter_map(|t| logs.partitions(t))
                            .flat_map(|ps| ps.values()),
                    );
                }
                rules.set_leader_epochs(epochs.clone());
                let replicas = ReplicationService::new(service.clone(), rules);
                replication_service = Some(replicas.clone());
                let group_service = ClusterGroupService::new(service.clone(), groups.clone());
                // Lab 14's coordinator last: it answers InitProducerId and the transactional
                // APIs, FindCoordinator of both key types, and wraps lab 12's Fetch to cut
                // read_committed fetches at the last stable offset.
                let txns = ClusterTransactions::open(
                    service.clone(),
                    groups,
                    group_service.clone(),
                    replicas.clone(),
                    transactions,
                );
                let router = router
                    .with(service.clone())
                    .with(ClusterDescribeConfigs::new(service.clone(), topics.clone()))
                    .with(ClusterTopicChanges::new(topics))
                    .with(replicas)
                    .with(group_service)
                    .with(FailoverService::new(commands))
                    .with(LeaderEpochService::new(shared.clone(), epochs))
                    .with(txns);
                let session = Arc::new(tokio::sync::Mutex::new(Some(session)));
                (
                    router,
                    Some((service, session, failover.controlled_shutdown)),
                )
            }
            _ => (router, None),
        };
        let shutdown = {
            let cluster = cluster.clone();
            async move {
                shutdown_signal().await;
                if let Some((service, session, config)) = cluster {
                    let epoch = session.lock().await.as_ref().and_then(|s| s.registration());
                    match epoch {
                        Some(r) => {
                            controlled_shutdown(&service, r.broker_epoch, &config).await;
                        }
                        None => tracing::warn!("no ZooKeeper session: no controlled shutdown"),
                    }
                }
            }
        };
        let listeners = bound.into_iter().map(|(l, listener, _)| (l.name, listener));
        server::run_listeners(
            listeners.collect(),
            shared.clone(),
            Arc::new(router),
            shutdown,
        )
        .await;
        stop_replication.cancel();
        if let Some(replicas) = replication_service {
            replicas.shutdown();
            cluster_replication::checkpoint_high_watermarks(&shared);
        }
        // Closing the session removes the registration now, not a session timeout later.
        if let Some((_, session, _)) = cluster {
            if let Some(session) = session.lock().await.take() {
                session.close().await;
            }
        }
        Ok(())
    })
}

/// Lab 12's keys: `replica.lag.time.max.ms` and the broker's `min.insync.replicas`.
fn replica_config(properties: &ServerProperties) -> Result<ReplicaConfig, Error> {
    let mut config = ReplicaConfig::default();
    match properties.number("replica.lag.time.max.ms", "a number of ms")? {
        Some(ms) if ms > 0 => config.replica_lag_time_max_ms = ms,
        Some(_) => {
            return Err(properties
                .invalid("replica.lag.time.max.ms", "must be a positive number of ms")
                .into())
        }
        None => {}
    }
    match properties.number("min.insync.replicas", "a number of replicas")? {
        Some(n) if n >= 1 => config.min_insync_replicas = n as usize,
        Some(_) => {
            return Err(properties
                .invalid("min.insync.replicas", "must be at least 1")
                .into())
        }
        None => {}
    }
    Ok(config)
}

/// Lab 11's keys: `zookeeper.connect` (absent: no ZooKeeper at all) and the session timeout.
fn zookeeper_config(
    properties: &ServerProperties,
    config: &BrokerConfig,
) -> Result<Option<SessionConfig>, Error> {
    let Some(value) = properties.get("zookeeper.connect") else {
        return Ok(None);
    };
    let connect = ZkConnect::parse(value)?;
    let session_timeout_ms =
        match properties.number("zookeeper.session.timeout.ms", "a number of ms")? {
            Some(ms) if ms > 0 && ms <= i32::MAX as i64 => ms as i32,
            Some(_) => {
                return Err(properties
                    .invalid(
                        "zookeeper.session.timeout.ms",
                        "must be a positive number of ms",
                    )
                    .into())
            }
            None => DEFAULT_SESSION_TIMEOUT_MS,
        };
    let info = BrokerInfo {
        id: config.broker_id,
        // Every advertised listener, so each broker can tell a client the others' addresses
        // on the listener that client uses. The inter-broker listener goes first: the
        // controller's channel and the replica fetchers (through LeaderAndIsr's live leaders)
        // reach a broker at its first PLAINTEXT endpoint, so that is `inter.broker.listener.name`.
        endpoints: inter_broker_first(config)
            .into_iter()
            .map(|l| EndPoint {
                listener_name: l.name,
                host: l.advertised_host,
                port: i32::from(l.advertised_port),
                security_protocol: l.security_protocol,
            })
            .collect(),
        rack: None,
        jmx_port: -1,
        timestamp_ms: lab05_broker::shared::now_ms(),
        version: 4,
    };
    Ok(Some(SessionConfig {
        connect,
        info,
        session_timeout_ms,
        cluster_id: new_cluster_id(),
    }))
}

/// The broker's listeners, the inter-broker one first.
fn inter_broker_first(config: &BrokerConfig) -> Vec<lab05_broker::listeners::Listener> {
    let mut listeners = config.all_listeners();
    listeners.sort_by_key(|l| l.name != config.inter_broker_listener);
    listeners
}
