//! `kafkalab kafka-leader-election --bootstrap-server B --election-type preferred
//! (--all-topic-partitions | --topic T --partition P)`: Kafka 2.6's `kafka-leader-election.sh`.
//! It finds the controller through Metadata and sends it ElectLeaders (lab 13), then prints
//! Kafka's lines: "Successfully completed leader election (PREFERRED) for partitions t-0",
//! "Valid replica already elected for partitions t-1", and one "Error completing leader
//! election" line per failed partition (exit status 1).

use std::time::Duration;

use lab06_topics::client::cluster::Cluster;
use lab13_failover::controller_client::send_elect_leaders;
use lab13_failover::messages::elect_leaders::{
    ElectLeadersRequest, TopicPartitions, ELECTION_NOT_NEEDED, ELECTION_TYPE_PREFERRED,
    ELECTION_TYPE_UNCLEAN,
};

use crate::commands::kafka_tools::block_on;
use crate::error::Error;
use crate::kafka_cli::LeaderElectionArgs;

/// Kafka's NOT_CONTROLLER (41): the broker asked is no longer the controller; ask again.
const NOT_CONTROLLER: i16 = 41;
const ATTEMPTS: usize = 5;

pub fn run(args: &LeaderElectionArgs) -> Result<bool, Error> {
    let (election_type, label) = match args.election_type.to_ascii_lowercase().as_str() {
        "preferred" => (ELECTION_TYPE_PREFERRED, "PREFERRED"),
        "unclean" => (ELECTION_TYPE_UNCLEAN, "UNCLEAN"),
        other => {
            return Err(Error::Tool(format!(
                "--election-type {other}: use preferred or unclean"
            )))
        }
    };
    let topic_partitions = match (args.all_topic_partitions, &args.topic, args.partition) {
        (true, None, None) => None,
        (false, Some(topic), Some(partition)) => Some(vec![TopicPartitions {
            topic: topic.clone(),
            partitions: vec![partition],
        }]),
        _ => {
            return Err(Error::Tool(
                "give --all-topic-partitions, or --topic and --partition".into(),
            ))
        }
    };
    let request = ElectLeadersRequest {
        election_type,
        topic_partitions,
        timeout_ms: 30_000,
    };
    let response = block_on(async {
        let timeout = Duration::from_secs(30);
        let mut cluster =
            Cluster::connect(&args.bootstrap_server, "kafka-leader-election", timeout)
                .await
                .map_err(|e| Error::Tool(e.to_string()))?;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            cluster
                .refresh(Some(&[]), false)
                .await
                .map_err(|e| Error::Tool(e.to_string()))?;
            let Some(address) = cluster.brokers.get(&cluster.controller_id).cloned() else {
                last = "no controller known yet".into();
                continue;
            };
            match send_elect_leaders(&address, &request).await {
                Ok(r) if r.error_code == NOT_CONTROLLER => last = "NOT_CONTROLLER".into(),
                Ok(r) => return Ok(r),
                Err(e) => last = e,
            }
        }
        Err(Error::Tool(format!("ElectLeaders failed: {last}")))
    })?;
    if response.error_code != 0 {
        return Err(Error::Tool(format!(
            "the controller refused ElectLeaders with error code {}",
            response.error_code
        )));
    }
    let (mut done, mut noop, mut failed) = (Vec::new(), Vec::new(), Vec::new());
    for topic in &response.replica_election_results {
        for p in &topic.partition_result {
            let name = format!("{}-{}", topic.topic, p.partition_id);
            match p.error_code {
                0 => done.push(name),
                ELECTION_NOT_NEEDED => noop.push(name),
                code => failed.push((name, code, p.error_message.clone())),
            }
        }
    }
    if !done.is_empty() {
        println!(
            "Successfully completed leader election ({label}) for partitions {}",
            done.join(", ")
        );
    }
    if !noop.is_empty() {
        println!(
            "Valid replica already elected for partitions {}",
            noop.join(", ")
        );
    }
    for (name, code, message) in &failed {
        println!(
            "Error completing leader election ({label}) for partition: {name}: {}",
            describe(*code, message.as_deref())
        );
    }
    Ok(failed.is_empty())
}

fn describe(code: i16, message: Option<&str>) -> String {
    let name = match code {
        3 => "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.",
        80 => "org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not available.",
        83 => "org.apache.kafka.common.errors.EligibleLeadersNotAvailableException: Eligible topic partition leaders are not available.",
        _ => "",
    };
    match (name, message) {
        ("", Some(m)) => format!("error code {code}: {m}"),
        ("", None) => format!("error code {code}"),
        (n, _) => n.to_string(),
    }
}
