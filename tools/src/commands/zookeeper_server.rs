//! `kafkalab zookeeper-server-start zoo.cfg`: the coordinator of labs 08 and 09 — and with
//! `server.N` lines, a member of an ensemble (lab 10) — started the way Kafka's
//! `zookeeper-server-start.sh` starts ZooKeeper. Stops on Ctrl-C or SIGTERM.

use std::path::Path;

use lab08_znodes::cnxn_factory::{run as serve, Shared};
use lab08_znodes::config::ZooConfig;

use crate::commands::server_start::{bind, read_config, runtime, shutdown_signal};
use crate::error::Error;

pub fn run(config_path: &Path) -> Result<(), Error> {
    let text = read_config(config_path)?;
    let (mut config, warnings) = ZooConfig::parse(&text).map_err(Error::Tool)?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    // An ensemble needs two or more server.N lines (lab 10); with fewer, its keys do nothing.
    if let Some(w) = ensemble_warning(&config) {
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
    let runtime = runtime(config_path)?;
    if config.servers.len() > 1 {
        // Lab 10: server.N lines make this server one member of an ensemble.
        return runtime.block_on(async {
            println!(
                "kafkalab zookeeper started: ensemble member server.{} of {}",
                config.myid,
                config.servers.len()
            );
            lab10_ensemble::shell::run(config, shutdown_signal())
                .await
                .map_err(|e| Error::Tool(format!("stopped: {e}")))
        });
    }
    runtime.block_on(async {
        let address = format!("{}:{}", config.client_port_address, config.client_port);
        let (listener, local) = bind(address).await?;
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

/// The warning for an ensemble's keys (`server.N`, and `initLimit`/`syncLimit` set to other
/// than their defaults) in a zoo.cfg with fewer than two `server.N` lines: the server runs
/// standalone, as ZooKeeper does (`standaloneEnabled`), and they do nothing.
fn ensemble_warning(config: &ZooConfig) -> Option<String> {
    if config.servers.len() > 1 {
        return None;
    }
    let d = ZooConfig::default();
    let mut keys: Vec<String> = config
        .servers
        .iter()
        .map(|(id, _)| format!("`server.{id}`"))
        .collect();
    if config.init_limit != d.init_limit {
        keys.push("`initLimit`".into());
    }
    if config.sync_limit != d.sync_limit {
        keys.push("`syncLimit`".into());
    }
    (!keys.is_empty()).then(|| {
        format!(
            "zoo.cfg: {} not used: an ensemble needs two or more server.N lines (lab 10); this server runs standalone",
            match keys.len() {
                1 => format!("{} is", keys[0]),
                _ => format!("{} are", keys.join(", ")),
            }
        )
    })
}
