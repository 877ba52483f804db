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

/// The batch as the log should store it (offsets still to be assigned by `Log::append`).
pub fn validate(batch: &[u8], config: &LogConfig, now_ms: i64) -> Result<Vec<u8>> {
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
    let mut out = if !control && (config.cleanup_policy.compact || target != source) {
        let mut decoded = RecordBatch::decode_any(&batch[..size])?;
        if config.cleanup_policy.compact {
            if let Some(r) = decoded.records.iter().find(|r| r.key.is_none()) {
                return Err(Error::InvalidRecord {
                    offset_delta: r.offset_delta,
                    reason: "Compacted topic cannot accept message without key".into(),
                });
            }
        }
        if target == source {
            batch[..size].to_vec()
        } else {
            decoded.attributes.compression = target;
            let bytes = decoded.encode_compressed()?;
            if bytes.len() - LOG_OVERHEAD > config.max_message_bytes {
                return Err(Error::RecordTooLarge {
                    size: bytes.len(),
                    max_message_bytes: config.max_message_bytes,
                });
            }
            bytes
        }
    } else {
        batch[..size].to_vec()
    };
    if config.message_timestamp_type == TimestampType::LogAppendTime && !control {
        set_log_append_time(&mut out, now_ms)?;
    }
    Ok(out)
}
