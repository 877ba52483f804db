//! Helpers shared by the lab 03 tests.

#![allow(dead_code)]

use lab01_record_batch::{BatchHeader, RecordBatch, RecordBatchBuilder};
use lab03_partition_log::{Log, LogConfig};

pub const HOUR: i64 = 60 * 60 * 1000;

/// A batch as a producer sends it: base offset 0, one record per timestamp, values "v{ts}".
pub fn batch(timestamps: &[i64]) -> Vec<u8> {
    let mut builder = RecordBatchBuilder::new(0);
    for ts in timestamps {
        let value = format!("v{ts}");
        builder.append(*ts, Some(b"key"), Some(value.as_bytes()), vec![]);
    }
    builder.build().encode()
}

/// A small config: segments of `segment_bytes`, everything else Kafka's default.
pub fn config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        index_interval_bytes: 128,
        ..LogConfig::default()
    }
}

/// Appends `n` batches of 2 records, timestamps 1000 + offset, at time `now`.
pub fn fill(log: &mut Log, n: usize, now: i64) {
    for _ in 0..n {
        let next = log.log_end_offset();
        log.append(&mut batch(&[1000 + next, 1001 + next]), now)
            .unwrap();
    }
}

/// Every (offset, value) readable from `from` to the end, decoding batch by batch.
pub fn read_all(log: &Log, from: i64) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut offset = from;
    while let Some(bytes) = log.read(offset, 1 << 20).unwrap() {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let size = BatchHeader::parse(rest).unwrap().total_size();
            let batch = RecordBatch::decode(&rest[..size]).unwrap();
            for r in &batch.records {
                let o = batch.base_offset + i64::from(r.offset_delta);
                if o >= from {
                    out.push((o, String::from_utf8(r.value.clone().unwrap()).unwrap()));
                }
                offset = o + 1;
            }
            rest = &rest[size..];
        }
    }
    out
}

/// The `.log` files in `dir`, sorted.
pub fn log_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    names
}
