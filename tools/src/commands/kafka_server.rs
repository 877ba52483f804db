//! `kafkalab kafka-server-start server.properties`: the broker of the labs, started the way
//! Kafka's `kafka-server-start.sh` starts Kafka. Stops on Ctrl-C or SIGTERM after flushing.

use std::path::Path;

use std::sync::Arc;

use lab05_broker::{server, Broker, BrokerConfig, CoreService, Router, ServerProperties, Shared};
use lab06_topics::TopicsService;
use lab07_consumer_groups::coordinator::CoordinatorConfig;
use lab07_consumer_groups::GroupService;

use crate::error::Error;

pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}

pub fn run(config_path: &Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(config_path).map_err(|source| Error::Io {
        path: config_path.to_path_buf(),
        source,
    })?;
    // Each lab reads its own keys; what no lab read is reported, naming the key.
    let properties = ServerProperties::parse(&text);
    let config = BrokerConfig::from_properties(&properties)?;
    let groups = CoordinatorConfig::from_properties(&properties)?;
    for w in properties.unused() {
        tracing::warn!("{w}");
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|source| Error::Io {
        path: config_path.to_path_buf(),
        source,
    })?;
    runtime.block_on(async {
        let address = format!("{}:{}", config.listener_host, config.listener_port);
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|source| Error::Io {
                path: address.clone().into(),
                source,
            })?;
        let local = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or(address);
        let broker = Broker::open(config, lab05_broker::shared::now_ms())?;
        tracing::info!(
            "broker {} listening on {local}, advertised as {}:{}, logs in {}",
            broker.config().broker_id,
            broker.config().advertised_host,
            broker.config().advertised_port,
            broker.log_dir().display()
        );
        // A line a script or test can wait for, whatever the log level.
        println!("kafkalab broker started on {local}");
        let shared = Shared::new(broker);
        // Lab 05's APIs, lab 06's topic APIs and lab 07's consumer groups, side by side.
        let router = Router::new()
            .with(CoreService::new(shared.clone()))
            .with(TopicsService::open(shared.clone())?)
            .with(GroupService::open(shared.clone(), groups)?);
        server::run(listener, shared, Arc::new(router), shutdown_signal()).await;
        Ok(())
    })
}
