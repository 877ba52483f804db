//! Shared by the broker tests: lab 05's broker with lab 14's producer state, and an idempotent
//! producer's batches.

use lab01_record_batch::RecordBatchBuilder;
use lab04_protocol_codec::{ErrorCode, ProducePartition, ProduceRequest, ProduceTopic};
use lab05_broker::{Broker, BrokerConfig};
use lab14_exactly_once::partition_producers::Idempotence;

pub const NOW: i64 = 1_700_000_000_000;

/// An idempotent producer's batch of `records` records from sequence `seq`.
pub fn batch(pid: i64, epoch: i16, seq: i32, records: usize) -> Vec<u8> {
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

pub fn open(dir: &std::path::Path) -> Broker {
    let config = BrokerConfig {
        log_dir: dir.to_path_buf(),
        ..BrokerConfig::default()
    };
    let mut broker = Broker::open(config, NOW).unwrap();
    broker.set_producer_states(Idempotence::new());
    broker
}

/// Produces one batch to orders-0: (error, base offset).
pub fn produce(broker: &mut Broker, records: Vec<u8>) -> (ErrorCode, i64) {
    let mut request = ProduceRequest {
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
    let p = &broker.produce(&mut request, NOW).responses[0].partitions[0];
    (p.error_code, p.base_offset)
}
