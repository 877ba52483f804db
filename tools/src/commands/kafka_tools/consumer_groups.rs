//! `kafkalab kafka-consumer-groups`: list, describe (members, committed offsets, lag), reset
//! offsets and delete groups, as `kafka-consumer-groups.sh`.

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    DeleteGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest, OffsetCommitRequest,
    OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use lab06_topics::client::cluster::Cluster;
use lab06_topics::client::connection::{check, BrokerConnection};
use lab06_topics::client::consumer::{Consumer, ConsumerConfig};
use lab07_consumer_groups::consumer_protocol::Assignment;

use crate::commands::kafka_tools::block_on;
use crate::error::Error;
use crate::kafka_cli::ConsumerGroupsArgs;

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

/// One row of `--describe`.
struct Row {
    topic: String,
    partition: i32,
    current: Option<i64>,
    log_end: i64,
    consumer: Option<(String, String, String)>,
}

async fn coordinator(cluster: &mut Cluster, group: &str) -> Result<BrokerConnection, Error> {
    let request = FindCoordinatorRequest::default()
        .with_key(s(group))
        .with_key_type(0);
    let response = cluster.any_connection().await?.call(&request).await?;
    check(
        format!("find the coordinator of {group}"),
        response.error_code,
        response.error_message.as_ref(),
    )?;
    Ok(BrokerConnection::connect(
        &format!("{}:{}", response.host, response.port),
        "kafka-consumer-groups",
        Duration::from_secs(30),
    )
    .await?)
}

/// (state, members as (member_id, host, client_id, assignment)).
type Described = (
    String,
    Vec<(String, String, String, Vec<(String, Vec<i32>)>)>,
);

async fn describe_group(c: &mut BrokerConnection, group: &str) -> Result<Described, Error> {
    let request = DescribeGroupsRequest::default().with_groups(vec![GroupId(s(group))]);
    let response = c.call(&request).await?;
    let g = response
        .groups
        .first()
        .ok_or_else(|| Error::Tool("DescribeGroups answered nothing".into()))?;
    check(format!("describe group {group}"), g.error_code, None)?;
    let members = g
        .members
        .iter()
        .map(|m| {
            let assignment = Assignment::decode(&m.member_assignment)
                .map(|a| a.partitions)
                .unwrap_or_default();
            (
                m.member_id.to_string(),
                m.client_host.to_string(),
                m.client_id.to_string(),
                assignment,
            )
        })
        .collect();
    Ok((g.group_state.to_string(), members))
}

async fn committed(
    c: &mut BrokerConnection,
    group: &str,
) -> Result<BTreeMap<(String, i32), i64>, Error> {
    let request = OffsetFetchRequest::default()
        .with_group_id(GroupId(s(group)))
        .with_topics(None);
    let response = c.call(&request).await?;
    check(
        format!("committed offsets of {group}"),
        response.error_code,
        None,
    )?;
    let mut out = BTreeMap::new();
    for t in &response.topics {
        for p in &t.partitions {
            if p.committed_offset >= 0 {
                out.insert(
                    (t.name.0.to_string(), p.partition_index),
                    p.committed_offset,
                );
            }
        }
    }
    Ok(out)
}

pub fn run(args: &ConsumerGroupsArgs) -> Result<bool, Error> {
    block_on(async {
        let timeout = Duration::from_secs(30);
        let mut cluster =
            Cluster::connect(&args.bootstrap_server, "kafka-consumer-groups", timeout).await?;
        if args.list {
            let response = cluster
                .any_connection()
                .await?
                .call(&ListGroupsRequest::default())
                .await?;
            check("list groups", response.error_code, None)?;
            let mut names: Vec<String> = response
                .groups
                .iter()
                .map(|g| g.group_id.0.to_string())
                .collect();
            names.sort();
            for n in names {
                println!("{n}");
            }
            return Ok(true);
        }
        let group = args
            .group
            .clone()
            .ok_or_else(|| Error::Tool("this action needs --group NAME".into()))?;
        let mut c = coordinator(&mut cluster, &group).await?;
        if args.describe {
            let (state, members) = describe_group(&mut c, &group).await?;
            let offsets = committed(&mut c, &group).await?;
            if state == "Dead" && offsets.is_empty() {
                eprintln!("Error: Consumer group '{group}' does not exist.");
                return Ok(false);
            }
            if members.is_empty() {
                println!("\nConsumer group '{group}' has no active members.");
            }
            let mut owner: BTreeMap<(String, i32), (String, String, String)> = BTreeMap::new();
            for (member, host, client, assignment) in &members {
                for (t, ps) in assignment {
                    for p in ps {
                        owner.insert(
                            (t.clone(), *p),
                            (member.clone(), host.clone(), client.clone()),
                        );
                    }
                }
            }
            let mut partitions: Vec<(String, i32)> =
                offsets.keys().chain(owner.keys()).cloned().collect();
            partitions.sort();
            partitions.dedup();
            let mut consumer = Consumer::connect(ConsumerConfig {
                bootstrap_servers: args.bootstrap_server.clone(),
                ..ConsumerConfig::default()
            })
            .await?;
            let mut rows = Vec::new();
            for (topic, partition) in partitions {
                let log_end = consumer.list_offset(&topic, partition, -1).await?;
                rows.push(Row {
                    current: offsets.get(&(topic.clone(), partition)).copied(),
                    consumer: owner.get(&(topic.clone(), partition)).cloned(),
                    topic,
                    partition,
                    log_end,
                });
            }
            println!();
            println!(
                "{:<15} {:<15} {:<10} {:<15} {:<15} {:<15} {:<50} {:<15} CLIENT-ID",
                "GROUP",
                "TOPIC",
                "PARTITION",
                "CURRENT-OFFSET",
                "LOG-END-OFFSET",
                "LAG",
                "CONSUMER-ID",
                "HOST",
            );
            for r in rows {
                let (current, lag) = match r.current {
                    Some(c) => (c.to_string(), (r.log_end - c).max(0).to_string()),
                    None => ("-".into(), "-".into()),
                };
                let (member, host, client) = r
                    .consumer
                    .unwrap_or_else(|| ("-".into(), "-".into(), "-".into()));
                println!(
                    "{:<15} {:<15} {:<10} {:<15} {:<15} {:<15} {:<50} {:<15} {}",
                    group, r.topic, r.partition, current, r.log_end, lag, member, host, client
                );
            }
            return Ok(true);
        }
        if args.delete {
            let response = c
                .call(&DeleteGroupsRequest::default().with_groups_names(vec![GroupId(s(&group))]))
                .await?;
            for r in &response.results {
                check(format!("delete group {group}"), r.error_code, None)?;
            }
            println!("Deletion of requested consumer groups ('{group}') was successful.");
            return Ok(true);
        }
        if args.reset_offsets {
            let (state, _) = describe_group(&mut c, &group).await?;
            if state != "Empty" && state != "Dead" {
                return Err(Error::Tool(format!(
                    "Assignments can only be reset if the group '{group}' is inactive, but the current state is {state}."
                )));
            }
            let topic = args
                .topic
                .clone()
                .ok_or_else(|| Error::Tool("--reset-offsets needs --topic NAME".into()))?;
            let mut consumer = Consumer::connect(ConsumerConfig {
                bootstrap_servers: args.bootstrap_server.clone(),
                ..ConsumerConfig::default()
            })
            .await?;
            let partitions = consumer.partitions(&topic).await?;
            if partitions.is_empty() {
                return Err(Error::Tool(format!("topic {topic} does not exist")));
            }
            let mut new = Vec::new();
            for p in partitions {
                let offset = if args.to_earliest {
                    consumer.list_offset(&topic, p, -2).await?
                } else if args.to_latest {
                    consumer.list_offset(&topic, p, -1).await?
                } else if let Some(o) = args.to_offset {
                    // Kafka clamps a target outside the log to its start or end.
                    let (start, end) = (
                        consumer.list_offset(&topic, p, -2).await?,
                        consumer.list_offset(&topic, p, -1).await?,
                    );
                    o.clamp(start, end)
                } else {
                    return Err(Error::Tool(
                        "say where to: --to-earliest, --to-latest or --to-offset N".into(),
                    ));
                };
                new.push((p, offset));
            }
            println!(
                "\n{:<30} {:<30} {:<10} {:<15}",
                "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"
            );
            for (p, o) in &new {
                println!("{:<30} {:<30} {:<10} {:<15}", group, topic, p, o);
            }
            if !args.execute {
                eprintln!("(dry run: add --execute to commit these offsets)");
                return Ok(true);
            }
            let request = OffsetCommitRequest::default()
                .with_group_id(GroupId(s(&group)))
                .with_generation_id_or_member_epoch(-1)
                .with_member_id(s(""))
                .with_retention_time_ms(-1)
                .with_topics(vec![OffsetCommitRequestTopic::default()
                    .with_name(TopicName(s(&topic)))
                    .with_partitions(
                        new.iter()
                            .map(|(p, o)| {
                                OffsetCommitRequestPartition::default()
                                    .with_partition_index(*p)
                                    .with_committed_offset(*o)
                                    .with_committed_leader_epoch(-1)
                                    .with_committed_metadata(Some(s("")))
                            })
                            .collect(),
                    )]);
            let response = c.call(&request).await?;
            for t in &response.topics {
                for p in &t.partitions {
                    check(
                        format!("reset {}-{}", t.name.0, p.partition_index),
                        p.error_code,
                        None,
                    )?;
                }
            }
            return Ok(true);
        }
        Err(Error::Tool(
            "say what to do: --list, --describe, --reset-offsets or --delete".into(),
        ))
    })
}
