//! The command line: `kafkalab <command>`, parsed with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::lang::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "kafkalab",
    version,
    about = "Learn Kafka by building it: labs, a lab runner and Kafka-style tools"
)]
pub struct Cli {
    /// The kafkalab workspace (the repository or a workbook); default: the one around the current folder.
    #[arg(long, global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Language of the output; default from KAFKALAB_LANG, LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The course table: every lab, the slide topic it teaches, and your status.
    Labs,
    /// Run a lab's tests (every lab without LAB), show each step's result and record progress.
    Check {
        /// Lab number, e.g. 2 or 02.
        lab: Option<String>,
    },
    /// Show the next hint for a lab: a nudge, then the design, then a sketch.
    Hint {
        lab: String,
        /// Show this tier (1 nudge, 2 design, 3 sketch) instead of the next one.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
        level: Option<u8>,
    },
    /// Write your own copy of the workspace with the labs from LAB on left for you to write.
    Workbook {
        /// A new or empty folder.
        dir: PathBuf,
        /// The first lab to leave as a skeleton; earlier labs stay solved.
        #[arg(long, default_value = "1")]
        from: String,
    },
    /// Start a broker (the labs' reference broker) from a Kafka server.properties file.
    #[command(name = "kafka-server-start")]
    KafkaServerStart {
        /// server.properties, with Kafka's keys (broker.id, listeners, log.dirs, ...).
        config: PathBuf,
    },
    /// Start the coordinator of lab 08 from a ZooKeeper zoo.cfg (zookeeper-server-start.sh).
    #[command(name = "zookeeper-server-start")]
    ZookeeperServerStart {
        /// zoo.cfg, with ZooKeeper's keys (tickTime, dataDir, clientPort, ...).
        config: std::path::PathBuf,
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
    /// Load a ZooKeeper with creates, setData, getData and deletes from many sessions; print
    /// ops/s and latency percentiles (ours or a real one alike).
    #[command(name = "zk-bench")]
    ZkBench(crate::commands::zk_bench::ZkBenchArgs),
    /// Create, list, describe and delete topics (kafka-topics.sh).
    #[command(name = "kafka-topics")]
    KafkaTopics(crate::kafka_cli::TopicsArgs),
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
    /// The install layouts (study: 3 VMs; book: 3 ZooKeeper + 3 Kafka) and each host's configs.
    #[command(subcommand)]
    Topology(crate::commands::topology::TopologyCommand),
    /// Tools for course authors.
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Check every lab: the reference passes, the workbook builds, every test fails on its skeleton.
    Verify,
    /// Raw TCP throughput over 127.0.0.1: the ceiling to compare the perf tests' MB/s with.
    LoopbackThroughput {
        /// How many MiB to send.
        #[arg(long, default_value = "2048")]
        mib: u64,
        /// Bytes per write.
        #[arg(long, default_value = "65536")]
        chunk: usize,
    },
}
