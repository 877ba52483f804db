//! The command lines of the Kafka-style tools, with the flag names of Kafka's own scripts so
//! that the commands of the slides and the book carry over: `kafka-topics.sh --create …`
//! becomes `kafkalab kafka-topics --create …`.

use clap::Args;

/// `key=value`, as `--property`, `--config` and `--producer-props` take them.
pub fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not key=value"))
}

/// `--replica-assignment`: the replicas of each partition, partition 0 first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaAssignment(pub Vec<Vec<i32>>);

/// `1:2,2:3,3:1` as Kafka 2.6's `TopicCommand.parseReplicaAssignment` reads it: partitions split
/// by commas, broker ids by colons, no broker twice in a partition, every partition as many
/// replicas as the first.
pub fn replica_assignment(s: &str) -> Result<ReplicaAssignment, String> {
    let mut partitions: Vec<Vec<i32>> = Vec::new();
    for (i, list) in s.split(',').enumerate() {
        let replicas = list
            .split(':')
            .map(|id| {
                id.trim()
                    .parse::<i32>()
                    .map_err(|_| format!("partition {i}: `{id}` is not a broker id (in `{s}`)"))
            })
            .collect::<Result<Vec<i32>, String>>()?;
        let mut seen = replicas.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != replicas.len() {
            return Err(format!(
                "partition {i}: replica lists may not contain duplicate entries: {list}"
            ));
        }
        if let Some(first) = partitions.first() {
            if first.len() != replicas.len() {
                return Err(format!(
                    "partition {i} has a different replication factor: {list}"
                ));
            }
        }
        partitions.push(replicas);
    }
    Ok(ReplicaAssignment(partitions))
}

#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// The broker(s) to talk to: host:port[,host:port...].
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap_server: Option<String>,
    /// Kafka 2.x also accepted ZooKeeper here; these tools talk to brokers only.
    #[arg(long, hide = true)]
    pub zookeeper: Option<String>,
    /// Create a topic.
    #[arg(long, group = "action")]
    pub create: bool,
    /// List all topics.
    #[arg(long, group = "action")]
    pub list: bool,
    /// Describe a topic (all topics without --topic).
    #[arg(long, group = "action")]
    pub describe: bool,
    /// Delete a topic.
    #[arg(long, group = "action")]
    pub delete: bool,
    /// Add partitions to a topic: --alter --topic T --partitions N (N is the new total).
    #[arg(long, group = "action")]
    pub alter: bool,
    #[arg(long)]
    pub topic: Option<String>,
    /// Partitions of a new topic (default: the broker's num.partitions); with --alter, the
    /// new partition count.
    #[arg(long)]
    pub partitions: Option<i32>,
    /// Replicas per partition (default: the broker's default.replication.factor).
    #[arg(long)]
    pub replication_factor: Option<i16>,
    /// A topic setting, e.g. --config retention.ms=60000; repeat for more.
    #[arg(long = "config", value_parser = key_value)]
    pub configs: Vec<(String, String)>,
    /// With --create: each partition's replicas, the first one its preferred leader; `1:2,2:3`
    /// is two partitions of two replicas. Not with --partitions or --replication-factor.
    #[arg(long, value_parser = replica_assignment, conflicts_with_all = ["partitions", "replication_factor"])]
    pub replica_assignment: Option<ReplicaAssignment>,
    /// With --create: no error if the topic exists.
    #[arg(long)]
    pub if_not_exists: bool,
    /// With --delete or --alter: no error if the topic does not exist.
    #[arg(long)]
    pub if_exists: bool,
    /// With --describe: only partitions whose ISR is smaller than their replicas (lab 12).
    #[arg(long)]
    pub under_replicated_partitions: bool,
    /// With --describe: only partitions without a leader.
    #[arg(long)]
    pub unavailable_partitions: bool,
}

#[derive(Debug, Args)]
pub struct ConsoleProducerArgs {
    #[arg(
        long,
        value_name = "HOST:PORT",
        required_unless_present = "broker_list"
    )]
    pub bootstrap_server: Option<String>,
    /// The Kafka 2.x name of --bootstrap-server.
    #[arg(long, value_name = "HOST:PORT")]
    pub broker_list: Option<String>,
    #[arg(long)]
    pub topic: String,
    /// Reader settings: parse.key=true, key.separator=: (default a tab), ignore.error=true.
    #[arg(long = "property", value_parser = key_value)]
    pub properties: Vec<(String, String)>,
    /// A producer setting: acks, batch.size, linger.ms, compression.type, client.id,
    /// enable.idempotence, retries.
    #[arg(long = "producer-property", value_parser = key_value)]
    pub producer_properties: Vec<(String, String)>,
    /// A file of producer settings (Java properties); --producer-property overrides it.
    #[arg(long = "producer.config", value_name = "FILE")]
    pub producer_config: Option<std::path::PathBuf>,
    /// acks (Kafka's console producer defaults to 1).
    #[arg(long, default_value = "1", allow_hyphen_values = true)]
    pub request_required_acks: String,
    /// compression.type: none, gzip, snappy, lz4, zstd.
    #[arg(long)]
    pub compression_codec: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConsoleConsumerArgs {
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap_server: String,
    #[arg(long)]
    pub topic: String,
    /// Start from the oldest record instead of only new ones.
    #[arg(long)]
    pub from_beginning: bool,
    /// Exit after this many records.
    #[arg(long)]
    pub max_messages: Option<u64>,
    /// Read as a member of this consumer group: share the partitions with its other members
    /// and commit progress, so a restart goes on where the group left off.
    #[arg(long, conflicts_with_all = ["partition", "offset"])]
    pub group: Option<String>,
    /// Read only this partition.
    #[arg(long)]
    pub partition: Option<i32>,
    /// With --partition: earliest, latest or an offset.
    #[arg(long, allow_hyphen_values = true)]
    pub offset: Option<String>,
    /// Exit when no record arrives for this long.
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Formatter settings: print.key, print.partition, print.offset, print.timestamp,
    /// print.headers (true/false), key.separator, line.separator.
    #[arg(long = "property", value_parser = key_value)]
    pub properties: Vec<(String, String)>,
    /// Consumer settings: fetch.min.bytes, fetch.max.wait.ms, max.partition.fetch.bytes, client.id.
    #[arg(long = "consumer-property", value_parser = key_value)]
    pub consumer_properties: Vec<(String, String)>,
    /// A file of consumer settings (Java properties); --consumer-property overrides it.
    #[arg(long = "consumer.config", value_name = "FILE")]
    pub consumer_config: Option<std::path::PathBuf>,
    /// How to print each record: a Kafka formatter class, e.g.
    /// kafka.coordinator.transaction.TransactionLog$TransactionLogMessageFormatter.
    #[arg(long, value_name = "CLASS")]
    pub formatter: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProducerPerfArgs {
    #[arg(long)]
    pub topic: String,
    #[arg(long)]
    pub num_records: u64,
    /// Bytes per record (random uppercase letters, as Kafka's tool sends).
    #[arg(long)]
    pub record_size: usize,
    /// Records per second at most; -1 for no limit.
    #[arg(long, allow_hyphen_values = true)]
    pub throughput: f64,
    /// Producer settings, bootstrap.servers among them: --producer-props bootstrap.servers=H:P acks=1.
    #[arg(long, num_args = 1.., value_parser = key_value)]
    pub producer_props: Vec<(String, String)>,
    /// Seed of the payload and the partitioner, printed so a run can be repeated.
    #[arg(long)]
    pub seed: Option<u64>,
    /// At the end, print the producer's metrics (requests, batches, records per request).
    #[arg(long)]
    pub print_metrics: bool,
}

#[derive(Debug, Args)]
pub struct ConsumerPerfArgs {
    #[arg(
        long,
        value_name = "HOST:PORT",
        required_unless_present = "broker_list"
    )]
    pub bootstrap_server: Option<String>,
    /// The Kafka 2.x name of --bootstrap-server.
    #[arg(long)]
    pub broker_list: Option<String>,
    #[arg(long)]
    pub topic: String,
    /// How many records to read.
    #[arg(long)]
    pub messages: u64,
    /// Give up when no record arrives for this long.
    #[arg(long, default_value = "10000")]
    pub timeout: u64,
    /// max.partition.fetch.bytes.
    #[arg(long, default_value = "1048576")]
    pub fetch_size: i32,
    /// Print a line per interval instead of only the total.
    #[arg(long)]
    pub show_detailed_stats: bool,
    #[arg(long, default_value = "5000")]
    pub reporting_interval: u64,
    /// Start at the end of each partition instead of the beginning.
    #[arg(long)]
    pub from_latest: bool,
    /// Leave out the header line.
    #[arg(long)]
    pub hide_header: bool,
}

#[derive(Debug, Args)]
pub struct ConsumerGroupsArgs {
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap_server: String,
    /// List every group.
    #[arg(long, group = "action")]
    pub list: bool,
    /// Members, committed offsets, log end offsets and lag of --group.
    #[arg(long, group = "action")]
    pub describe: bool,
    /// Delete --group (it must have no members) and its committed offsets.
    #[arg(long, group = "action")]
    pub delete: bool,
    /// Move --group's committed offsets of --topic (the group must be inactive).
    #[arg(long, group = "action")]
    pub reset_offsets: bool,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub topic: Option<String>,
    #[arg(long, group = "target")]
    pub to_earliest: bool,
    #[arg(long, group = "target")]
    pub to_latest: bool,
    #[arg(long, group = "target")]
    pub to_offset: Option<i64>,
    /// Commit the new offsets (without it, --reset-offsets only shows them).
    #[arg(long)]
    pub execute: bool,
    /// Only show the new offsets (the default).
    #[arg(long)]
    pub dry_run: bool,
}

/// `kafka-configs`: describe and change the settings of a topic or a broker.
#[derive(Debug, Args)]
pub struct ConfigsArgs {
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap_server: String,
    /// topics or brokers (Kafka also knows users, clients and broker-loggers).
    #[arg(long)]
    pub entity_type: String,
    /// The topic's name or the broker's id; without it, --describe shows every one.
    #[arg(long)]
    pub entity_name: Option<String>,
    /// The same as --entity-type brokers --entity-name ID.
    #[arg(long, conflicts_with_all = ["entity_name"])]
    pub entity_default: bool,
    /// Show the entity's dynamic settings (with --all: every setting).
    #[arg(long, group = "action")]
    pub describe: bool,
    /// Change settings: --add-config and --delete-config.
    #[arg(long, group = "action")]
    pub alter: bool,
    /// With --describe: every setting, not only the changed ones.
    #[arg(long)]
    pub all: bool,
    /// k1=v1,k2=v2; a value with commas in square brackets: k=[a,b].
    #[arg(long)]
    pub add_config: Option<String>,
    /// k1,k2: remove these overrides.
    #[arg(long, value_delimiter = ',')]
    pub delete_config: Vec<String>,
}

/// `kafka-delete-records`: delete the records of partitions below the offsets a JSON file gives.
#[derive(Debug, Args)]
pub struct DeleteRecordsArgs {
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap_server: String,
    /// {"partitions":[{"topic":"foo","partition":1,"offset":1}],"version":1}; offset -1 means
    /// the high watermark.
    #[arg(long)]
    pub offset_json_file: std::path::PathBuf,
    /// Accepted for Kafka's command line; these tools take no client settings file.
    #[arg(long)]
    pub command_config: Option<std::path::PathBuf>,
}

/// `kafka-leader-election`'s arguments (Kafka 2.6's `LeaderElectionCommand`).
#[derive(Debug, Args)]
pub struct LeaderElectionArgs {
    /// The broker(s) to talk to: host:port[,host:port...].
    #[arg(long, value_name = "HOST:PORT")]
    pub bootstrap_server: String,
    /// preferred (unclean is accepted on the wire but not carried out by these brokers).
    #[arg(long, value_name = "preferred|unclean")]
    pub election_type: String,
    /// Elect for every partition of the cluster.
    #[arg(long)]
    pub all_topic_partitions: bool,
    #[arg(long)]
    pub topic: Option<String>,
    #[arg(long)]
    pub partition: Option<i32>,
}

#[derive(Debug, Args)]
pub struct DumpLogArgs {
    /// The files to dump, comma-separated: .log, .snapshot, .index, .timeindex, .txnindex.
    #[arg(long, required = true, value_delimiter = ',')]
    pub files: Vec<String>,
    /// Print each record's key and payload (implies --deep-iteration).
    #[arg(long)]
    pub print_data_log: bool,
    /// Print each record of a .log, not only each batch.
    #[arg(long)]
    pub deep_iteration: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_assignment_reads_as_kafkas_topic_command() {
        assert_eq!(
            replica_assignment("1:2, 2:3,3:1"),
            Ok(ReplicaAssignment(vec![vec![1, 2], vec![2, 3], vec![3, 1]]))
        );
        assert_eq!(
            replica_assignment("3,2"),
            Ok(ReplicaAssignment(vec![vec![3], vec![2]]))
        );
        let err = |s| replica_assignment(s).unwrap_err();
        assert!(err("1:1").contains("duplicate entries"), "{}", err("1:1"));
        assert!(err("1:2,3").contains("partition 1 has a different replication factor"));
        assert!(
            err("1:x").contains("`x` is not a broker id"),
            "{}",
            err("1:x")
        );
    }
}
