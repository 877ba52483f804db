//! The one error type of lab 05.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("server.properties line {line}: {key}: {reason}")]
    Config {
        line: usize,
        key: String,
        reason: String,
    },
    #[error("log: {0}")]
    Log(#[from] lab03_partition_log::Error),
    #[error("protocol: {0}")]
    Protocol(#[from] lab04_protocol_codec::Error),
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;
