//! Step 3: `__transaction_state`'s key and value exactly as Kafka 2.6's `TransactionLog`
//! writes them, the id's partition, and a coordinator loading a partition.

use std::collections::BTreeSet;

use lab14_exactly_once::transaction_log::{
    java_string_hash, key_to_bytes, partition_for, read_key, read_value, value_to_bytes,
};
use lab14_exactly_once::transaction_metadata::{TransactionState, TxnTransitMetadata};
use lab14_exactly_once::transaction_state_manager::{TransactionConfig, TransactionStateManager};

fn transit(state: TransactionState, parts: &[(&str, i32)]) -> TxnTransitMetadata {
    TxnTransitMetadata {
        producer_id: 1000,
        last_producer_id: -1,
        producer_epoch: 2,
        last_producer_epoch: -1,
        txn_timeout_ms: 60_000,
        txn_state: state,
        topic_partitions: parts
            .iter()
            .map(|(t, p)| (t.to_string(), *p))
            .collect::<BTreeSet<_>>(),
        txn_start_timestamp: 5,
        txn_last_update_timestamp: 9,
    }
}

#[test]
fn step3_the_partition_of_a_transactional_id() {
    // Values from Java's String.hashCode.
    assert_eq!(java_string_hash("hello"), 99_162_322);
    assert_eq!(java_string_hash("my-transactional-id"), -959_806_496);
    assert_eq!(java_string_hash("txn-한글"), -858_105_241);
    assert_eq!(partition_for("hello", 50), 22);
    assert_eq!(partition_for("my-transactional-id", 50), 46);
    assert_eq!(
        partition_for("polygenelubricants", 50),
        0,
        "hashCode is i32::MIN, Utils.abs gives 0"
    );
}

#[test]
fn step3_key_bytes() {
    assert_eq!(key_to_bytes("tx"), [0, 0, 0, 2, b't', b'x']);
    assert_eq!(read_key(&[0, 0, 0, 2, b't', b'x']).unwrap(), "tx");
    assert!(read_key(&[0, 1, 0, 2, b't', b'x']).is_err());
}

#[test]
fn step3_value_bytes_ongoing_and_empty() {
    let ongoing = transit(TransactionState::Ongoing, &[("o", 1), ("o", 0), ("p", 3)]);
    let expected: Vec<u8> = [
        &[0, 0][..],                     // version 0
        &[0, 0, 0, 0, 0, 0, 0x03, 0xe8], // producer id 1000
        &[0, 2],                         // epoch 2
        &[0, 0, 0xea, 0x60],             // timeout 60000
        &[1],                            // Ongoing
        &[0, 0, 0, 2],                   // two topics
        &[0, 1, b'o', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0, 1, b'p', 0, 0, 0, 1, 0, 0, 0, 3],
        &[0, 0, 0, 0, 0, 0, 0, 9], // last update 9
        &[0, 0, 0, 0, 0, 0, 0, 5], // start 5
    ]
    .concat();
    assert_eq!(value_to_bytes(&ongoing), expected);
    assert_eq!(read_value(Some(&expected)).unwrap(), Some(ongoing));

    let empty = transit(TransactionState::Empty, &[]);
    let bytes = value_to_bytes(&empty);
    assert_eq!(
        bytes[16..21],
        [0, 0xff, 0xff, 0xff, 0xff],
        "status 0, then a null array"
    );
    assert_eq!(read_value(Some(&bytes)).unwrap(), Some(empty));
    assert_eq!(read_value(None).unwrap(), None, "a tombstone");
}

#[test]
fn step3_loading_a_partition_keeps_the_newest_value_and_finds_decided_transactions() {
    let mut m = TransactionStateManager::new(TransactionConfig::default());
    let p = partition_for("hello", 50);
    let rec =
        |id: &str, t: Option<TxnTransitMetadata>| (key_to_bytes(id), t.map(|t| value_to_bytes(&t)));
    let records = vec![
        rec(
            "hello",
            Some(transit(TransactionState::Ongoing, &[("o", 0)])),
        ),
        rec(
            "hello",
            Some(transit(TransactionState::PrepareCommit, &[("o", 0)])),
        ),
        rec(
            "olleh",
            Some(transit(TransactionState::Ongoing, &[("o", 0)])),
        ),
        rec("olleh", None),
    ];
    let pending = m.load_transactions_for_partition(p, 7, &records).unwrap();
    assert_eq!(pending, vec!["hello".to_string()]);
    assert_eq!(
        m.transactions["hello"].state,
        TransactionState::PrepareCommit
    );
    assert!(
        !m.transactions.contains_key("olleh"),
        "a tombstone removes the id"
    );
    assert_eq!(m.coordinator_epoch("hello"), Ok(7));
    assert!(m.coordinator_epoch("polygenelubricants").is_err());
}
