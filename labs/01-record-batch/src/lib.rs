//! # Lab 01 — record batches
//!
//! Kafka's on-disk and on-the-wire format for messages: the record batch v2 (magic 2). A
//! producer packs records into a batch, the broker writes that batch to its log as it came, and
//! a consumer reads the same bytes back. Learning this format is learning what "every message is
//! on local disk" means, byte by byte.
//!
//! # Layout
//! - `varint` — step 1: variable-length integers and zig-zag. Start here.
//! - `record` — step 2: one record and its headers.
//! - `attributes` — step 3: the batch attribute bits (compression, timestamp type, flags).
//! - `record_batch` — steps 3–5: the 61-byte header, encoding with CRC-32C, decoding, and the
//!   given `RecordBatchBuilder`, compressed batches (`decode_any`, `encode_compressed`) and the
//!   broker's `LogAppendTime` stamp (`set_log_append_time`).
//! - `compression` — given: gzip, snappy, lz4 and zstd over well-kept crates.
//! - `error` — the one error type: every way bytes can be wrong.

pub mod attributes;
pub mod compression;
pub mod error;
pub mod record;
pub mod record_batch;
pub mod varint;

pub use attributes::{BatchAttributes, Compression, TimestampType};
pub use error::{Error, Result};
pub use record::{Header, Record};
pub use record_batch::{
    set_base_offset, set_log_append_time, verify_crc, BatchHeader, RecordBatch, RecordBatchBuilder,
    BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC,
};
