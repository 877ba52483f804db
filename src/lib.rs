//! # kafkalab
//!
//! The library behind the `kafkalab` command: the course runner. It depends on no lab, so a
//! learner's half-written lab never stops `labs`, `hint` or `check`. The servers and Kafka tools,
//! which are built from the labs, are the `kafkalab-tools` crate (`tools/`); `kafkalab kafka-…`
//! passes them through to it (`commands/tools`).
//!
//! # Layout
//! - `cli` — the command line (clap). Start here to see every command.
//! - `commands/` — one file per subcommand: `labs`, `check`, `hint`, `workbook`, `verify`,
//!   `topology`, `cluster`, `loopback`, and `tools` (finding and running kafkalab-tools).
//! - `manifest` — `labs/labs.yaml`, the course map: labs, steps, hints.
//! - `regions` — solution regions in lab sources and their `todo!()` skeletons (pure text).
//! - `workbook` — writes a learner's copy of the workspace from the reference.
//! - `test_run/` — builds one lab's tests, runs each test binary under a time limit per test,
//!   and reads libtest's output and cargo's compiler messages.
//! - `text` — display widths (Hangul takes two columns) and fitting lines to 100 columns.
//! - `verify` — the author check: reference passes, every test fails on its skeleton.
//! - `step_order` — verify's step-order check: with steps < N solved, step N's tests fail
//!   and earlier ones pass; `step_switch` — regions as run-time switches, for that check.
//! - `cluster/` — `kafkalab cluster`: the slides' cluster as background processes on 127.0.0.1
//!   (plan the servers and configs from a topology, start, probe, signal).
//! - `topology` — the install layouts of vagrant/ and docker/ and each host's config files.
//! - `cargo_messages` — cargo's JSON messages: the compiler's errors with file and line.
//! - `progress` — the learner's record in `.kafkalab/progress.yaml`.
//! - `workspace`, `lang`, `error` — finding the workspace, the learner's language, the error type.

pub mod cargo_messages;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod error;
pub mod lang;
pub mod manifest;
pub mod progress;
pub mod regions;
pub mod step_order;
pub mod step_switch;
pub mod test_run;
pub mod text;
pub mod topology;
pub mod verify;
pub mod workbook;
pub mod workspace;

pub use error::Error;
