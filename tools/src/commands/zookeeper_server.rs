//! `kafkalab zookeeper-server-start zoo.cfg`: the coordinator of labs 08 and 09, started the way Kafka's
//! `zookeeper-server-start.sh` starts ZooKeeper. Stops on Ctrl-C or SIGTERM.

use std::path::Path;

use lab08_znodes::cnxn_factory::{run as serve, Shared};
use lab08_znodes::config::ZooConfig;

use crate::commands::kafka_server::shutdown_signal;
use crate::error::Error;

pub fn run(config_path: &Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(config_path).map_err(|source| Error::Io {
        path: config_path.to_path_buf(),
        source,
    })?;
    let (mut config, warnings) = ZooConfig::parse(&text).map_err(Error::Tool)?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    let myid_path = config.data_dir.join("myid");
    if let Ok(myid) = std::fs::read_to_string(&myid_path) {
        config.myid = myid.trim().parse().map_err(|_| {
            Error::Tool(format!(
                "{}: `{}` is not a server number",
                myid_path.display(),
                myid.trim()
            ))
        })?;
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|source| Error::Io {
        path: config_path.to_path_buf(),
        source,
    })?;
    runtime.block_on(async {
        let address = format!("{}:{}", config.client_port_address, config.client_port);
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
        tracing::info!(
            "zookeeper (kafkalab labs 08-09) listening on {local}, myid {}",
            config.myid
        );
        // Lab 09: recover every acknowledged write from dataDir, and log new ones before
        // answering them.
        let (server, journal) =
            lab09_persistence::store::recover(&config, lab08_znodes::cnxn_factory::now_ms())
                .map_err(|e| Error::Tool(e.to_string()))?;
        let shared = Shared::with_server(config, server, Some(Box::new(journal)));
        // A line a script or test can wait for, whatever the log level.
        println!("kafkalab zookeeper started on {local}");
        serve(listener, shared.clone(), shutdown_signal()).await;
        if shared.failed.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Tool(
                "stopped: the transaction log could not be written (see the log above)".into(),
            ));
        }
        Ok(())
    })
}
