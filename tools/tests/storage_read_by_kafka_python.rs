//! The segment files our storage labs write, read by a real Kafka client library.
//!
//! kafka-python's `MemoryRecords` is the reader a Kafka consumer uses for the bytes of a fetch
//! response, which are exactly the bytes of a `.log` file. If it reads our `.log` files back
//! record for record, they have Kafka's layout; our own decoder is not involved.

use kafkalab_testkit as support;

use std::process::Command;

use lab01_record_batch::{Header, RecordBatchBuilder};
use lab03_partition_log::{Log, LogConfig};

const READER: &str = r#"
import json, sys
from kafka.record.memory_records import MemoryRecords
out = []
for path in sys.argv[1:]:
    records = MemoryRecords(open(path, "rb").read())
    while True:
        batch = records.next_batch()
        if batch is None:
            break
        for r in batch:
            out.append([r.offset, r.timestamp, r.key.decode(), r.value.decode(),
                        [[k, v.decode()] for k, v in r.headers]])
print(json.dumps(out))
"#;

#[test]
fn kafka_python_reads_every_record_of_our_segments() {
    if !support::python_module("kafka", "pip install kafka-python") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 1_000,
        ..LogConfig::default()
    };
    let (mut log, _) = Log::open(dir.path(), config, 0).unwrap();
    let mut expected = Vec::new();
    for b in 0..40i64 {
        let mut builder = RecordBatchBuilder::new(0);
        for i in 0..3 {
            let offset = b * 3 + i;
            let ts = 1_700_000_000_000 + offset * 10;
            let (key, value) = (format!("key-{offset}"), format!("value-{offset}"));
            let headers = vec![Header {
                key: "n".into(),
                value: Some(offset.to_string().into_bytes()),
            }];
            builder.append(ts, Some(key.as_bytes()), Some(value.as_bytes()), headers);
            expected.push(serde_json::json!([
                offset,
                ts,
                key,
                value,
                [["n", offset.to_string()]]
            ]));
        }
        log.append(&mut builder.build().encode(), 0).unwrap();
    }
    log.flush().unwrap();
    assert!(
        log.segments().len() > 3,
        "the records should span several segments"
    );

    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    let output = Command::new("python3")
        .arg("-c")
        .arg(READER)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read, serde_json::Value::Array(expected));
}
