//! The one error type of the kafkalab library, with messages that say what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the course manifest {path} is not valid: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("no kafkalab workspace here: run this inside the kafkalab repository or a workbook (a folder with labs/labs.yaml), or pass --workspace DIR")]
    NoWorkspace,
    #[error("there is no lab `{0}`; `cargo lab labs` lists them")]
    UnknownLab(String),
    #[error("lab {lab} has no step {step}; `cargo lab check {lab}` lists its steps")]
    UnknownStep { lab: u32, step: u32 },
    #[error("lab {lab} has no hints for step {step} yet")]
    NoHints { lab: u32, step: u32 },
    #[error("lab {0} is planned but not written yet")]
    PlannedLab(u32),
    #[error("{path}:{line}: {reason}")]
    Region {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{0} is not empty: a workbook is written only into a new or empty folder, so nothing of yours is overwritten")]
    NotEmpty(PathBuf),
    #[error(
        "{0} is a workbook already: its solutions are todo!()s, so a copy of it would have \
             nothing left to write. Make a new workbook from the kafkalab repository \
             (`cargo lab workbook DIR` there), or copy this folder to keep your work"
    )]
    WorkbookOfWorkbook(PathBuf),
    #[error("could not run `{command}`: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the progress file {path} is damaged ({reason}); delete it to start the record afresh"
    )]
    Progress { path: PathBuf, reason: String },
    #[error("{0}")]
    Verify(String),
    #[error(transparent)]
    Topology(#[from] crate::topology::TopologyError),
    #[error("{0}")]
    Tool(String),
    /// `kafkalab cluster …`: a port in use, a cluster already up, Java missing, a server that
    /// did not come up; the message names the server and what to do.
    #[error("{0}")]
    Cluster(String),
    #[error("`kafkalab {command}` is run by kafkalab-tools, which was not found: {tried}.\n\
             Run it inside the kafkalab repository or your workbook (kafkalab then builds it with cargo), \
             build it with `cargo build --release -p kafkalab-tools` and put it next to kafkalab, \
             or set KAFKALAB_TOOLS to its path")]
    ToolsNotFound { command: String, tried: String },
}
