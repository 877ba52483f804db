//! One file per `kafkalab` subcommand; each takes parsed arguments and prints for a person.

pub mod check;
pub mod hint;
pub mod kafka_server;
pub mod kafka_tools;
pub mod labs;
pub mod loopback;
pub mod topology;
pub mod verify;
pub mod workbook;
pub mod zk_bench;
pub mod zookeeper_server;
pub mod zookeeper_shell;
