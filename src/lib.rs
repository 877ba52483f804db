//! # kafkalab
//!
//! The library behind the `kafkalab` command: the lab runner and, in later parts, the tools a
//! Kafka user expects.
//!
//! # Layout
//! - `cli` — the command line (clap). Start here to see every command.
//! - `commands/` — one file per subcommand: `labs`, `check`, `hint`, `workbook`, `verify`, `topology`.
//! - `manifest` — `labs/labs.yaml`, the course map: labs, steps, hints.
//! - `regions` — solution regions in lab sources and their `todo!()` skeletons (pure text).
//! - `workbook` — writes a learner's copy of the workspace from the reference.
//! - `test_run` — runs `cargo test` for one lab and reads libtest's output.
//! - `verify` — the author check: reference passes, every test fails on its skeleton.
//! - `topology` — the install layouts of vagrant/ and docker/ and each host's config files.
//! - `progress` — the learner's record in `.kafkalab/progress.yaml`.
//! - `workspace`, `lang`, `error` — finding the workspace, the learner's language, the error type.

pub mod cli;
pub mod commands;
pub mod error;
pub mod kafka_cli;
pub mod lang;
pub mod manifest;
pub mod progress;
pub mod regions;
pub mod test_run;
pub mod topology;
pub mod verify;
pub mod workbook;
pub mod workspace;

pub use error::Error;
