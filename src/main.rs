//! The `kafkalab` binary: parse the command line, run the command, turn errors into a message.

use std::process::ExitCode;

use clap::Parser;

use kafkalab::cli::{Cli, Command, DevCommand};
use kafkalab::commands;
use kafkalab::lang::Lang;
use kafkalab::workspace;

fn run(cli: Cli) -> Result<bool, kafkalab::Error> {
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    if let Command::KafkaServerStart { config } = &cli.command {
        // The broker needs no kafkalab workspace: it runs wherever server.properties is.
        return commands::kafka_server::run(config).map(|()| true);
    }
    if let Command::ZkBench(args) = &cli.command {
        return commands::zk_bench::run(args);
    }
    if let Command::ZookeeperShell { server, command } = &cli.command {
        return commands::zookeeper_shell::run(server, command);
    }
    if let Command::ZookeeperServerStart { config } = &cli.command {
        return commands::zookeeper_server::run(config).map(|()| true);
    }
    // The Kafka tools need no workspace either: they talk to a broker.
    use commands::kafka_tools as tools;
    match &cli.command {
        Command::KafkaTopics(args) => return tools::topics::run(args),
        Command::KafkaConsoleProducer(args) => return tools::console_producer::run(args),
        Command::KafkaConsoleConsumer(args) => return tools::console_consumer::run(args),
        Command::KafkaProducerPerfTest(args) => return tools::producer_perf::run(args),
        Command::KafkaConsumerGroups(args) => return tools::consumer_groups::run(args),
        Command::KafkaConsumerPerfTest(args) => return tools::consumer_perf::run(args),
        _ => {}
    }
    if let Command::Dev(DevCommand::LoopbackThroughput { mib, chunk }) = &cli.command {
        return commands::loopback::run(*mib, *chunk).map(|()| true);
    }
    let root = workspace::resolve(cli.workspace.as_deref())?;
    match cli.command {
        Command::Labs => commands::labs::run(&root, lang).map(|()| true),
        Command::Check { lab } => commands::check::run(&root, lab.as_deref(), lang),
        Command::Hint { lab, level } => {
            commands::hint::run(&root, &lab, level.map(usize::from), lang).map(|()| true)
        }
        Command::Workbook { dir, from } => {
            commands::workbook::run(&root, &dir, &from, lang).map(|()| true)
        }
        Command::Topology(command) => commands::topology::run(&root, &command).map(|()| true),
        Command::KafkaServerStart { .. }
        | Command::ZookeeperServerStart { .. }
        | Command::ZookeeperShell { .. }
        | Command::ZkBench(_)
        | Command::KafkaTopics(_)
        | Command::KafkaConsoleProducer(_)
        | Command::KafkaConsoleConsumer(_)
        | Command::KafkaProducerPerfTest(_)
        | Command::KafkaConsumerGroups(_)
        | Command::KafkaConsumerPerfTest(_) => unreachable!("handled above"),
        Command::Dev(DevCommand::Verify) => commands::verify::run(&root).map(|()| true),
        Command::Dev(DevCommand::LoopbackThroughput { .. }) => unreachable!("handled above"),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
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
