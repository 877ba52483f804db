//! Step 1: a log record — length, CRC-32C, payload — for every kind of transaction.

use lab08_znodes::proto::Op;
use lab08_znodes::stat::Acl;
use lab08_znodes::txn::{LoggedTxn, Txn};
use lab08_znodes::Code;
use lab09_persistence::txn_log::{decode, encode, frame};

fn txns() -> Vec<LoggedTxn> {
    vec![
        LoggedTxn {
            zxid: 1,
            time_ms: 10,
            txn: Txn::CreateSession {
                session: 0x77,
                passwd: vec![1; 16],
                timeout_ms: 30_000,
            },
        },
        LoggedTxn {
            zxid: 2,
            time_ms: 11,
            txn: Txn::Request {
                session: 0x77,
                op: Op::Create {
                    path: "/a".into(),
                    data: b"x".to_vec(),
                    acl: vec![Acl::open()],
                    flags: 2,
                    with_stat: true,
                },
            },
        },
        LoggedTxn {
            zxid: 3,
            time_ms: 12,
            txn: Txn::Request {
                session: 0x77,
                op: Op::Multi(vec![
                    Op::SetData {
                        path: "/a".into(),
                        data: b"y".to_vec(),
                        version: 0,
                    },
                    Op::Delete {
                        path: "/b".into(),
                        version: -1,
                    },
                ]),
            },
        },
        LoggedTxn {
            zxid: 4,
            time_ms: 13,
            txn: Txn::Error {
                session: 0x77,
                code: Code::BadVersion,
            },
        },
        LoggedTxn {
            zxid: 5,
            time_ms: 14,
            txn: Txn::CloseSession { session: 0x77 },
        },
    ]
}

#[test]
fn step1_a_record_is_length_crc_payload() {
    let payload = encode(&txns()[0]);
    let record = frame(&payload);
    assert_eq!(&record[0..4], &(payload.len() as u32).to_be_bytes());
    assert_eq!(&record[4..8], &crc32c::crc32c(&payload).to_be_bytes());
    assert_eq!(&record[8..], &payload[..]);
}

#[test]
fn step1_an_error_txn_is_session_and_code() {
    // ZooKeeper's ErrorTxn: a refused write still takes its zxid in the log.
    let payload = encode(&txns()[3]);
    let mut expected = Vec::new();
    expected.extend_from_slice(&4i64.to_be_bytes()); // zxid
    expected.extend_from_slice(&13i64.to_be_bytes()); // time
    expected.extend_from_slice(&4i32.to_be_bytes()); // type 4: error
    expected.extend_from_slice(&0x77i64.to_be_bytes());
    expected.extend_from_slice(&(-103i32).to_be_bytes()); // BADVERSION
    assert_eq!(payload, expected);
    let record = frame(&payload);
    assert_eq!(&record[0..4], &(payload.len() as u32).to_be_bytes());
}

#[test]
fn step1_every_transaction_round_trips_through_a_record() {
    for t in txns() {
        let record = frame(&encode(&t));
        assert_eq!(
            decode(&record[8..]).unwrap(),
            t,
            "the payload after the 8-byte frame header"
        );
    }
}
