//! Step 3: Produce appends whole batches and answers with their base offset.

mod common;

use lab01_record_batch::BatchHeader;
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, BrokerConfig};

#[test]
fn step3_batches_get_offsets_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = common::broker(dir.path());
    broker.create_topic("orders", 2, 0).unwrap();
    let r = broker.produce(&mut common::produce("orders", 1, common::batch(3, "a")), 5);
    let p = &r.responses[0].partitions[0];
    assert_eq!(
        (p.index, p.error_code, p.base_offset, p.log_start_offset),
        (1, ErrorCode::None, 0, 0)
    );
    // Two batches in one request: both appended, the response names the first offset.
    let two = [common::batch(2, "b"), common::batch(4, "c")].concat();
    let r = broker.produce(&mut common::produce("orders", 1, two), 5);
    assert_eq!(r.responses[0].partitions[0].base_offset, 3);
    let partition = broker.partition("orders", 1).unwrap();
    assert_eq!(partition.log_end_offset(), 9);
    assert_eq!(
        partition.high_watermark(),
        9,
        "one replica: every append is committed"
    );
    let stored = partition.log().read(3, usize::MAX).unwrap().unwrap();
    assert_eq!(BatchHeader::parse(&stored).unwrap().base_offset, 3);
}

#[test]
fn step3_bad_produce_requests_get_kafkas_error_codes_and_append_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::open(
        BrokerConfig {
            message_max_bytes: 200,
            ..common::config(dir.path())
        },
        0,
    )
    .unwrap();
    broker.create_topic("orders", 1, 0).unwrap();
    let code = |b: &mut Broker, topic: &str, partition: i32, records: Vec<u8>| {
        b.produce(&mut common::produce(topic, partition, records), 0)
            .responses[0]
            .partitions[0]
            .error_code
    };
    assert_eq!(
        code(&mut broker, "nope", 0, common::batch(1, "x")),
        ErrorCode::UnknownTopicOrPartition
    );
    assert_eq!(
        code(&mut broker, "orders", 5, common::batch(1, "x")),
        ErrorCode::UnknownTopicOrPartition
    );
    assert_eq!(
        code(&mut broker, "orders", 0, common::batch(20, "big")),
        ErrorCode::MessageTooLarge
    );
    let mut corrupt = common::batch(1, "x");
    let last = corrupt.len() - 1;
    corrupt[last] ^= 1;
    // A good batch followed by a corrupt one: the request is refused whole.
    assert_eq!(
        code(
            &mut broker,
            "orders",
            0,
            [common::batch(1, "ok"), corrupt].concat()
        ),
        ErrorCode::CorruptMessage
    );
    assert_eq!(
        code(&mut broker, "orders", 0, vec![1, 2, 3]),
        ErrorCode::CorruptMessage
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 0);
}

fn context() -> lab05_broker::RequestContext {
    lab05_broker::RequestContext {
        header: lab04_protocol_codec::RequestHeader {
            api_key: 0,
            api_version: 7,
            correlation_id: 1,
            client_id: None,
        },
        peer: "127.0.0.1:1".into(),
        apis: std::sync::Arc::new(lab04_protocol_codec::ApiRegistry::core()),
    }
}

/// acks=−1 waits until every in-sync replica has the batch (the high watermark passed it), up
/// to the request's timeout: the seam lab 12 plugs followers into.
#[tokio::test(start_paused = true)]
async fn step3_acks_all_waits_for_the_in_sync_replicas() {
    use lab05_broker::apis::produce::handle;
    let dir = tempfile::tempdir().unwrap();
    let shared = lab05_broker::Shared::new(common::broker_with_follower(dir.path()));
    shared.broker().create_topic("orders", 1, 0).unwrap();
    let mut request = common::produce("orders", 0, common::batch(2, "a"));
    request.acks = -1;

    // No follower fetch: the request times out.
    let r = handle(shared.clone(), context(), request.clone())
        .await
        .unwrap();
    let p = &r.unwrap().responses[0].partitions[0];
    assert_eq!(p.error_code, ErrorCode::RequestTimedOut);

    // The follower fetches up to the end while the produce waits: answered without error.
    let waiting = tokio::spawn(handle(shared.clone(), context(), request));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut follower = common::fetch("orders", 0, 4, 0, 1);
    follower.replica_id = 8;
    assert!(shared
        .broker()
        .record_follower_fetch(&follower, 0)
        .is_empty());
    shared.appended.notify_waiters();
    let r = waiting.await.unwrap().unwrap().unwrap();
    let p = &r.responses[0].partitions[0];
    assert_eq!((p.error_code, p.base_offset), (ErrorCode::None, 2));
}

/// The topic's settings apply on Produce, through `Partition::validate` (lab 03's validator):
/// a compacted log refuses keyless records (INVALID_RECORD), a LogAppendTime log stamps the
/// batch and says when in the response, a `compression.type` recompresses.
#[test]
fn step3_topic_settings_apply_on_produce() {
    use lab01_record_batch::{BatchAttributes, Compression, RecordBatchBuilder, TimestampType};
    use lab03_partition_log::{CleanupPolicy, CompressionType};
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::open(
        BrokerConfig {
            cleanup_policy: CleanupPolicy::COMPACT,
            message_timestamp_type: TimestampType::LogAppendTime,
            compression_type: CompressionType::Codec(Compression::Gzip),
            ..common::config(dir.path())
        },
        0,
    )
    .unwrap();
    broker.create_topic("table", 1, 0).unwrap();
    let mut keyless = RecordBatchBuilder::new(0);
    keyless.append(10, Some(b"k"), Some(b"v"), vec![]);
    keyless.append(11, None, Some(b"no key"), vec![]);
    let r = broker.produce(
        &mut common::produce("table", 0, keyless.build().encode()),
        5_000,
    );
    let p = &r.responses[0].partitions[0];
    assert_eq!(
        p.error_code,
        ErrorCode::InvalidRecord,
        "{:?}",
        p.error_message
    );
    assert_eq!(broker.partition("table", 0).unwrap().log_end_offset(), 0);

    let mut keyed = RecordBatchBuilder::new(0);
    keyed.attributes(BatchAttributes {
        compression: Compression::Snappy,
        ..BatchAttributes::default()
    });
    keyed.append(10, Some(b"k"), Some(b"v"), vec![]);
    let r = broker.produce(
        &mut common::produce("table", 0, keyed.build().encode_compressed().unwrap()),
        5_000,
    );
    let p = &r.responses[0].partitions[0];
    assert_eq!(
        (p.error_code, p.log_append_time_ms),
        (ErrorCode::None, 5_000)
    );
    let stored = broker
        .partition("table", 0)
        .unwrap()
        .log()
        .read(0, 1 << 20)
        .unwrap()
        .unwrap();
    let header = BatchHeader::parse(&stored).unwrap();
    assert_eq!(
        header.attributes.compression,
        Compression::Gzip,
        "recompressed"
    );
    assert_eq!(
        header.attributes.timestamp_type,
        TimestampType::LogAppendTime
    );
    assert_eq!(header.max_timestamp, 5_000, "the broker's clock");
}
