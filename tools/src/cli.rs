//! The command line of `kafkalab-tools`, parsed with clap. The runner (`kafkalab`) passes every
//! `kafka-…`, `zookeeper-…` and `zk-bench` command here with its arguments untouched, so
//! `kafkalab kafka-topics --list …` and `kafkalab-tools kafka-topics --list …` are the same.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kafkalab-tools",
    version,
    about = "kafkalab's servers and Kafka/ZooKeeper tools, built from the labs (05-09)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a broker (the one your labs 01-07 build) from a Kafka server.properties file.
    #[command(name = "kafka-server-start")]
    KafkaServerStart {
        /// server.properties, with Kafka's keys (broker.id, listeners, log.dirs, ...).
        config: PathBuf,
    },
    /// Start the coordinator of lab 08 from a ZooKeeper zoo.cfg (zookeeper-server-start.sh).
    #[command(name = "zookeeper-server-start")]
    ZookeeperServerStart {
        /// zoo.cfg, with ZooKeeper's keys (tickTime, dataDir, clientPort, ...).
        config: PathBuf,
    },
    /// Browse and change a ZooKeeper's znodes: ls, get, stat, create, set, delete, deleteall
    /// (zookeeper-shell.sh); one command and exit, or interactive without one.
    #[command(name = "zookeeper-shell")]
    ZookeeperShell {
        /// The server, HOST:PORT.
        server: String,
        /// A command and its arguments, e.g. `ls /`; none for the interactive shell.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// What ZooKeeper says about a Kafka cluster (lab 11's znodes): the controller, the
    /// registered brokers, each partition's leader, replicas and ISR — readable while every
    /// broker is down.
    #[command(name = "zookeeper-cluster-state")]
    ZookeeperClusterState {
        /// Kafka's zookeeper.connect: HOST:PORT[,HOST:PORT…][/chroot].
        #[arg(long)]
        zookeeper: String,
        /// Print one JSON object instead of kafka-topics' lines.
        #[arg(long)]
        json: bool,
    },
    /// Load a ZooKeeper with creates, setData, getData and deletes from many sessions; print
    /// ops/s and latency percentiles (ours or a real one alike).
    #[command(name = "zk-bench")]
    ZkBench(crate::commands::zk_bench::ZkBenchArgs),
    /// Create, list, describe, alter and delete topics (kafka-topics.sh).
    #[command(name = "kafka-topics")]
    KafkaTopics(crate::kafka_cli::TopicsArgs),
    /// Describe and change the settings of a topic or a broker (kafka-configs.sh).
    #[command(name = "kafka-configs")]
    KafkaConfigs(crate::kafka_cli::ConfigsArgs),
    /// Delete a partition's records below an offset (kafka-delete-records.sh).
    #[command(name = "kafka-delete-records")]
    KafkaDeleteRecords(crate::kafka_cli::DeleteRecordsArgs),
    /// Send each line of standard input as a record (kafka-console-producer.sh).
    #[command(name = "kafka-console-producer")]
    KafkaConsoleProducer(crate::kafka_cli::ConsoleProducerArgs),
    /// Print a topic's records (kafka-console-consumer.sh).
    #[command(name = "kafka-console-consumer")]
    KafkaConsoleConsumer(crate::kafka_cli::ConsoleConsumerArgs),
    /// List, describe, reset and delete consumer groups (kafka-consumer-groups.sh).
    #[command(name = "kafka-consumer-groups")]
    KafkaConsumerGroups(crate::kafka_cli::ConsumerGroupsArgs),
    /// Measure producing: records/s, MB/s, latency percentiles (kafka-producer-perf-test.sh).
    #[command(name = "kafka-producer-perf-test")]
    KafkaProducerPerfTest(crate::kafka_cli::ProducerPerfArgs),
    /// Measure consuming: records/s and MB/s (kafka-consumer-perf-test.sh).
    #[command(name = "kafka-consumer-perf-test")]
    KafkaConsumerPerfTest(crate::kafka_cli::ConsumerPerfArgs),
    /// Move leadership back to each partition's preferred replica (kafka-leader-election.sh).
    #[command(name = "kafka-leader-election")]
    KafkaLeaderElection(crate::kafka_cli::LeaderElectionArgs),
    /// Print a partition's files: batches and records, producer snapshots, indexes
    /// (kafka-dump-log.sh).
    #[command(name = "kafka-dump-log")]
    KafkaDumpLog(crate::kafka_cli::DumpLogArgs),
}
