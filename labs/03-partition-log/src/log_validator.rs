//! What the log checks and changes in a producer's batch before it appends it (Kafka's
//! `LogValidator`), by the topic's settings. Given code: the lab's steps do not depend on it;
//! lab 05's partition calls it before every append as leader.
//!
//! - `max.message.bytes`: a bigger batch is refused (MESSAGE_TOO_LARGE).
//! - `cleanup.policy=compact`: every record needs a key, because compaction keeps the latest
//!   record *per key*; a keyless one is refused (INVALID_RECORD, "Compacted topic cannot accept
//!   message without key").
//! - `compression.type`: a batch in another codec is decompressed and compressed again with
//!   the topic's (`producer` keeps the producer's codec and the bytes as they came).
//! - `message.timestamp.type=LogAppendTime`: the batch is stamped with the broker's clock.

use lab01_record_batch::{
    set_log_append_time, BatchHeader, RecordBatch, TimestampType, LOG_OVERHEAD,
};

use crate::config::{CompressionType, LogConfig};
use crate::error::{Error, Result};

/// Checks `batch` (exactly one whole batch) against the topic's settings and changes it where
/// it lies: the log appends these same bytes (offsets still to be assigned by `Log::append`),
/// so the common batch is never copied. `Some` only when the topic recompresses: new bytes,
/// which the log stores instead.
///
/// Like Kafka's `LogValidator`, which rewrites a batch in place when it can
/// (`validateMessagesAndAssignOffsetsCompressed` with `inPlaceAssignment`) and builds a new
/// one only to change the codec.
pub fn validate(batch: &mut [u8], config: &LogConfig, now_ms: i64) -> Result<Option<Vec<u8>>> {
    let header = BatchHeader::parse(batch)?;
    let size = header.total_size();
    if size - LOG_OVERHEAD > config.max_message_bytes {
        return Err(Error::RecordTooLarge {
            size,
            max_message_bytes: config.max_message_bytes,
        });
    }
    let source = header.attributes.compression;
    let target = match config.compression_type {
        CompressionType::Producer => source,
        CompressionType::Codec(codec) => codec,
    };
    // Control batches (transaction markers) carry no user keys and are never recompressed.
    let control = header.attributes.control;
    let mut rewritten = None;
    if !control && (config.cleanup_policy.compact || target != source) {
        let mut decoded = RecordBatch::decode_any(&batch[..size])?;
        if config.cleanup_policy.compact {
            if let Some(r) = decoded.records.iter().find(|r| r.key.is_none()) {
                return Err(Error::InvalidRecord {
                    offset_delta: r.offset_delta,
                    reason: "Compacted topic cannot accept message without key".into(),
                });
            }
        }
        if target != source {
            decoded.attributes.compression = target;
            let bytes = decoded.encode_compressed()?;
            if bytes.len() - LOG_OVERHEAD > config.max_message_bytes {
                return Err(Error::RecordTooLarge {
                    size: bytes.len(),
                    max_message_bytes: config.max_message_bytes,
                });
            }
            rewritten = Some(bytes);
        }
    }
    if config.message_timestamp_type == TimestampType::LogAppendTime && !control {
        match rewritten.as_mut() {
            Some(bytes) => set_log_append_time(bytes, now_ms)?,
            None => set_log_append_time(&mut batch[..size], now_ms)?,
        }
    }
    Ok(rewritten)
}
