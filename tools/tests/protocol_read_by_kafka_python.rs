//! The responses lab 04 encodes, read by a real client library. kafka-python 3 decodes
//! responses with codecs generated from Kafka's own message JSON, so a response it reads back
//! field for field — and to its last byte — has the layout every client expects.

use kafkalab_testkit as support;

use std::process::Command;

use lab01_record_batch::RecordBatchBuilder;
use lab04_protocol_codec::metadata::AUTHORIZED_OPERATIONS_OMITTED;
use lab04_protocol_codec::{
    encode_response, unsupported_response, ApiRegistry, ApiResponse, ApiVersionsResponse,
    ErrorCode, FetchPartitionResponse, FetchResponse, FetchTopicResponse,
    ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse, MetadataBroker,
    MetadataPartition, MetadataResponse, MetadataTopic, ProducePartitionResponse, ProduceResponse,
    ProduceTopicResponse, RequestHeader,
};
use serde_json::{json, Value};

const READER: &str = r#"
import io, json, sys
from kafka.protocol.metadata.metadata import MetadataResponse
from kafka.protocol.metadata.api_versions import ApiVersionsResponse
from kafka.protocol.producer.produce import ProduceResponse
from kafka.protocol.consumer.fetch import FetchResponse
from kafka.protocol.consumer.offsets import ListOffsetsResponse
CLASSES = {"api_versions": ApiVersionsResponse, "metadata": MetadataResponse, "produce": ProduceResponse,
           "fetch": FetchResponse, "list_offsets": ListOffsetsResponse}
out = []
for arg in sys.argv[1:]:
    kind, version, path = arg.split(":")
    data = open(path, "rb").read()
    stream = io.BytesIO(data)
    r = CLASSES[kind].decode(stream, version=int(version), header=True, framed=True)
    v = int(version)
    item = {"correlation_id": r._header.correlation_id, "consumed_all": stream.tell() == len(data)}
    if kind == "api_versions":
        item["error_code"] = r.error_code
        item["api_keys"] = [[k.api_key, k.min_version, k.max_version] for k in r.api_keys]
    elif kind == "produce":
        item["partitions"] = [[t.name, p.index, p.error_code, p.base_offset] + ([p.log_start_offset] if v >= 5 else [])
                              for t in r.responses for p in t.partition_responses]
    elif kind == "fetch":
        item["partitions"] = [[t.topic, p.partition_index, p.error_code, p.high_watermark, bytes(p.records).hex()]
                              for t in r.responses for p in t.partitions]
    elif kind == "list_offsets":
        item["partitions"] = [[t.name, p.partition_index, p.error_code, p.offset] + ([p.leader_epoch] if v >= 4 else [])
                              for t in r.topics for p in t.partitions]
    else:
        item["brokers"] = [[b.node_id, b.host, b.port] + ([b.rack] if v >= 1 else []) for b in r.brokers]
        if v >= 1: item["controller_id"] = r.controller_id
        if v >= 2: item["cluster_id"] = r.cluster_id
        item["topics"] = []
        for t in r.topics:
            parts = []
            for p in t.partitions:
                row = [p.error_code, p.partition_index, p.leader_id, list(p.replica_nodes), list(p.isr_nodes)]
                if v >= 7: row.append(p.leader_epoch)
                if v >= 5: row.append(list(p.offline_replicas))
                parts.append(row)
            item["topics"].append([t.error_code, t.name, parts] + ([t.is_internal] if v >= 1 else []))
    out.append(item)
print(json.dumps(out))
"#;

fn header(api_key: i16, api_version: i16) -> RequestHeader {
    RequestHeader {
        api_key,
        api_version,
        correlation_id: 4242,
        client_id: Some("kafka-python".into()),
    }
}

fn metadata() -> MetadataResponse {
    let partition = |index, leader, epoch| MetadataPartition {
        error_code: ErrorCode::None,
        partition_index: index,
        leader_id: leader,
        leader_epoch: epoch,
        replica_nodes: vec![1, 2],
        isr_nodes: vec![leader],
        offline_replicas: vec![],
    };
    MetadataResponse {
        throttle_time_ms: 0,
        brokers: vec![
            MetadataBroker {
                node_id: 1,
                host: "kafka01".into(),
                port: 9092,
                rack: Some("rack-a".into()),
            },
            MetadataBroker {
                node_id: 2,
                host: "kafka02".into(),
                port: 9093,
                rack: None,
            },
        ],
        cluster_id: Some("kafkalab-cluster".into()),
        controller_id: 2,
        topics: vec![
            MetadataTopic {
                error_code: ErrorCode::None,
                name: "orders".into(),
                is_internal: false,
                partitions: vec![partition(0, 1, 3), partition(1, 2, 7)],
                topic_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
            },
            MetadataTopic {
                error_code: ErrorCode::UnknownTopicOrPartition,
                name: "missing".into(),
                is_internal: false,
                partitions: vec![],
                topic_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
            },
        ],
        cluster_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
    }
}

fn expected_metadata(v: i16) -> Value {
    let broker = |id, host: &str, port, rack: Value| {
        let mut b = vec![json!(id), json!(host), json!(port)];
        if v >= 1 {
            b.push(rack);
        }
        Value::Array(b)
    };
    let partition = |index, leader, epoch| {
        let mut p = vec![
            json!(0),
            json!(index),
            json!(leader),
            json!([1, 2]),
            json!([leader]),
        ];
        if v >= 7 {
            p.push(json!(epoch));
        }
        if v >= 5 {
            p.push(json!([]));
        }
        Value::Array(p)
    };
    let topic = |error, name: &str, parts: Vec<Value>| {
        let mut t = vec![json!(error), json!(name), Value::Array(parts)];
        if v >= 1 {
            t.push(json!(false));
        }
        Value::Array(t)
    };
    let mut item = json!({
        "correlation_id": 4242,
        "consumed_all": true,
        "brokers": [broker(1, "kafka01", 9092, json!("rack-a")), broker(2, "kafka02", 9093, Value::Null)],
        "topics": [topic(0, "orders", vec![partition(0, 1, 3), partition(1, 2, 7)]), topic(3, "missing", vec![])],
    });
    if v >= 1 {
        item["controller_id"] = json!(2);
    }
    if v >= 2 {
        item["cluster_id"] = json!("kafkalab-cluster");
    }
    item
}

#[test]
fn kafka_python_reads_every_response_the_codec_writes() {
    if !support::python_module("kafka", "pip install kafka-python") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut args, mut expected) = (Vec::new(), Vec::new());
    let ranges: Vec<Value> = lab04_protocol_codec::supported_versions()
        .iter()
        .map(|r| json!([r.api_key, r.min, r.max]))
        .collect();
    for v in 0..=3 {
        let frame = encode_response(&header(18, v), &ApiRegistry::core(), |e| {
            ApiVersionsResponse::supported().encode(e, v)
        });
        let path = dir.path().join(format!("api_versions_v{v}.bin"));
        std::fs::write(&path, frame).unwrap();
        args.push(format!("api_versions:{v}:{}", path.display()));
        expected.push(json!({"correlation_id": 4242, "consumed_all": true, "error_code": 0, "api_keys": ranges}));
    }
    // kafka-python asks ApiVersions v4 first; our v0 answer must make sense to it.
    let frame = unsupported_response(&header(18, 4), &ApiRegistry::core()).unwrap();
    let path = dir.path().join("api_versions_unsupported.bin");
    std::fs::write(&path, frame).unwrap();
    args.push(format!("api_versions:4:{}", path.display()));
    expected.push(
        json!({"correlation_id": 4242, "consumed_all": true, "error_code": 35, "api_keys": ranges}),
    );

    for v in 0..=9 {
        let frame = encode_response(&header(3, v), &ApiRegistry::core(), |e| {
            metadata().encode(e, v)
        });
        let path = dir.path().join(format!("metadata_v{v}.bin"));
        std::fs::write(&path, frame).unwrap();
        args.push(format!("metadata:{v}:{}", path.display()));
        expected.push(expected_metadata(v));
    }

    let mut add = |kind: &str,
                   key: i16,
                   v: i16,
                   write: &dyn Fn(&mut lab04_protocol_codec::Encoder),
                   want: Value| {
        let frame = encode_response(&header(key, v), &ApiRegistry::core(), |e| write(e));
        let path = dir.path().join(format!("{kind}_v{v}.bin"));
        std::fs::write(&path, frame).unwrap();
        args.push(format!("{kind}:{v}:{}", path.display()));
        expected.push(want);
    };
    let produce = ProduceResponse {
        responses: vec![ProduceTopicResponse {
            name: "orders".into(),
            partitions: vec![ProducePartitionResponse {
                index: 2,
                error_code: ErrorCode::None,
                base_offset: 41,
                log_append_time_ms: -1,
                log_start_offset: 7,
                error_message: None,
            }],
        }],
        throttle_time_ms: 0,
    };
    for v in 3..=8 {
        let mut row = vec![json!("orders"), json!(2), json!(0), json!(41)];
        if v >= 5 {
            row.push(json!(7));
        }
        add(
            "produce",
            0,
            v,
            &|e| produce.encode(e, v),
            json!({"correlation_id": 4242, "consumed_all": true, "partitions": [row]}),
        );
    }
    let batch = RecordBatchBuilder::new(0)
        .append(1, Some(b"k"), Some(b"v"), vec![])
        .build()
        .encode();
    let hex: String = batch.iter().map(|b| format!("{b:02x}")).collect();
    let fetch = FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::None,
        session_id: 0,
        responses: vec![FetchTopicResponse {
            topic: "orders".into(),
            partitions: vec![FetchPartitionResponse {
                aborted_transactions: None,
                partition: 0,
                error_code: ErrorCode::None,
                high_watermark: 1,
                last_stable_offset: 1,
                log_start_offset: 0,
                records: batch.clone(),
            }],
        }],
    };
    for v in 4..=11 {
        let row = json!(["orders", 0, 0, 1, hex]);
        add(
            "fetch",
            1,
            v,
            &|e| fetch.encode(e, v),
            json!({"correlation_id": 4242, "consumed_all": true, "partitions": [row]}),
        );
    }
    let list = ListOffsetsResponse {
        throttle_time_ms: 0,
        topics: vec![ListOffsetsTopicResponse {
            name: "orders".into(),
            partitions: vec![ListOffsetsPartitionResponse {
                partition: 0,
                error_code: ErrorCode::None,
                timestamp: -1,
                offset: 42,
                leader_epoch: 3,
            }],
        }],
    };
    for v in 1..=5 {
        let mut row = vec![json!("orders"), json!(0), json!(0), json!(42)];
        if v >= 4 {
            row.push(json!(3));
        }
        add(
            "list_offsets",
            2,
            v,
            &|e| list.encode(e, v),
            json!({"correlation_id": 4242, "consumed_all": true, "partitions": [row]}),
        );
    }

    let output = Command::new("python3")
        .arg("-c")
        .arg(READER)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read.len(), expected.len());
    for ((got, want), arg) in read.iter().zip(&expected).zip(&args) {
        assert_eq!(got, want, "{arg}");
    }
}
