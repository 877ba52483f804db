//! The one error type of `kafkalab-tools`: the labs' errors, passed on, and the tools' own.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Broker(#[from] lab05_broker::Error),
    #[error(transparent)]
    Kafka(#[from] lab06_topics::Error),
    #[error(transparent)]
    Groups(#[from] lab07_consumer_groups::Error),
    #[error(transparent)]
    Cluster(#[from] lab11_controller::Error),
    #[error("{0}")]
    Tool(String),
}
