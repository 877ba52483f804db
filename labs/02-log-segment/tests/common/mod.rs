//! Helpers shared by the lab 02 tests: batches made with lab 01's builder.

#![allow(dead_code)]

use lab01_record_batch::{set_base_offset, RecordBatchBuilder};

/// A batch of records from `base_offset` with the given timestamps and values of `value_size`
/// bytes, encoded as Kafka writes it.
pub fn batch(base_offset: i64, timestamps: &[i64], value_size: usize) -> Vec<u8> {
    let mut builder = RecordBatchBuilder::new(0);
    for (i, ts) in timestamps.iter().enumerate() {
        let key = format!("key-{}", base_offset + i as i64);
        builder.append(
            *ts,
            Some(key.as_bytes()),
            Some(&vec![b'v'; value_size]),
            vec![],
        );
    }
    let mut bytes = builder.build().encode();
    set_base_offset(&mut bytes, base_offset);
    bytes
}

/// `n` batches of `per_batch` records each, offsets from `base`, timestamps 1000 + offset.
pub fn batches_from(base: i64, n: usize, per_batch: usize, value_size: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|b| {
            let first = base + (b * per_batch) as i64;
            let ts: Vec<i64> = (0..per_batch as i64).map(|i| 1000 + first + i).collect();
            batch(first, &ts, value_size)
        })
        .collect()
}

pub fn batches(n: usize, per_batch: usize, value_size: usize) -> Vec<Vec<u8>> {
    batches_from(0, n, per_batch, value_size)
}
