//! The command line: `kafkalab <command>`, parsed with clap.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::lang::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "kafkalab",
    version,
    about = "Learn Kafka by building it: labs, a lab runner and Kafka-style tools",
    after_help = crate::commands::tools::AFTER_HELP
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
        /// Also print everything the tests printed and the `cargo test` commands to rerun them.
        #[arg(short, long)]
        verbose: bool,
        /// The time limit per test, in seconds; a test that runs longer is stopped and reported.
        #[arg(
            long,
            value_name = "SECS",
            env = "KAFKALAB_TEST_TIMEOUT",
            default_value = "60"
        )]
        timeout: u64,
    },
    /// Show the next hint for the step you are on: a nudge, then the design, then a sketch.
    Hint {
        lab: String,
        /// The step to get a hint for; default: the first step that failed in your last `check`.
        #[arg(long)]
        step: Option<u32>,
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
    /// The install layouts (study: 3 VMs; book: 3 ZooKeeper + 3 Kafka) and each host's configs.
    #[command(subcommand)]
    Topology(crate::commands::topology::TopologyCommand),
    /// The slides' cluster on this machine: three ZooKeeper servers and three brokers on
    /// 127.0.0.1, started, watched, stopped and killed one by one.
    #[command(subcommand)]
    Cluster(crate::commands::cluster::ClusterCommand),
    /// Measure throughput and latency on this machine — loopback, our producer and consumer
    /// beside librdkafka's, end-to-end latency, zk-bench beside Debian's ZooKeeper — in one
    /// table, saved as JSON to compare runs.
    Bench {
        /// Small counts, to check that the command works; the figures mean nothing.
        #[arg(long)]
        quick: bool,
        /// 100-byte records per produce and consume measurement (default 2000000, 20000 quick).
        #[arg(long, value_name = "N")]
        records: Option<u64>,
        /// Where to save the figures as JSON.
        #[arg(long, value_name = "FILE", default_value = "kafkalab-bench.json")]
        json: PathBuf,
        /// An earlier run's JSON: the table then shows how each figure changed since.
        #[arg(long, value_name = "FILE")]
        compare: Option<PathBuf>,
    },
    /// Tools for course authors.
    #[command(subcommand)]
    Dev(DevCommand),
    /// `kafka-…`, `zookeeper-…`, `zk-bench`: run by kafkalab-tools with the arguments untouched
    /// (see `commands::tools` and the list after `--help`).
    #[command(external_subcommand)]
    Tool(Vec<OsString>),
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Check every lab: the reference passes, the workbook builds, the steps can be done in order.
    Verify {
        /// Check only this lab (its files and its step order), e.g. while fixing it.
        #[arg(long, value_name = "N")]
        lab: Option<u32>,
    },
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
