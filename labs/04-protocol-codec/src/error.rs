//! The one error type of lab 04: what can be wrong with bytes from a client.

/// A request that cannot be read. The broker answers what it can (UNSUPPORTED_VERSION for an
/// ApiVersions it does not know) and otherwise closes that one connection with a log line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not enough bytes for {what}: need {needed}, have {available}")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("a request of {size} bytes is larger than socket.request.max.bytes ({max}); closing the connection")]
    FrameTooLarge { size: i64, max: usize },
    #[error("a negative {what} ({value}): the bytes are not a Kafka request")]
    NegativeLength { what: &'static str, value: i64 },
    #[error("a string is not UTF-8")]
    NotUtf8,
    #[error("a non-nullable {what} is null")]
    UnexpectedNull { what: &'static str },
    #[error("a varint: {0}")]
    Varint(#[from] lab01_record_batch::Error),
    #[error("a request with API key {key} is not a {expected} request")]
    OtherApi { expected: &'static str, key: i16 },
    #[error("{extra} bytes are left after the request body: the version or the message is wrong")]
    TrailingBytes { extra: usize },
}

pub type Result<T> = std::result::Result<T, Error>;
