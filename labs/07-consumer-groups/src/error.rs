//! The one error type of lab 07.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("__consumer_offsets record at offset {offset}: {reason}")]
    OffsetRecord { offset: i64, reason: String },
    #[error("log: {0}")]
    Log(#[from] lab03_partition_log::Error),
    #[error("broker: {0}")]
    Broker(#[from] lab05_broker::Error),
    #[error("topics: {0}")]
    Topics(#[from] lab06_topics::Error),
    #[error("{0}")]
    Client(String),
}

pub type Result<T> = std::result::Result<T, Error>;
