//! Step 1: a log record as ZooKeeper's `FileTxnLog` writes it — Adler-32 checksum, the entry as
//! a buffer, the end-of-record byte — checked against a log Debian's ZooKeeper 3.8 wrote
//! (`tests/data/zk38-log.1`, made by `tests/data/capture.sh`).

use lab08_znodes::proto::Op;
use lab08_znodes::stat::Acl;
use lab08_znodes::txn::{LoggedTxn, Txn};
use lab08_znodes::Code;
use lab09_persistence::txn_log::{decode, encode, frame, HEADER_LEN};

const ZK_LOG: &[u8] = include_bytes!("data/zk38-log.1");

/// The records of ZooKeeper's log, found by their length fields: (record bytes, entry bytes).
fn zookeeper_records() -> Vec<(&'static [u8], &'static [u8])> {
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    loop {
        let len = i32::from_be_bytes(ZK_LOG[at + 8..at + 12].try_into().unwrap()) as usize;
        if len == 0 {
            return out;
        }
        out.push((
            &ZK_LOG[at..at + 12 + len + 1],
            &ZK_LOG[at + 12..at + 12 + len],
        ));
        at += 12 + len + 1;
    }
}

#[test]
fn step1_frame_writes_zookeepers_own_bytes_for_every_record() {
    let records = zookeeper_records();
    assert_eq!(records.len(), 17, "capture.py's 17 transactions");
    for (record, entry) in records {
        assert_eq!(frame(entry), record);
    }
}

#[test]
fn step1_a_record_is_adler32_buffer_and_b() {
    // Adler-32 of "Wikipedia" is 0x11E60398 (the usual worked example).
    let mut expected = vec![0, 0, 0, 0, 0x11, 0xE6, 0x03, 0x98, 0, 0, 0, 9];
    expected.extend_from_slice(b"Wikipedia");
    expected.push(b'B');
    assert_eq!(frame(b"Wikipedia"), expected);
}

fn txns() -> Vec<LoggedTxn> {
    let t = |zxid, txn| LoggedTxn {
        zxid,
        cxid: zxid as i32 + 40,
        time_ms: 1_700_000_000_000 + zxid,
        txn,
    };
    vec![
        t(
            1,
            Txn::CreateSession {
                session: 0x77,
                timeout_ms: 30_000,
            },
        ),
        t(
            2,
            Txn::Request {
                session: 0x77,
                op: Op::Create {
                    path: "/a0000000000".into(),
                    data: b"x".to_vec(),
                    acl: vec![Acl::open()],
                    flags: 1,
                    with_stat: true,
                },
                parent_cversions: vec![1],
            },
        ),
        t(
            3,
            Txn::Request {
                session: 0x77,
                op: Op::Multi(vec![
                    Op::SetData {
                        path: "/a".into(),
                        data: b"y".to_vec(),
                        version: 0,
                    },
                    Op::Check {
                        path: "/a".into(),
                        version: 1,
                    },
                    Op::Create {
                        path: "/c".into(),
                        data: vec![],
                        acl: vec![Acl::open()],
                        flags: 4,
                        with_stat: false,
                    },
                    Op::Delete {
                        path: "/b".into(),
                        version: -1,
                    },
                    Op::SetAcl {
                        path: "/a".into(),
                        acl: vec![Acl::open()],
                        version: 3,
                    },
                ]),
                parent_cversions: vec![2],
            },
        ),
        t(
            4,
            Txn::Error {
                session: 0x77,
                code: Code::BadVersion,
            },
        ),
        t(
            5,
            Txn::MultiError {
                session: 0x77,
                codes: vec![0, -101, -2],
            },
        ),
        t(
            6,
            Txn::CloseSession {
                session: 0x77,
                ephemerals: vec!["/a0000000000".into()],
            },
        ),
    ]
}

#[test]
fn step1_every_transaction_round_trips_through_a_record() {
    for t in txns() {
        let record = frame(&encode(&t));
        let entry = &record[12..record.len() - 1];
        assert_eq!(decode(entry).unwrap(), t, "the entry inside the record");
    }
}

#[test]
fn step1_an_error_txn_is_a_txn_header_and_its_code() {
    // ZooKeeper's ErrorTxn: a refused write still takes its zxid in the log.
    let record = frame(&encode(&txns()[3]));
    let mut entry = Vec::new();
    entry.extend_from_slice(&0x77i64.to_be_bytes()); // clientId
    entry.extend_from_slice(&44i32.to_be_bytes()); // cxid: the client's xid
    entry.extend_from_slice(&4i64.to_be_bytes()); // zxid
    entry.extend_from_slice(&1_700_000_000_004i64.to_be_bytes()); // time
    entry.extend_from_slice(&(-1i32).to_be_bytes()); // type: error
    entry.extend_from_slice(&(-103i32).to_be_bytes()); // BADVERSION
    assert_eq!(&record[8..12], &(entry.len() as i32).to_be_bytes());
    assert_eq!(&record[12..record.len() - 1], &entry[..]);
}
