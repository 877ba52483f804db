//! The one error type of lab 01. Every way bytes can be wrong has its own variant, so a test
//! (or a broker in a later lab) can tell a torn write from a flipped bit.

/// What went wrong while reading a record batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not enough bytes for {what}: need {needed}, have {available} (a torn write, or a length field that lies)")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("a varint runs past {max_bytes} bytes: the bytes are not a varint (or are corrupt)")]
    VarintTooLong { max_bytes: usize },
    #[error("a varint does not fit in {bits} bits")]
    VarintOverflow { bits: u32 },
    #[error("magic byte is {magic}, but only record batch format v2 (magic 2) is supported")]
    BadMagic { magic: i8 },
    #[error("the batch says its CRC-32C is {stored:#010x} but its bytes give {computed:#010x}: the batch is corrupt")]
    CrcMismatch { stored: u32, computed: u32 },
    #[error("invalid {field}: {value}")]
    InvalidLength { field: &'static str, value: i64 },
    #[error("compression codec {codec} is not one Kafka defines (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)")]
    UnknownCompression { codec: i16 },
    #[error("the records of a {codec} batch are compressed; this lab reads the records of uncompressed batches only (the broker stores compressed batches as they came)")]
    Compressed { codec: &'static str },
    #[error("cannot {codec}-(de)compress the records: {reason}")]
    Codec { codec: &'static str, reason: String },
    #[error("a header key is not UTF-8")]
    HeaderKeyNotUtf8,
    #[error("the batch holds {declared} records by its header but {found} by its bytes")]
    RecordCountMismatch { declared: i32, found: usize },
    #[error("{extra} bytes follow the last record: the batch length does not match its records")]
    TrailingBytes { extra: usize },
}

pub type Result<T> = std::result::Result<T, Error>;
