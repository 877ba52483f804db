//! One file per `kafkalab-tools` command; each takes parsed arguments and prints for a person.

pub mod cluster_state;
pub mod kafka_server;
pub mod kafka_tools;
pub mod server_start;
pub mod zk_bench;
pub mod zookeeper_server;
pub mod zookeeper_shell;
