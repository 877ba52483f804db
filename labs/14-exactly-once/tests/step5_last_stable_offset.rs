//! Step 5: markers close transactions on a partition, and the last stable offset follows the
//! oldest open one (the table of `last_stable_offset`'s doc).

use lab14_exactly_once::control_batch::{ControlRecordType, EndTransactionMarker};
use lab14_exactly_once::errors::Errors;
use lab14_exactly_once::last_stable_offset::{last_stable_offset, CompletedTxn};
use lab14_exactly_once::producer_state_manager::{ProducerBatch, ProducerStateManager};

fn txn_batch(pid: i64, seq: i32) -> ProducerBatch {
    ProducerBatch {
        producer_id: pid,
        producer_epoch: 0,
        base_sequence: seq,
        last_offset_delta: 0,
        max_timestamp: 0,
        is_transactional: true,
    }
}

fn marker(commit: bool, coordinator_epoch: i32) -> EndTransactionMarker {
    let control_type = if commit {
        ControlRecordType::Commit
    } else {
        ControlRecordType::Abort
    };
    EndTransactionMarker {
        control_type,
        coordinator_epoch,
    }
}

#[test]
fn step5_the_lso_is_the_oldest_open_transaction() {
    let mut s = ProducerStateManager::new();
    assert_eq!(
        last_stable_offset(s.first_unstable_offset(), 10),
        10,
        "nothing open: the HW"
    );
    s.update(&txn_batch(1, 0), 10); // A1
    s.update(&txn_batch(2, 0), 11); // B1
    s.update(&txn_batch(1, 1), 12); // A2
    s.update(&txn_batch(2, 1), 13); // B2
    assert_eq!(last_stable_offset(s.first_unstable_offset(), 14), 10);
    assert_eq!(
        last_stable_offset(s.first_unstable_offset(), 9),
        9,
        "never above the HW"
    );
    let a = s.append_end_txn_marker(1, 0, marker(true, 0), 14).unwrap();
    assert_eq!(
        a,
        Some(CompletedTxn {
            producer_id: 1,
            first_offset: 10,
            last_offset: 14,
            is_aborted: false
        })
    );
    assert_eq!(
        last_stable_offset(s.first_unstable_offset(), 16),
        11,
        "B is still open"
    );
    let b = s
        .append_end_txn_marker(2, 0, marker(false, 0), 15)
        .unwrap()
        .unwrap();
    assert!(b.is_aborted);
    assert_eq!(s.last_stable_offset_after(&b), 16);
    assert_eq!(last_stable_offset(s.first_unstable_offset(), 16), 16);
    // A marker sent twice closes nothing.
    assert_eq!(
        s.append_end_txn_marker(2, 0, marker(false, 0), 16),
        Ok(None)
    );
}

#[test]
fn step5_markers_of_old_epochs_are_refused() {
    let mut s = ProducerStateManager::new();
    s.update(&txn_batch(1, 0), 0);
    assert_eq!(
        s.append_end_txn_marker(1, 1, marker(false, 5), 1)
            .map(|c| c.is_some()),
        Ok(true)
    );
    assert_eq!(
        s.entry(1).unwrap().producer_epoch,
        1,
        "the fencing abort carries the bumped epoch"
    );
    assert_eq!(
        s.append_end_txn_marker(1, 0, marker(false, 5), 2),
        Err(Errors::InvalidProducerEpoch)
    );
    assert_eq!(
        s.append_end_txn_marker(1, 1, marker(true, 4), 2),
        Err(Errors::TransactionCoordinatorFenced)
    );
    // And the zombie's next batch is refused by step 1's epoch check.
    assert_eq!(
        s.analyze(&txn_batch(1, 1)),
        Err(Errors::InvalidProducerEpoch)
    );
}
