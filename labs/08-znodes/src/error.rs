//! The one error type of lab 08: what can be wrong with bytes from a client, or a config.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not enough bytes for {what}: need {needed}, have {available}")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("{what} of length {len}: not a ZooKeeper request")]
    BadLength { what: &'static str, len: i32 },
    #[error("a string is not UTF-8")]
    NotUtf8,
    #[error("{what} is null where it may not be")]
    UnexpectedNull { what: &'static str },
    #[error("unknown operation type {0}")]
    UnknownOp(i32),
    #[error("a node names ACL list {0}, which the snapshot's ACL map does not hold")]
    UnknownAcl(i64),
    #[error("unknown error code {0}")]
    UnknownCode(i32),
    #[error(
        "a request of {size} bytes is larger than jute.maxbuffer ({max}); closing the connection"
    )]
    FrameTooLarge { size: i64, max: usize },
}

pub type Result<T> = std::result::Result<T, Error>;
