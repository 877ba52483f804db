//! One file per `kafkalab` subcommand; each takes parsed arguments and prints for a person.

pub mod bench;
pub mod check;
pub mod cluster;
pub mod hint;
pub mod labs;
pub mod loopback;
pub mod tools;
pub mod topology;
pub mod verify;
pub mod workbook;
