//! A `.log` segment, printed as Kafka 2.6's `DumpLogSegments.dumpLog` prints it: one line per
//! batch (its header, lab 01), then with `--deep-iteration` one line per record, and with
//! `--print-data-log` the key and payload too — or, in a control batch, the transaction
//! marker (lab 14 step 2).

use lab01_record_batch::record_batch::{verify_crc, BatchHeader};
use lab01_record_batch::{Compression, RecordBatch, TimestampType};
use lab14_exactly_once::control_batch::{ControlRecordType, EndTransactionMarker};
use lab14_exactly_once::producer_state_manager::increment_sequence;

use super::{Dump, LogOptions};

/// Kafka's `RecordBatch.NO_SEQUENCE`: a batch of a producer without idempotence.
const NO_SEQUENCE: i32 = -1;

/// Dumps the batches of a segment whose file is `name` and first offset `base_offset`.
///
/// The walk stops where the next batch cannot be whole — a write torn by a crash leaves such a
/// tail, and Kafka's own reader stops there too — and says how many bytes were left. A batch
/// whose CRC is wrong is printed with `isvalid: false`; its records are not trusted.
pub fn dump_log_segment(name: &str, base_offset: i64, bytes: &[u8], opts: LogOptions) -> Dump {
    let mut out = format!("Starting offset: {base_offset}\n");
    let mut err = String::new();
    let mut position = 0usize;
    let mut last_offset: Option<i64> = None;
    let mut gaps = Vec::new();
    while position < bytes.len() {
        let rest = &bytes[position..];
        let header = match BatchHeader::parse(rest) {
            Ok(h) => h,
            // Fewer bytes than a header: the torn tail, reported below.
            Err(lab01_record_batch::Error::Truncated { .. }) => break,
            Err(e) => {
                err.push_str(&format!(
                    "{name}: the batch at position {position} cannot be read ({e}); the rest of the file is skipped\n"
                ));
                break;
            }
        };
        let size = header.total_size();
        if size > rest.len() {
            break;
        }
        let batch = &rest[..size];
        let valid = verify_crc(batch).is_ok();
        out.push_str(&batch_line(&header, position, valid));
        if opts.deep_iteration {
            if !valid {
                err.push_str(&format!(
                    "{name}: the batch at position {position} fails its CRC check; its records are not printed\n"
                ));
            } else {
                match RecordBatch::decode_any(batch) {
                    Ok(decoded) => {
                        for line in record_lines(&decoded, opts.print_data_log) {
                            out.push_str(&line.text);
                            if let Some(prev) = last_offset {
                                if line.offset != prev + 1 {
                                    gaps.push((prev, line.offset));
                                }
                            }
                            last_offset = Some(line.offset);
                        }
                    }
                    Err(e) => err.push_str(&format!(
                        "{name}: the records of the batch at position {position} cannot be read: {e}\n"
                    )),
                }
            }
        }
        position += size;
    }
    if position < bytes.len() {
        out.push_str(&format!(
            "Found {} invalid bytes at the end of {name}\n",
            bytes.len() - position
        ));
    }
    // Compaction and aborted-then-cleaned transactions leave gaps; Kafka lists them on stderr.
    if !gaps.is_empty() {
        err.push_str(&format!("Non-consecutive offsets in {name}\n"));
        for (a, b) in gaps {
            err.push_str(&format!("  {a} is followed by {b}\n"));
        }
    }
    Dump { out, err }
}

fn timestamp_type(t: TimestampType) -> &'static str {
    match t {
        TimestampType::CreateTime => "CreateTime",
        TimestampType::LogAppendTime => "LogAppendTime",
    }
}

/// Java's `CompressionType` prints its constant's name.
fn codec(c: Compression) -> String {
    c.name().to_ascii_uppercase()
}

fn batch_line(h: &BatchHeader, position: usize, valid: bool) -> String {
    let last_sequence = if h.base_sequence == NO_SEQUENCE {
        NO_SEQUENCE
    } else {
        increment_sequence(h.base_sequence, h.last_offset_delta)
    };
    format!(
        "baseOffset: {} lastOffset: {} count: {} baseSequence: {} lastSequence: {} producerId: {} \
         producerEpoch: {} partitionLeaderEpoch: {} isTransactional: {} isControl: {} position: {position} \
         {}: {} size: {} magic: {} compresscodec: {} crc: {} isvalid: {valid}\n",
        h.base_offset,
        h.last_offset(),
        h.records_count,
        h.base_sequence,
        last_sequence,
        h.producer_id,
        h.producer_epoch,
        h.partition_leader_epoch,
        h.attributes.transactional,
        h.attributes.control,
        timestamp_type(h.attributes.timestamp_type),
        h.max_timestamp,
        h.total_size(),
        h.magic,
        codec(h.attributes.compression),
        h.crc,
    )
}

struct RecordLine {
    offset: i64,
    text: String,
}

fn record_lines(b: &RecordBatch, print_data_log: bool) -> Vec<RecordLine> {
    let ts_type = timestamp_type(b.attributes.timestamp_type);
    b.records
        .iter()
        .map(|r| {
            let offset = b.base_offset + i64::from(r.offset_delta);
            // With LogAppendTime the broker's time in the header stands for every record.
            let timestamp = match b.attributes.timestamp_type {
                TimestampType::LogAppendTime => b.max_timestamp,
                TimestampType::CreateTime => b.base_timestamp + r.timestamp_delta,
            };
            let sequence = if b.base_sequence == NO_SEQUENCE {
                NO_SEQUENCE
            } else {
                increment_sequence(b.base_sequence, r.offset_delta)
            };
            let size = |v: &Option<Vec<u8>>| v.as_ref().map_or(-1, |v| v.len() as i64);
            let header_keys: Vec<&str> = r.headers.iter().map(|h| h.key.as_str()).collect();
            let mut text = format!(
                "| offset: {offset} {ts_type}: {timestamp} keysize: {} valuesize: {} sequence: {sequence} headerKeys: [{}]",
                size(&r.key),
                size(&r.value),
                header_keys.join(",")
            );
            if b.attributes.control {
                text.push_str(&control_text(r.key.as_deref(), r.value.as_deref()));
            } else if print_data_log {
                if let Some(k) = &r.key {
                    text.push_str(&format!(" key: {}", String::from_utf8_lossy(k)));
                }
                if let Some(v) = &r.value {
                    text.push_str(&format!(" payload: {}", String::from_utf8_lossy(v)));
                }
            }
            text.push('\n');
            RecordLine { offset, text }
        })
        .collect()
}

/// A control record: a commit or abort marker, or a type this version does not know.
fn control_text(key: Option<&[u8]>, value: Option<&[u8]>) -> String {
    let (Some(key), Some(value)) = (key, value) else {
        return " controlType: UNKNOWN(-1)".to_string();
    };
    match EndTransactionMarker::from_record(key, value) {
        Ok(m) => {
            let kind = match m.control_type {
                ControlRecordType::Commit => "COMMIT",
                ControlRecordType::Abort => "ABORT",
            };
            format!(
                " endTxnMarker: {kind} coordinatorEpoch: {}",
                m.coordinator_epoch
            )
        }
        Err(_) => {
            let type_id = key
                .get(2..4)
                .map_or(-1, |t| i16::from_be_bytes([t[0], t[1]]));
            format!(" controlType: UNKNOWN({type_id})")
        }
    }
}
