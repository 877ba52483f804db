//! # kafkalab-tools
//!
//! The servers and tools built from the labs, apart from the course runner (`kafkalab`) so that
//! a lab that does not compile yet never stops `kafkalab labs`, `hint` or `check`. The runner
//! passes `kafkalab kafka-…`, `kafkalab zookeeper-…` and `kafkalab zk-bench` here.
//!
//! # Layout
//! - `cli` — the command line (clap). Start here to see every command.
//! - `commands/` — one file per command: `kafka_server` (lab 05-07's broker), `zookeeper_server`
//!   (lab 08-09's coordinator), `zookeeper_shell`, `zk_bench`, and `kafka_tools/` (topics,
//!   console producer and consumer, consumer groups, the two perf tests).
//! - `kafka_cli` — the flags of the Kafka tools, named as Kafka's own scripts name them.
//! - `error` — the error type.

pub mod cli;
pub mod commands;
pub mod error;
pub mod kafka_cli;

pub use error::Error;
