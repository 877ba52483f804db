//! Step 3: the transaction state machine of `TransactionMetadata`, and the coordinator's
//! configuration checks of `TransactionStateManager`.

use lab14_exactly_once::errors::Errors;
use lab14_exactly_once::transaction_metadata::{TransactionMetadata, TransactionState::*};
use lab14_exactly_once::transaction_state_manager::{TransactionConfig, TransactionStateManager};

fn tp(t: &str, p: i32) -> (String, i32) {
    (t.to_string(), p)
}

#[test]
fn step3_valid_transitions_are_kafkas() {
    assert!(PrepareCommit.valid_previous_states() == [Ongoing]);
    assert!(PrepareAbort
        .valid_previous_states()
        .contains(&PrepareEpochFence));
    assert!(!CompleteCommit
        .valid_previous_states()
        .contains(&PrepareAbort));
    assert!(Ongoing.valid_previous_states().contains(&CompleteAbort));
    assert!(
        !Empty.valid_previous_states().contains(&Ongoing),
        "InitProducerId never skips an open txn"
    );
}

#[test]
fn step3_a_whole_transaction_in_two_halves_per_step() {
    let mut m = TransactionMetadata::new("tx", 1000, 60_000, 0);
    let t = m.prepare_increment_producer_epoch(60_000, 2000, 1).unwrap();
    assert_eq!((t.producer_epoch, t.txn_state), (0, Empty));
    // While a write is pending every other change waits.
    assert_eq!(
        m.prepare_add_partitions(&[tp("o", 0)], 2),
        Err(Errors::ConcurrentTransactions)
    );
    m.complete_transition(&t);
    assert_eq!((m.producer_epoch, m.pending_state), (0, None));

    let t = m
        .prepare_add_partitions(&[tp("o", 0), tp("o", 1)], 5)
        .unwrap();
    m.complete_transition(&t);
    let t = m.prepare_add_partitions(&[tp("p", 0)], 9).unwrap();
    m.complete_transition(&t);
    assert_eq!(
        (m.state, m.txn_start_timestamp, m.topic_partitions.len()),
        (Ongoing, 5, 3)
    );

    assert_eq!(
        m.prepare_complete(10),
        Err(Errors::InvalidTxnState),
        "Ongoing cannot complete"
    );
    let t = m.prepare_abort_or_commit(PrepareCommit, 0, 10).unwrap();
    m.complete_transition(&t);
    let t = m.prepare_complete(11).unwrap();
    assert_eq!((t.txn_state, t.topic_partitions.len()), (CompleteCommit, 0));
    m.abort_transition();
    assert_eq!(
        m.state, PrepareCommit,
        "a failed write leaves the state as it was"
    );
    let t = m.prepare_complete(12).unwrap();
    m.complete_transition(&t);
    assert_eq!(m.state, CompleteCommit);

    let t = m
        .prepare_increment_producer_epoch(30_000, 2000, 13)
        .unwrap();
    assert_eq!(
        (t.producer_epoch, t.last_producer_epoch, t.txn_timeout_ms),
        (1, 0, 30_000)
    );
}

#[test]
fn step3_an_exhausted_epoch_gets_a_new_producer_id() {
    let mut m = TransactionMetadata::new("tx", 1000, 60_000, 0);
    m.producer_epoch = i16::MAX - 1;
    let t = m.prepare_increment_producer_epoch(60_000, 2000, 1).unwrap();
    assert_eq!(
        (t.producer_id, t.producer_epoch, t.last_producer_id),
        (2000, 0, 1000)
    );
}

#[test]
fn step3_transaction_timeout_is_checked_and_expired_ones_are_found() {
    let mut m = TransactionStateManager::new(TransactionConfig::default());
    assert!(m.validate_transaction_timeout(900_000));
    assert!(!m.validate_transaction_timeout(900_001));
    assert!(!m.validate_transaction_timeout(0));
    let mut a = TransactionMetadata::new("a", 1, 1_000, 0);
    let t = a.prepare_add_partitions(&[tp("o", 0)], 100).unwrap();
    a.complete_transition(&t);
    m.transactions.insert("a".into(), a.clone());
    m.transactions
        .insert("b".into(), TransactionMetadata::new("b", 2, 1_000, 0));
    assert!(
        m.timed_out_transactions(1_100).is_empty(),
        "exactly at the timeout is not past it"
    );
    assert_eq!(m.timed_out_transactions(1_101), vec!["a".to_string()]);
    a.pending_state = Some(PrepareAbort);
    m.transactions.insert("a".into(), a);
    assert!(
        m.timed_out_transactions(5_000).is_empty(),
        "an abort already under way"
    );
}
