//! `kafkalab kafka-server-start server.properties`: the broker of the labs, started the way
//! Kafka's `kafka-server-start.sh` starts Kafka. Stops on Ctrl-C or SIGTERM after flushing.

use std::path::Path;

use std::sync::Arc;

use lab05_broker::{server, Broker, BrokerConfig, CoreService, Router, ServerProperties, Shared};
use lab06_topics::TopicsService;
use lab07_consumer_groups::coordinator::CoordinatorConfig;
use lab07_consumer_groups::GroupService;

use crate::commands::server_start::{bind, read_config, runtime, shutdown_signal};
use crate::error::Error;

pub fn run(config_path: &Path) -> Result<(), Error> {
    let text = read_config(config_path)?;
    // Each lab reads its own keys; what no lab read is reported, naming the key.
    let properties = ServerProperties::parse(&text);
    let config = BrokerConfig::from_properties(&properties)?;
    let groups = CoordinatorConfig::from_properties(&properties)?;
    for w in properties.unused() {
        tracing::warn!("{w}");
    }
    let runtime = runtime(config_path)?;
    runtime.block_on(async {
        let address = format!("{}:{}", config.listener_host, config.listener_port);
        let (listener, local) = bind(address).await?;
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
