//! Step 1 in lab 05's broker: with lab 14's producer state on every partition, Produce drops a
//! retried batch (answering its original offset), refuses a gap and a zombie, and the state
//! survives a restart through the `.snapshot` files — or a replay of the log without them.
//! Kafka: `Log.analyzeAndValidateProducerState`, `Log.loadProducerState`.

use lab01_record_batch::RecordBatchBuilder;
use lab04_protocol_codec::{ErrorCode, ProducePartition, ProduceRequest, ProduceTopic};
use lab05_broker::{Broker, BrokerConfig};
use lab14_exactly_once::partition_producers::Idempotence;

const NOW: i64 = 1_700_000_000_000;

/// An idempotent producer's batch of `records` records from sequence `seq`.
fn batch(pid: i64, epoch: i16, seq: i32, records: usize) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(0);
    for i in 0..records {
        b.append(NOW, None, Some(format!("v{seq}-{i}").as_bytes()), vec![]);
    }
    let mut batch = b.build();
    batch.producer_id = pid;
    batch.producer_epoch = epoch;
    batch.base_sequence = seq;
    batch.encode()
}

fn open(dir: &std::path::Path) -> Broker {
    let config = BrokerConfig {
        log_dir: dir.to_path_buf(),
        ..BrokerConfig::default()
    };
    let mut broker = Broker::open(config, NOW).unwrap();
    broker.set_producer_states(Idempotence::new());
    broker
}

/// Produces one batch to orders-0: (error, base offset).
fn produce(broker: &mut Broker, records: Vec<u8>) -> (ErrorCode, i64) {
    let request = ProduceRequest {
        transactional_id: None,
        acks: 1,
        timeout_ms: 1000,
        topics: vec![ProduceTopic {
            name: "orders".into(),
            partitions: vec![ProducePartition {
                index: 0,
                records: Some(records),
            }],
        }],
    };
    let p = &broker.produce(&request, NOW).responses[0].partitions[0];
    (p.error_code, p.base_offset)
}

#[test]
fn step1_the_broker_drops_a_retry_and_refuses_a_gap_and_a_zombie() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = open(dir.path());
    broker.create_topic("orders", 1, NOW).unwrap();
    assert_eq!(
        produce(&mut broker, batch(7, 0, 0, 3)),
        (ErrorCode::None, 0)
    );
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 2)),
        (ErrorCode::None, 3)
    );
    // The retry of the first batch: its original offset, nothing appended.
    assert_eq!(
        produce(&mut broker, batch(7, 0, 0, 3)),
        (ErrorCode::None, 0)
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 5);
    // A gap: sequence 6 after 4.
    let (code, _) = produce(&mut broker, batch(7, 0, 6, 1));
    assert_eq!(code, ErrorCode::OutOfOrderSequenceNumber);
    // A new epoch fences the old one.
    assert_eq!(
        produce(&mut broker, batch(7, 1, 0, 1)),
        (ErrorCode::None, 5)
    );
    let (code, _) = produce(&mut broker, batch(7, 0, 5, 1));
    assert_eq!(code, ErrorCode::InvalidProducerEpoch);
    // A producer without an id is never checked.
    assert_eq!(
        produce(&mut broker, batch(-1, -1, -1, 1)),
        (ErrorCode::None, 6)
    );
    assert_eq!(
        produce(&mut broker, batch(-1, -1, -1, 1)),
        (ErrorCode::None, 7)
    );
    assert_eq!(broker.partition("orders", 0).unwrap().log_end_offset(), 8);
}

#[test]
fn step1_producer_state_survives_a_restart_with_or_without_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = open(dir.path());
    broker.create_topic("orders", 1, NOW).unwrap();
    produce(&mut broker, batch(7, 0, 0, 3));
    produce(&mut broker, batch(7, 0, 3, 2));
    broker.flush_all().unwrap();
    drop(broker);
    let partition_dir = dir.path().join("orders-0");
    assert!(
        partition_dir.join("00000000000000000005.snapshot").exists(),
        "a clean shutdown writes <log end>.snapshot"
    );

    // From the snapshot: the last batch's retry is still a duplicate, a gap still a gap.
    let mut broker = open(dir.path());
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 2)),
        (ErrorCode::None, 3)
    );
    let (code, _) = produce(&mut broker, batch(7, 0, 9, 1));
    assert_eq!(code, ErrorCode::OutOfOrderSequenceNumber);
    drop(broker);

    // Without snapshots (a crash): the log is replayed.
    for e in std::fs::read_dir(&partition_dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "snapshot") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let mut broker = open(dir.path());
    assert_eq!(
        produce(&mut broker, batch(7, 0, 3, 2)),
        (ErrorCode::None, 3)
    );
    assert_eq!(
        produce(&mut broker, batch(7, 0, 5, 1)),
        (ErrorCode::None, 5)
    );
}
