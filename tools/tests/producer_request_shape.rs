//! Kafka's producer puts at most one record batch of each partition into a Produce request
//! (`RecordAccumulator.drainBatchesForOneNode`), and from Produce v3 a partition's `records`
//! must be exactly one batch. A Kafka 2.6 broker reads a request's partitions into a map
//! (`partitionRecords.put(topicPartition, records)`), so a second entry for the same partition
//! replaces the first: its records are lost without an error. This test runs a fake broker that
//! does just that, and checks that our producer, with many batches of one partition waiting at
//! once, never names a partition twice in a request and loses no record.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, MetadataRequest, MetadataResponse,
    ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use lab06_topics::client::producer::{Delivery, Producer, ProducerConfig, ProducerRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const TOPIC: &str = "t";
const PARTITIONS: i32 = 2;
/// The fake broker's id: it is the only broker and leads both partitions.
const NODE_ID: i32 = 1;
/// Records sent to partition 0; one in ten of them is followed by one to partition 1.
const RECORDS: usize = 200_000;
const VALUE_BYTES: usize = 100;

/// The APIs the fake broker answers, with the versions a Kafka 2.6 broker answers: our client
/// asks ApiVersions v3, then uses the highest version both sides know (Metadata v9, Produce v8).
const API_VERSIONS: [(ApiKey, i16, i16); 3] = [
    (ApiKey::Produce, 0, 8),
    (ApiKey::Metadata, 0, 9),
    (ApiKey::ApiVersions, 0, 3),
];

/// What the fake broker saw and kept.
#[derive(Default)]
struct Seen {
    produce_requests: usize,
    /// Partition entries that named a (topic, partition) already named in the same request.
    repeated_entries: usize,
    /// Every partition entry of every Produce request: (topic, partition, batches in its records).
    entries: Vec<(String, i32, usize)>,
    /// Records stored per (topic, partition): what a Kafka 2.6 broker would have appended.
    stored: BTreeMap<(String, i32), i64>,
    /// Anything the fake broker could not answer (an unknown API, a bad frame).
    problems: Vec<String>,
}

impl Seen {
    fn batches(&self) -> usize {
        self.entries.iter().map(|(_, _, n)| n).sum()
    }
}

/// The record count of each batch in a partition's `records`. A v2 batch is an 8-byte base
/// offset, a 4-byte length (big-endian i32 at byte 8) and that many bytes; its record count is
/// the big-endian i32 at byte 57.
fn batch_record_counts(records: &[u8]) -> Vec<i64> {
    let be_i32 = |b: &[u8]| i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let mut counts = Vec::new();
    let mut rest = records;
    while rest.len() >= 12 {
        let size = 12 + be_i32(&rest[8..12]).max(0) as usize;
        counts.push(rest.get(57..61).map_or(0, |b| be_i32(b) as i64));
        rest = &rest[size.min(rest.len())..];
    }
    counts
}

fn api_versions() -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(
        API_VERSIONS
            .iter()
            .map(|&(key, min, max)| {
                ApiVersion::default()
                    .with_api_key(key as i16)
                    .with_min_version(min)
                    .with_max_version(max)
            })
            .collect(),
    )
}

fn topic_t() -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(StrBytes::from_static_str(TOPIC))))
        .with_partitions(
            (0..PARTITIONS)
                .map(|p| {
                    MetadataResponsePartition::default()
                        .with_partition_index(p)
                        .with_leader_id(BrokerId(NODE_ID))
                        .with_replica_nodes(vec![BrokerId(NODE_ID)])
                        .with_isr_nodes(vec![BrokerId(NODE_ID)])
                })
                .collect(),
        )
}

/// One broker (this one) and topic `t`; any other topic named is UNKNOWN_TOPIC_OR_PARTITION.
fn metadata(request: &MetadataRequest, port: u16) -> MetadataResponse {
    let topics = match &request.topics {
        None => vec![topic_t()],
        Some(asked) => asked
            .iter()
            .map(|t| match &t.name {
                Some(name) if name.0.as_str() == TOPIC => topic_t(),
                name => MetadataResponseTopic::default()
                    .with_error_code(3)
                    .with_name(name.clone()),
            })
            .collect(),
    };
    MetadataResponse::default()
        .with_brokers(vec![MetadataResponseBroker::default()
            .with_node_id(BrokerId(NODE_ID))
            .with_host(StrBytes::from_static_str("127.0.0.1"))
            .with_port(port as i32)])
        .with_cluster_id(Some(StrBytes::from_static_str("fake-kafka-2.6")))
        .with_controller_id(BrokerId(NODE_ID))
        .with_topics(topics)
}

/// Produce as Kafka 2.6 reads it: the partitions go into a map, so the last entry of a partition
/// wins and the others are dropped. One answer per partition in the map.
fn produce(request: ProduceRequest, seen: &mut Seen) -> ProduceResponse {
    seen.produce_requests += 1;
    let mut kept: BTreeMap<(String, i32), Bytes> = BTreeMap::new();
    for topic in request.topic_data {
        let name = topic.name.0.to_string();
        for entry in topic.partition_data {
            let records = entry.records.unwrap_or_default();
            let batches = batch_record_counts(&records).len();
            seen.entries.push((name.clone(), entry.index, batches));
            if kept.insert((name.clone(), entry.index), records).is_some() {
                seen.repeated_entries += 1;
            }
        }
    }
    let mut responses: Vec<TopicProduceResponse> = Vec::new();
    for ((topic, partition), records) in kept {
        let answer = if topic == TOPIC && (0..PARTITIONS).contains(&partition) {
            let stored = seen.stored.entry((topic.clone(), partition)).or_default();
            let base_offset = *stored;
            *stored += batch_record_counts(&records).iter().sum::<i64>();
            PartitionProduceResponse::default()
                .with_index(partition)
                .with_base_offset(base_offset)
        } else {
            PartitionProduceResponse::default()
                .with_index(partition)
                .with_error_code(3)
                .with_base_offset(-1)
        };
        match responses.iter_mut().find(|t| t.name.0.as_str() == topic) {
            Some(t) => t.partition_responses.push(answer),
            None => responses.push(
                TopicProduceResponse::default()
                    .with_name(TopicName(StrBytes::from_string(topic)))
                    .with_partition_responses(vec![answer]),
            ),
        }
    }
    ProduceResponse::default().with_responses(responses)
}

/// The answer to one request frame (without its size), as a whole frame.
fn answer(mut frame: Bytes, port: u16, seen: &Mutex<Seen>) -> Result<Bytes, String> {
    if frame.len() < 4 {
        return Err(format!("a request of {} bytes", frame.len()));
    }
    let key = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let Some(&(api, min, max)) = API_VERSIONS.iter().find(|(k, _, _)| *k as i16 == key) else {
        return Err(format!(
            "API {key} v{version}, which this fake broker does not answer"
        ));
    };
    if !(min..=max).contains(&version) {
        return Err(format!(
            "{api:?} v{version}, outside the advertised {min}–{max}"
        ));
    }
    let bad = |e| format!("cannot decode {api:?} v{version}: {e}");
    let header =
        RequestHeader::decode(&mut frame, api.request_header_version(version)).map_err(bad)?;
    let mut body = BytesMut::new();
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut body, api.response_header_version(version))
        .map_err(|e| e.to_string())?;
    let encoded = match api {
        ApiKey::ApiVersions => {
            ApiVersionsRequest::decode(&mut frame, version).map_err(bad)?;
            api_versions().encode(&mut body, version)
        }
        ApiKey::Metadata => {
            let request = MetadataRequest::decode(&mut frame, version).map_err(bad)?;
            metadata(&request, port).encode(&mut body, version)
        }
        _ => {
            let request = ProduceRequest::decode(&mut frame, version).map_err(bad)?;
            let mut seen = seen.lock().unwrap();
            produce(request, &mut seen).encode(&mut body, version)
        }
    };
    encoded.map_err(|e| format!("cannot encode the answer to {api:?} v{version}: {e}"))?;
    let mut out = BytesMut::with_capacity(4 + body.len());
    out.put_i32(body.len() as i32);
    out.extend_from_slice(&body);
    Ok(out.freeze())
}

/// One client connection: frames of a 4-byte big-endian size and the request, answered in order.
async fn serve(stream: TcpStream, port: u16, seen: Arc<Mutex<Seen>>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    // Reading fails when the producer closes its connection: the end of this one.
    while let Ok(size) = reader.read_i32().await {
        let mut frame = vec![0; size.max(0) as usize];
        if reader.read_exact(&mut frame).await.is_err() {
            return;
        }
        match answer(Bytes::from(frame), port, &seen) {
            Ok(frame) => {
                if writer.write_all(&frame).await.is_err() {
                    return;
                }
            }
            Err(problem) => {
                seen.lock().unwrap().problems.push(problem);
                return;
            }
        }
    }
}

/// The fake broker: serves every connection until it is dropped (aborting it aborts them all).
async fn fake_broker(listener: TcpListener, seen: Arc<Mutex<Seen>>) {
    let port = listener.local_addr().expect("a bound listener").port();
    let mut connections = tokio::task::JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(serve(stream, port, seen.clone()));
    }
}

/// Sends every record, then closes the producer: what was sent to each partition, and every
/// delivery.
async fn produce_all(port: u16) -> Result<(HashMap<i32, i64>, Vec<Delivery>), String> {
    let mut producer = Producer::connect(ProducerConfig {
        bootstrap_servers: format!("127.0.0.1:{port}"),
        acks: 1,
        batch_size: 16_384,
        max_in_flight: 5,
        request_timeout: Duration::from_secs(10),
        ..ProducerConfig::default()
    })
    .await
    .map_err(|e| format!("connect: {e}"))?;
    let to_0 = ProducerRecord {
        topic: TOPIC.into(),
        partition: Some(0),
        value: Some(vec![b'x'; VALUE_BYTES]),
        ..ProducerRecord::default()
    };
    let to_1 = ProducerRecord {
        partition: Some(1),
        ..to_0.clone()
    };
    let mut sent: HashMap<i32, i64> = HashMap::new();
    for i in 0..RECORDS {
        producer
            .send_ref(&to_0)
            .await
            .map_err(|e| format!("send: {e}"))?;
        *sent.entry(0).or_default() += 1;
        if i % 10 == 0 {
            producer
                .send_ref(&to_1)
                .await
                .map_err(|e| format!("send: {e}"))?;
            *sent.entry(1).or_default() += 1;
        }
    }
    let deliveries = producer.close().await.map_err(|e| format!("close: {e}"))?;
    Ok((sent, deliveries))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_produce_request_carries_at_most_one_batch_per_partition() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let broker = tokio::spawn(fake_broker(listener, seen.clone()));
    let run = tokio::time::timeout(Duration::from_secs(60), produce_all(port)).await;
    broker.abort();
    let seen = seen.lock().unwrap();
    assert!(
        seen.problems.is_empty(),
        "the fake broker could not answer our producer: {:?}",
        seen.problems
    );
    let (sent, deliveries) = run
        .expect("the producer did not send and close within 60 s")
        .expect("the producer failed");

    let sent_total: i64 = sent.values().sum();
    let stored = |p: i32| {
        seen.stored
            .get(&(TOPIC.to_string(), p))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "fake broker: {} Produce requests, {} partition entries, {} batches, {} entries naming \
         a partition already named; stored {} of {} records in partition 0, {} of {} in partition 1",
        seen.produce_requests,
        seen.entries.len(),
        seen.batches(),
        seen.repeated_entries,
        stored(0),
        sent[&0],
        stored(1),
        sent[&1],
    );

    // (1) No request named a partition twice.
    assert_eq!(
        seen.repeated_entries, 0,
        "Produce requests named a partition already named in the same request {} times. A Kafka \
         broker reads a request's partitions into a map: the last entry of a partition replaces \
         the others, whose records are lost. Kafka's producer puts at most one batch of each \
         partition in a request (RecordAccumulator.drainBatchesForOneNode).",
        seen.repeated_entries
    );

    // (2) Every partition entry held exactly one batch.
    let not_one: Vec<&(String, i32, usize)> =
        seen.entries.iter().filter(|(_, _, n)| *n != 1).collect();
    assert!(
        not_one.is_empty(),
        "{} partition entries did not hold exactly one record batch (from Produce v3 a \
         partition's records must be exactly one batch); the first ones as (topic, partition, \
         batches): {:?}",
        not_one.len(),
        &not_one[..not_one.len().min(5)]
    );

    // (3) Every delivery is Ok, and every record has one.
    let failed: Vec<&Delivery> = deliveries.iter().filter(|d| d.result.is_err()).collect();
    assert!(
        failed.is_empty(),
        "{} of {} deliveries failed; the first: {:?}",
        failed.len(),
        deliveries.len(),
        failed.first().map(|d| (&d.topic, d.partition, &d.result))
    );
    let delivered: usize = deliveries.iter().map(|d| d.seqs.len()).sum();
    assert_eq!(
        delivered as i64, sent_total,
        "the deliveries account for {delivered} records, but {sent_total} were sent"
    );

    // (4) The broker stored every record sent.
    for p in 0..PARTITIONS {
        assert_eq!(
            stored(p),
            sent[&p],
            "partition {p}: the broker stored {} records but the producer sent {}: records were \
             lost on the way",
            stored(p),
            sent[&p]
        );
    }

    // (5) Not vacuous: many batches went out.
    assert!(
        seen.batches() > 1,
        "only {} record batch reached the broker: the test needs many batches of one partition \
         waiting at once to mean anything",
        seen.batches()
    );
}
