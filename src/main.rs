//! The `kafkalab` binary: parse the command line, run the command, turn errors into a message.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use kafkalab::cli::{Cli, Command, DevCommand};
use kafkalab::commands;
use kafkalab::lang::Lang;
use kafkalab::workspace;

fn run(cli: Cli) -> Result<bool, kafkalab::Error> {
    let lang = cli.lang.unwrap_or_else(Lang::from_env);
    if let Command::Dev(DevCommand::LoopbackThroughput { mib, chunk }) = &cli.command {
        return commands::loopback::run(*mib, *chunk).map(|()| true);
    }
    if let Command::Bench {
        quick,
        records,
        json,
        compare,
    } = &cli.command
    {
        let options = commands::bench::BenchOptions {
            quick: *quick,
            records: *records,
            json: json.clone(),
            compare: compare.clone(),
        };
        return commands::bench::run(cli.workspace.as_deref(), &options);
    }
    // The cluster runs anywhere: outside a workspace it uses the built-in topologies and a
    // kafkalab-tools next to kafkalab.
    if let Command::Cluster(command) = &cli.command {
        return commands::cluster::run(cli.workspace.as_deref(), command, lang);
    }
    let root = workspace::resolve(cli.workspace.as_deref())?;
    match cli.command {
        Command::Labs => commands::labs::run(&root, lang).map(|()| true),
        Command::Check {
            lab,
            verbose,
            timeout,
        } => {
            let options = commands::check::CheckOptions {
                verbose,
                limit: std::time::Duration::from_secs(timeout.max(1)),
            };
            commands::check::run(&root, lab.as_deref(), &options, lang)
        }
        Command::Hint { lab, step, level } => {
            commands::hint::run(&root, &lab, step, level.map(usize::from), lang).map(|()| true)
        }
        Command::Workbook { dir, from } => {
            commands::workbook::run(&root, &dir, &from, lang).map(|()| true)
        }
        Command::Topology(command) => commands::topology::run(&root, &command).map(|()| true),
        Command::Dev(DevCommand::Verify { lab }) => {
            commands::verify::run(&root, lab).map(|()| true)
        }
        Command::Dev(DevCommand::LoopbackThroughput { .. })
        | Command::Bench { .. }
        | Command::Cluster(_)
        | Command::Tool(_) => {
            unreachable!("handled in main")
        }
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
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Tool(args) = &cli.command {
        // The servers and tools need no workspace: they run wherever their config is. They are
        // another binary, kafkalab-tools, so that the runner itself builds without the labs.
        let name = args.first().map(|n| n.as_os_str()).unwrap_or_default();
        if !commands::tools::is_tool_command(name) {
            Cli::command()
                .error(
                    clap::error::ErrorKind::InvalidSubcommand,
                    format!(
                        "unrecognized subcommand '{}'; `kafkalab --help` lists the commands",
                        name.to_string_lossy()
                    ),
                )
                .exit();
        }
        return match commands::tools::run(cli.workspace.as_deref(), args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            let text = kafkalab::text::wrap(&format!("error: {e}"), kafkalab::text::MAX_WIDTH);
            eprintln!("{text}");
            ExitCode::FAILURE
        }
    }
}
