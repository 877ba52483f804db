//! The `kafkalab-tools` binary: parse the command line, run the server or tool, turn errors into
//! a message.

use std::process::ExitCode;

use clap::Parser;

use kafkalab_tools::cli::{Cli, Command};
use kafkalab_tools::commands::{self, kafka_tools as tools};

/// mimalloc instead of glibc's `malloc`. A broker reads each Fetch answer (up to
/// `max.partition.fetch.bytes`, 1 MiB) and each Produce request (up to `max.request.size`) into a
/// fresh buffer. glibc serves a block over 128 KiB with its own `mmap` and unmaps it on `free`,
/// and gives the top of its heap back to the kernel once 128 KiB lie free there; it raises both
/// limits by itself only after it has unmapped a large block. So how fast a broker served
/// consumers hung on what it had been sent before: after 1 MiB produce requests
/// `kafka-consumer-perf-test` read 11-16M records/s, after one 16 KiB batch a request 4.3-4.6M,
/// with a fifth of the broker's time in page faults, the kernel zeroing each buffer's 256 pages
/// anew (`kafkalab bench`). mimalloc keeps freed memory in the thread that freed it for the next
/// allocation, as a JVM broker allocates from the heap it reserved at start (`-Xmx`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn run(cli: Cli) -> Result<bool, kafkalab_tools::Error> {
    match &cli.command {
        Command::KafkaServerStart { config } => commands::kafka_server::run(config).map(|()| true),
        Command::ZookeeperServerStart { config } => {
            commands::zookeeper_server::run(config).map(|()| true)
        }
        Command::ZookeeperShell { server, command } => {
            commands::zookeeper_shell::run(server, command)
        }
        Command::ZookeeperClusterState { zookeeper, json } => {
            commands::cluster_state::run(zookeeper, *json)
        }
        Command::ZkBench(args) => commands::zk_bench::run(args),
        Command::KafkaTopics(args) => tools::topics::run(args),
        Command::KafkaConfigs(args) => tools::configs::run(args),
        Command::KafkaDeleteRecords(args) => tools::delete_records::run(args),
        Command::KafkaConsoleProducer(args) => tools::console_producer::run(args),
        Command::KafkaConsoleConsumer(args) => tools::console_consumer::run(args),
        Command::KafkaProducerPerfTest(args) => tools::producer_perf::run(args),
        Command::KafkaConsumerGroups(args) => tools::consumer_groups::run(args),
        Command::KafkaConsumerPerfTest(args) => tools::consumer_perf::run(args),
        Command::KafkaLeaderElection(args) => tools::leader_election::run(args),
        Command::KafkaDumpLog(args) => tools::dump_log::run(args),
    }
}

/// A command piped into `head` must stop quietly when `head` has read enough, as `cat` does.
/// Rust ignores SIGPIPE, so the next print finds the pipe closed and `println!` panics; this
/// hook turns that one panic into the exit status a process killed by SIGPIPE has (141).
fn exit_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    exit_quietly_on_closed_pipe();
    // Warnings show by default (an unknown server.properties key, a connection closed on a bad
    // request, a torn log tail cut off), as a Java server logs WARN unless told otherwise;
    // RUST_LOG chooses another level.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
