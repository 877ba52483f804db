//! The one error type of lab 09.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: a damaged record at byte {at} in the middle of the log ({reason}); later logs exist, so it cannot be cut off — restore the file or remove it and the later ones")]
    CorruptLog {
        path: String,
        at: u64,
        reason: String,
    },
    #[error("{path}: byte {at} holds a whole record this server cannot read ({reason}); it may have been acknowledged, so it is not cut off — read the log with ZooKeeper's TxnLogToolkit")]
    UnreadableRecord {
        path: String,
        at: u64,
        reason: String,
    },
    #[error("{path}: {reason}")]
    BadRecord { path: String, reason: String },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Names the file and what was being done to it in an I/O error.
pub fn io(op: &'static str, path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.display().to_string();
    move |source| Error::Io { op, path, source }
}
