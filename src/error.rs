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
    #[error("there is no lab `{0}`; `kafkalab labs` lists them")]
    UnknownLab(String),
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
    #[error(transparent)]
    Broker(#[from] lab05_broker::Error),
    #[error(transparent)]
    Kafka(#[from] lab06_topics::Error),
    #[error(transparent)]
    Groups(#[from] lab07_consumer_groups::Error),
    #[error("{0}")]
    Tool(String),
}
