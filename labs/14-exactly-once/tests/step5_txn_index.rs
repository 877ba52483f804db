//! Step 5: the `.txnindex` entries of Kafka 2.6, byte by byte, and the search a fetch makes.

use lab14_exactly_once::errors::Error;
use lab14_exactly_once::txn_index::{AbortedTxn, TransactionIndex, ABORTED_TXN_SIZE};

fn t(pid: i64, first: i64, last: i64, lso: i64) -> AbortedTxn {
    AbortedTxn {
        producer_id: pid,
        first_offset: first,
        last_offset: last,
        last_stable_offset: lso,
    }
}

#[test]
fn step5_an_aborted_txn_is_34_bytes() {
    let bytes = t(1000, 10, 15, 16).to_bytes();
    let expected: Vec<u8> = [
        &[0, 0][..],                     // version 0
        &[0, 0, 0, 0, 0, 0, 0x03, 0xe8], // producer id
        &[0, 0, 0, 0, 0, 0, 0, 10],      // first offset
        &[0, 0, 0, 0, 0, 0, 0, 15],      // last offset
        &[0, 0, 0, 0, 0, 0, 0, 16],      // last stable offset
    ]
    .concat();
    assert_eq!(bytes.to_vec(), expected);
    assert_eq!(ABORTED_TXN_SIZE, 34);
    let mut index = TransactionIndex::default();
    index.append(t(1000, 10, 15, 16)).unwrap();
    index.append(t(7, 20, 22, 23)).unwrap();
    assert!(
        index.append(t(8, 21, 22, 23)).is_err(),
        "last offsets must increase"
    );
    let back = TransactionIndex::from_bytes(&index.to_bytes()).unwrap();
    assert_eq!(back, index);
    assert!(matches!(
        TransactionIndex::from_bytes(&expected[..33]),
        Err(Error::Truncated { .. })
    ));
    let mut v1 = expected.clone();
    v1[1] = 1;
    assert!(matches!(
        TransactionIndex::from_bytes(&v1),
        Err(Error::UnknownVersion { .. })
    ));
}

#[test]
fn step5_a_fetch_collects_the_aborted_transactions_it_overlaps() {
    let index = TransactionIndex {
        entries: vec![t(1, 0, 5, 6), t(2, 3, 9, 10), t(3, 12, 14, 15)],
    };
    let r = index.collect_aborted_txns(6, 13);
    assert_eq!(r.aborted, vec![t(2, 3, 9, 10), t(3, 12, 14, 15)]);
    assert!(r.is_complete, "the third entry's LSO reaches the bound");
    let r = index.collect_aborted_txns(0, 4);
    assert_eq!(r.aborted, vec![t(1, 0, 5, 6)]);
    assert!(r.is_complete);
    let r = index.collect_aborted_txns(15, 40);
    assert!(
        r.aborted.is_empty() && !r.is_complete,
        "the next segment's index must be read"
    );
}
