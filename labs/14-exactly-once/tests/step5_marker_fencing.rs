//! A partition leader refuses a marker from a transaction coordinator older than the one that
//! wrote the producer's last marker (Kafka 2.6's `ProducerAppendInfo.appendEndTxnMarker`:
//! TRANSACTION_COORDINATOR_FENCED), and one of an older producer epoch. The coordinator epoch
//! is the leader epoch of the coordinator's `__transaction_state` partition: a coordinator
//! that lost its partition, and still sends the markers it queued, is turned away.

mod broker_support;

use broker_support::{batch, open, produce, NOW};
use lab04_protocol_codec::ErrorCode;
use lab05_broker::{Broker, ProducerCheck};
use lab14_exactly_once::control_batch::{marker_batch, ControlRecordType, EndTransactionMarker};

fn write_marker(broker: &mut Broker, pid: i64, epoch: i16, coordinator_epoch: i32) {
    let marker = EndTransactionMarker {
        control_type: ControlRecordType::Commit,
        coordinator_epoch,
    };
    let mut bytes = marker_batch(0, NOW, pid, epoch, marker).encode();
    let partition = broker.partition_mut("orders", 0).unwrap();
    partition.append_as_leader(&mut bytes, NOW).unwrap();
}

fn check(broker: &Broker, pid: i64, epoch: i16, coordinator_epoch: i32) -> ProducerCheck {
    let partition = broker.partition("orders", 0).unwrap();
    partition.check_marker(pid, epoch, coordinator_epoch)
}

#[test]
fn step5_a_marker_from_an_older_coordinator_epoch_is_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = open(dir.path());
    broker.create_topic("orders", 1, NOW).unwrap();
    assert_eq!(produce(&mut broker, batch(7, 0, 0, 2)).0, ErrorCode::None);
    write_marker(&mut broker, 7, 0, 3);

    let fenced = ProducerCheck::Refuse(ErrorCode::TransactionCoordinatorFenced);
    assert_eq!(check(&broker, 7, 0, 2), fenced, "coordinator epoch 2 < 3");
    assert_eq!(
        check(&broker, 7, 0, 3),
        ProducerCheck::Append,
        "the same coordinator"
    );
    assert_eq!(
        check(&broker, 7, 0, 4),
        ProducerCheck::Append,
        "a newer coordinator"
    );
    assert_eq!(
        check(&broker, 8, 0, 0),
        ProducerCheck::Append,
        "another producer has its own coordinator epoch"
    );

    // A newer producer epoch's marker: the older epoch is refused whatever its coordinator.
    write_marker(&mut broker, 7, 1, 4);
    assert_eq!(
        check(&broker, 7, 0, 9),
        ProducerCheck::Refuse(ErrorCode::InvalidProducerEpoch)
    );

    // After a restart (a replay of the log, or the snapshot) the leader still remembers.
    broker.flush_all().unwrap();
    drop(broker);
    let broker = open(dir.path());
    assert_eq!(
        check(&broker, 7, 1, 3),
        fenced,
        "remembered across a restart"
    );
    assert_eq!(check(&broker, 7, 1, 4), ProducerCheck::Append);
}
