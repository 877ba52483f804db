//! Step 1: `ProducerStateManager` — duplicates, gaps, zombies and wrap-around, as Kafka 2.6's
//! `ProducerStateManagerTest` checks them.

use lab14_exactly_once::errors::Errors;
use lab14_exactly_once::producer_state_manager::{
    decrement_sequence, increment_sequence, AppendDecision, ProducerBatch, ProducerStateManager,
    NUM_BATCHES_TO_RETAIN,
};

fn batch(pid: i64, epoch: i16, seq: i32, records: i32) -> ProducerBatch {
    ProducerBatch {
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
        last_offset_delta: records - 1,
        max_timestamp: 1_000,
        is_transactional: false,
    }
}

/// Checks, then appends at `offset` like a leader would; returns the decision.
fn produce(
    s: &mut ProducerStateManager,
    b: ProducerBatch,
    offset: i64,
) -> Result<AppendDecision, Errors> {
    let d = s.analyze(&b)?;
    if d == AppendDecision::Append {
        s.update(&b, offset);
    }
    Ok(d)
}

#[test]
fn step1_sequences_wrap_past_i32_max() {
    assert_eq!(increment_sequence(5, 3), 8);
    assert_eq!(increment_sequence(i32::MAX, 1), 0);
    assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
    assert_eq!(decrement_sequence(1, 3), i32::MAX - 1);
    assert_eq!(decrement_sequence(8, 3), 5);
    assert_eq!(batch(1, 0, i32::MAX - 1, 4).last_sequence(), 1);
}

#[test]
fn step1_a_retried_batch_gets_its_original_offsets_and_is_not_appended() {
    let mut s = ProducerStateManager::new();
    assert_eq!(
        produce(&mut s, batch(7, 0, 0, 3), 100),
        Ok(AppendDecision::Append)
    );
    assert_eq!(
        produce(&mut s, batch(7, 0, 3, 2), 103),
        Ok(AppendDecision::Append)
    );
    // The retry of the first batch: same epoch, same sequence range.
    match produce(&mut s, batch(7, 0, 0, 3), 105) {
        Ok(AppendDecision::Duplicate(m)) => {
            assert_eq!((m.first_offset(), m.last_offset), (100, 102));
            assert_eq!((m.first_seq(), m.last_seq), (0, 2));
        }
        other => panic!("a retry must be a duplicate, got {other:?}"),
    }
    assert_eq!(
        s.entry(7).unwrap().last_data_offset(),
        104,
        "the duplicate was not appended"
    );
    assert_eq!(s.map_end_offset, 105);
}

#[test]
fn step1_only_the_last_five_batches_are_remembered() {
    let mut s = ProducerStateManager::new();
    for i in 0..7 {
        produce(&mut s, batch(7, 0, i, 1), i64::from(i)).unwrap();
    }
    let e = s.entry(7).unwrap();
    assert_eq!(e.batch_metadata.len(), NUM_BATCHES_TO_RETAIN);
    assert_eq!(e.batch_metadata.front().unwrap().last_seq, 2);
    // Seq 1 is forgotten: it is no duplicate any more but out of order.
    assert_eq!(
        produce(&mut s, batch(7, 0, 1, 1), 7),
        Err(Errors::OutOfOrderSequenceNumber)
    );
    assert!(matches!(
        produce(&mut s, batch(7, 0, 2, 1), 7),
        Ok(AppendDecision::Duplicate(_))
    ));
}

#[test]
fn step1_a_gap_is_out_of_order() {
    let mut s = ProducerStateManager::new();
    produce(&mut s, batch(7, 0, 0, 2), 0).unwrap();
    assert_eq!(
        produce(&mut s, batch(7, 0, 3, 1), 2),
        Err(Errors::OutOfOrderSequenceNumber)
    );
    assert_eq!(
        produce(&mut s, batch(7, 0, 2, 1), 2),
        Ok(AppendDecision::Append)
    );
}

#[test]
fn step1_old_epoch_is_fenced_and_a_new_epoch_starts_at_zero() {
    let mut s = ProducerStateManager::new();
    produce(&mut s, batch(7, 3, 0, 2), 0).unwrap();
    assert_eq!(
        produce(&mut s, batch(7, 2, 2, 1), 2),
        Err(Errors::InvalidProducerEpoch)
    );
    assert_eq!(
        produce(&mut s, batch(7, 4, 5, 1), 2),
        Err(Errors::OutOfOrderSequenceNumber)
    );
    assert_eq!(
        produce(&mut s, batch(7, 4, 0, 1), 2),
        Ok(AppendDecision::Append)
    );
    assert_eq!(s.entry(7).unwrap().producer_epoch, 4);
    assert_eq!(
        s.entry(7).unwrap().batch_metadata.len(),
        1,
        "a new epoch forgets the old batches"
    );
}

#[test]
fn step1_unknown_producer_must_start_at_zero() {
    let s = ProducerStateManager::new();
    assert_eq!(
        s.analyze(&batch(9, 0, 5, 1)),
        Err(Errors::UnknownProducerId)
    );
    assert_eq!(s.analyze(&batch(9, 0, 0, 1)), Ok(AppendDecision::Append));
    // A batch without a producer id is not idempotent: always appended.
    assert_eq!(s.analyze(&batch(-1, -1, -1, 1)), Ok(AppendDecision::Append));
}

#[test]
fn step1_sequence_continues_across_the_wrap() {
    let mut s = ProducerStateManager::new();
    produce(&mut s, batch(7, 0, 0, 1), 0).unwrap();
    // Pretend the producer has sent 2^31 - 2 records: its next batch ends at i32::MAX.
    s.producers
        .get_mut(&7)
        .unwrap()
        .batch_metadata
        .back_mut()
        .unwrap()
        .last_seq = i32::MAX - 2;
    assert_eq!(
        produce(&mut s, batch(7, 0, i32::MAX - 1, 2), 1),
        Ok(AppendDecision::Append)
    );
    assert_eq!(s.entry(7).unwrap().last_seq(), i32::MAX);
    assert_eq!(
        produce(&mut s, batch(7, 0, 0, 1), 3),
        Ok(AppendDecision::Append)
    );
    assert!(matches!(
        produce(&mut s, batch(7, 0, i32::MAX - 1, 2), 4),
        Ok(AppendDecision::Duplicate(_))
    ));
}
