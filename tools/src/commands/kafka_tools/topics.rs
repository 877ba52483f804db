//! `kafkalab kafka-topics`: create, list, describe, alter (add partitions) and delete topics, as
//! `kafka-topics.sh`.

use std::time::Duration;

use lab06_topics::client::admin::{AdminClient, NewTopic};

use crate::commands::kafka_tools::block_on;
use crate::error::Error;
use crate::kafka_cli::TopicsArgs;

pub fn run(args: &TopicsArgs) -> Result<bool, Error> {
    if args.zookeeper.is_some() {
        return Err(Error::Tool(
            "--zookeeper is gone (Kafka 3 removed it too): use --bootstrap-server HOST:9092".into(),
        ));
    }
    let bootstrap = args
        .bootstrap_server
        .clone()
        .ok_or_else(|| Error::Tool("give --bootstrap-server HOST:PORT".into()))?;
    let topic = || {
        args.topic
            .clone()
            .ok_or_else(|| Error::Tool("this action needs --topic NAME".into()))
    };
    block_on(async {
        let mut admin = AdminClient::connect(&bootstrap, Duration::from_secs(30)).await?;
        if args.create {
            let name = topic()?;
            // With an assignment, Kafka's admin client leaves both counts at −1: the broker
            // refuses a request that gives both.
            let new = NewTopic {
                name: name.clone(),
                partitions: args.partitions.unwrap_or(-1),
                replication_factor: args.replication_factor.unwrap_or(-1),
                configs: args.configs.clone(),
                assignments: args
                    .replica_assignment
                    .clone()
                    .map(|a| a.0)
                    .unwrap_or_default(),
            };
            match admin.create_topic(&new, false).await {
                Ok(()) => println!("Created topic {name}."),
                Err(lab06_topics::Error::Kafka { code: 36, .. }) if args.if_not_exists => {}
                Err(e) => return Err(e.into()),
            }
        } else if args.list {
            for name in admin.list_topics().await? {
                println!("{name}");
            }
        } else if args.describe {
            let names = match &args.topic {
                Some(t) => vec![t.clone()],
                None => admin.list_topics().await?,
            };
            // As Kafka 2.6's TopicCommand: with a filter, only the matching partitions'
            // lines, without the topic's summary line.
            let filtered = args.under_replicated_partitions || args.unavailable_partitions;
            for name in names {
                let d = admin.describe_topic(&name).await?;
                let rf = d.partitions.first().map_or(0, |p| p.replicas.len());
                let configs: Vec<String> =
                    d.configs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                if !filtered {
                    println!(
                        "Topic: {}\tPartitionCount: {}\tReplicationFactor: {rf}\tConfigs: {}",
                        d.name,
                        d.partitions.len(),
                        configs.join(",")
                    );
                }
                let list =
                    |ids: &[i32]| ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
                let shown = |p: &&lab06_topics::client::cluster::PartitionInfo| {
                    (!args.under_replicated_partitions || p.isr.len() < p.replicas.len())
                        && (!args.unavailable_partitions || p.leader < 0)
                };
                for p in d.partitions.iter().filter(shown) {
                    println!(
                        "\tTopic: {}\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}",
                        d.name,
                        p.partition,
                        p.leader,
                        list(&p.replicas),
                        list(&p.isr)
                    );
                }
            }
        } else if args.alter {
            let name = topic()?;
            if !args.configs.is_empty() {
                return Err(Error::Tool(
                    "--config cannot be used with --alter and --bootstrap-server (as in Kafka 2.6): \
                     change a topic's settings with kafka-configs --entity-type topics \
                     --entity-name NAME --alter --add-config k=v"
                        .into(),
                ));
            }
            let count = args.partitions.ok_or_else(|| {
                Error::Tool("--alter needs --partitions N, the new partition count".into())
            })?;
            // Kafka 2.6 prints nothing when the partitions were added.
            match admin.create_partitions(&name, count).await {
                Ok(()) => {}
                Err(lab06_topics::Error::Kafka { code: 3, .. }) if args.if_exists => {}
                Err(e) => return Err(e.into()),
            }
        } else if args.delete {
            match admin.delete_topic(&topic()?).await {
                Ok(()) => {}
                Err(lab06_topics::Error::Kafka { code: 3, .. }) if args.if_exists => {}
                Err(e) => return Err(e.into()),
            }
        } else {
            return Err(Error::Tool(
                "say what to do: --create, --list, --describe, --alter or --delete".into(),
            ));
        }
        Ok(true)
    })
}
