//! Step 9: everything together over TCP — our admin client creates a topic on our broker, our
//! producer spreads keyed and keyless records over its partitions, our consumer reads them
//! back in order.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use lab05_broker::{server, Broker, CoreService, Router, Shared};
use lab06_topics::client::admin::{AdminClient, NewTopic};
use lab06_topics::client::consumer::{Consumer, ConsumerConfig, StartAt};
use lab06_topics::client::producer::{Producer, ProducerConfig, ProducerRecord};
use lab06_topics::partitioner::partition_for_key;
use lab06_topics::TopicsService;

async fn start(dir: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = lab05_broker::BrokerConfig {
        advertised_port: addr.port(),
        ..common::config(dir)
    };
    let shared = Shared::new(Broker::open(config, 1_000).unwrap());
    let router = Router::new()
        .with(CoreService::new(shared.clone()))
        .with(TopicsService::open(shared.clone()).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::run(listener, shared, Arc::new(router), async {
        let _ = stopped.await;
    }));
    (addr.to_string(), stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step9_our_producer_and_consumer_through_our_broker() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _stop) = start(dir.path()).await;
    let timeout = Duration::from_secs(10);

    let mut admin = AdminClient::connect(&addr, timeout).await.unwrap();
    let topic = NewTopic {
        name: "orders".into(),
        partitions: 3,
        replication_factor: 1,
        configs: vec![("retention.ms".into(), "86400000".into())],
        assignments: vec![],
    };
    admin.create_topic(&topic, false).await.unwrap();
    let err = admin
        .create_topic(&topic, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("TOPIC_ALREADY_EXISTS"), "{err}");
    let described = admin.describe_topic("orders").await.unwrap();
    assert_eq!(described.partitions.len(), 3);
    assert!(
        described
            .configs
            .contains(&("retention.ms".into(), "86400000".into())),
        "{:?}",
        described.configs
    );

    let mut producer = Producer::connect(ProducerConfig {
        bootstrap_servers: addr.clone(),
        acks: 1,
        batch_size: 4096,
        ..ProducerConfig::default()
    })
    .await
    .unwrap();
    let n = 3000u64;
    for i in 0..n {
        producer
            .send(ProducerRecord {
                topic: "orders".into(),
                key: Some(format!("customer-{}", i % 50).into_bytes()),
                value: Some(format!("order-{i}").into_bytes()),
                headers: vec![("source".into(), Some(b"step9".to_vec()))],
                ..ProducerRecord::default()
            })
            .await
            .unwrap();
    }
    for i in 0..300u64 {
        producer
            .send(ProducerRecord {
                topic: "orders".into(),
                value: Some(format!("keyless-{i}").into_bytes()),
                ..ProducerRecord::default()
            })
            .await
            .unwrap();
    }
    let deliveries = producer.close().await.unwrap();
    let mut delivered = 0;
    for d in &deliveries {
        assert!(d.result.is_ok(), "{d:?}");
        delivered += d.seqs.len();
    }
    assert_eq!(
        delivered as u64,
        n + 300,
        "every record is acknowledged once"
    );

    let mut consumer = Consumer::connect(ConsumerConfig {
        bootstrap_servers: addr.clone(),
        fetch_max_wait_ms: 100,
        ..ConsumerConfig::default()
    })
    .await
    .unwrap();
    for p in consumer.partitions("orders").await.unwrap() {
        consumer
            .assign("orders", p, StartAt::Earliest)
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..200 {
        got.extend(consumer.poll().await.unwrap());
        if got.len() as u64 >= n + 300 {
            break;
        }
    }
    assert_eq!(
        got.len() as u64,
        n + 300,
        "everything comes back, nothing twice"
    );
    let mut last: BTreeMap<i32, i64> = BTreeMap::new();
    let mut per_key: BTreeMap<Vec<u8>, Vec<u64>> = BTreeMap::new();
    for r in &got {
        let prev = last.insert(r.partition, r.offset);
        assert!(
            prev.is_none_or(|p| p < r.offset),
            "offsets grow within a partition"
        );
        if let Some(key) = &r.key {
            assert_eq!(
                r.partition,
                partition_for_key(key, 3),
                "keys go where murmur2 says"
            );
            assert_eq!(
                r.headers,
                vec![(
                    "source".to_string(),
                    Some(bytes::Bytes::from_static(b"step9"))
                )]
            );
            let value = String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap();
            let i: u64 = value.trim_start_matches("order-").parse().unwrap();
            per_key.entry(key.to_vec()).or_default().push(i);
        }
    }
    for (key, sent) in per_key {
        assert!(
            sent.windows(2).all(|w| w[0] < w[1]),
            "{key:?}: one key's records stay in order"
        );
    }
    // Read again from the middle of partition 0, as a consumer of old data would.
    let mut again = Consumer::connect(ConsumerConfig {
        bootstrap_servers: addr.clone(),
        ..ConsumerConfig::default()
    })
    .await
    .unwrap();
    again
        .assign("orders", 0, StartAt::Offset(10))
        .await
        .unwrap();
    let first = again.poll().await.unwrap();
    assert_eq!(first.first().map(|r| r.offset), Some(10));

    admin.delete_topic("orders").await.unwrap();
    assert!(admin.list_topics().await.unwrap().is_empty());
}
