//! Step 5: a partition with an aborted and a committed transaction, read by both isolation
//! levels — the leader's LSO and `.txnindex`, then the consumer's filtering.

use lab01_record_batch::{BatchAttributes, Record, RecordBatch};
use lab14_exactly_once::control_batch::{marker_batch, ControlRecordType, EndTransactionMarker};
use lab14_exactly_once::last_stable_offset::last_stable_offset;
use lab14_exactly_once::producer_state_manager::{ProducerBatch, ProducerStateManager};
use lab14_exactly_once::read_committed::{
    fetch_upper_bound, filter_batches, AbortedTransaction, IsolationLevel,
};
use lab14_exactly_once::txn_index::{AbortedTxn, TransactionIndex};

fn data(offset: i64, pid: i64, seq: i32, transactional: bool, value: &str) -> RecordBatch {
    RecordBatch {
        base_offset: offset,
        partition_leader_epoch: 0,
        attributes: BatchAttributes {
            transactional,
            ..BatchAttributes::default()
        },
        last_offset_delta: 0,
        base_timestamp: 0,
        max_timestamp: 0,
        producer_id: pid,
        producer_epoch: 0,
        base_sequence: seq,
        records: vec![Record {
            attributes: 0,
            timestamp_delta: 0,
            offset_delta: 0,
            key: None,
            value: Some(value.as_bytes().to_vec()),
            headers: vec![],
        }],
    }
}

fn values(batches: &[&RecordBatch]) -> Vec<String> {
    batches
        .iter()
        .map(|b| String::from_utf8(b.records[0].value.clone().unwrap()).unwrap())
        .collect()
}

/// The leader appends batches, keeps producer state, the LSO and the `.txnindex`.
struct Leader {
    log: Vec<RecordBatch>,
    state: ProducerStateManager,
    index: TransactionIndex,
}

impl Leader {
    fn append(&mut self, b: RecordBatch) {
        let offset = self.log.len() as i64;
        let b = RecordBatch {
            base_offset: offset,
            ..b
        };
        self.state.update(
            &ProducerBatch::from_header(
                &lab01_record_batch::record_batch::BatchHeader::parse(&b.encode()).unwrap(),
            ),
            offset,
        );
        self.log.push(b);
    }
    fn end(&mut self, pid: i64, commit: bool) {
        let offset = self.log.len() as i64;
        let control_type = if commit {
            ControlRecordType::Commit
        } else {
            ControlRecordType::Abort
        };
        let m = EndTransactionMarker {
            control_type,
            coordinator_epoch: 0,
        };
        let done = self
            .state
            .append_end_txn_marker(pid, 0, m, offset)
            .unwrap()
            .unwrap();
        if done.is_aborted {
            let lso = self.state.last_stable_offset_after(&done);
            self.index
                .append(AbortedTxn {
                    producer_id: pid,
                    first_offset: done.first_offset,
                    last_offset: offset,
                    last_stable_offset: lso,
                })
                .unwrap();
        }
        self.log.push(marker_batch(offset, 0, pid, 0, m));
    }
    fn lso(&self) -> i64 {
        last_stable_offset(self.state.first_unstable_offset(), self.log.len() as i64)
    }
}

#[test]
fn step5_read_committed_sees_committed_records_only() {
    let mut l = Leader {
        log: vec![],
        state: ProducerStateManager::new(),
        index: TransactionIndex::default(),
    };
    l.append(data(0, 1, 0, true, "a1")); // 0: producer 1, will abort
    l.append(data(0, 2, 0, true, "b1")); // 1: producer 2, will commit
    l.append(data(0, -1, -1, false, "plain")); // 2: no transaction
    assert_eq!(l.lso(), 0);
    l.end(1, false); // 3: abort marker for 1
    assert_eq!(l.lso(), 1, "b1 is still open");
    l.append(data(0, 1, 1, true, "a2")); // 4: producer 1's next transaction
    l.end(2, true); // 5
    assert_eq!(l.lso(), 4, "a2 is open");
    l.end(1, true); // 6
    let hw = l.log.len() as i64;
    assert_eq!(l.lso(), hw);

    let upper = fetch_upper_bound(IsolationLevel::ReadCommitted, hw, l.lso());
    let found = l.index.collect_aborted_txns(0, upper);
    assert_eq!(
        found.aborted,
        vec![AbortedTxn {
            producer_id: 1,
            first_offset: 0,
            last_offset: 3,
            last_stable_offset: 1
        }]
    );
    let aborted: Vec<AbortedTransaction> = found
        .aborted
        .iter()
        .map(|a| AbortedTransaction {
            producer_id: a.producer_id,
            first_offset: a.first_offset,
        })
        .collect();

    let committed = filter_batches(
        IsolationLevel::ReadCommitted,
        &l.log[..upper as usize],
        &aborted,
    )
    .unwrap();
    assert_eq!(values(&committed), ["b1", "plain", "a2"]);
    let all = filter_batches(IsolationLevel::ReadUncommitted, &l.log, &[]).unwrap();
    assert_eq!(
        values(&all),
        ["a1", "b1", "plain", "a2"],
        "control batches are never returned"
    );
}

#[test]
fn step5_a_read_committed_fetch_stops_at_the_lso() {
    assert_eq!(fetch_upper_bound(IsolationLevel::ReadCommitted, 10, 4), 4);
    assert_eq!(
        fetch_upper_bound(IsolationLevel::ReadUncommitted, 10, 4),
        10
    );
    // Pin step 5: the bound comes from the LSO of an open transaction.
    let mut s = ProducerStateManager::new();
    s.update(
        &ProducerBatch {
            producer_id: 1,
            producer_epoch: 0,
            base_sequence: 0,
            last_offset_delta: 0,
            max_timestamp: 0,
            is_transactional: true,
        },
        4,
    );
    assert_eq!(last_stable_offset(s.first_unstable_offset(), 10), 4);
}
