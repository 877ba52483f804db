//! Step 2: reading a log — ZooKeeper's own, whole; ours, cut anywhere — stops at the first
//! damaged record and keeps everything before it.

use lab08_znodes::proto::Op;
use lab08_znodes::txn::{LoggedTxn, Txn};
use lab08_znodes::Code;
use lab09_persistence::txn_log::{encode, file_header, frame, read_records};

const ZK_LOG: &[u8] = include_bytes!("data/zk38-log.1");

#[test]
fn step2_zookeepers_own_log_reads_whole() {
    let read = read_records(ZK_LOG);
    assert_eq!(
        read.torn, None,
        "the zeros after the last record end the log"
    );
    let zxids: Vec<i64> = read.txns.iter().map(|t| t.zxid).collect();
    assert_eq!(zxids, (1..=0x11).collect::<Vec<_>>());
    let session = 0x0100_0005_6e68_0000;
    assert_eq!(
        read.txns[0].txn,
        Txn::CreateSession {
            session,
            timeout_ms: 10_000
        }
    );
    // create /app/seq- (sequential): the name it got, and its parent's count of creates.
    let Txn::Request {
        op: Op::Create { path, flags, .. },
        parent_cversions,
        ..
    } = &read.txns[2].txn
    else {
        panic!("{:?}", read.txns[2])
    };
    assert_eq!(
        (path.as_str(), *flags, parent_cversions.as_slice()),
        ("/app/seq-0000000000", 0, &[1][..])
    );
    // setData's record holds the version it made (1); we expect the one it replaced.
    assert!(matches!(
        &read.txns[5].txn,
        Txn::Request { op: Op::SetData { path, version: 0, .. }, .. } if path == "/app"
    ));
    assert_eq!(
        read.txns[8].txn,
        Txn::Error {
            session,
            code: Code::NodeExists
        }
    );
    let Txn::Request {
        op: Op::Multi(ops), ..
    } = &read.txns[9].txn
    else {
        panic!("{:?}", read.txns[9])
    };
    assert_eq!(ops.len(), 4, "create, setData, check, delete");
    assert_eq!(
        read.txns[10].txn,
        Txn::MultiError {
            session,
            codes: vec![0, Code::NoNode.code()]
        }
    );
    assert_eq!(
        read.txns[14].txn,
        Txn::CloseSession {
            session: session + 1,
            ephemerals: vec!["/app/eph-seq-0000000005".into(), "/app/eph".into()],
        }
    );
}

fn log(n: i64) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = file_header();
    let mut ends = vec![bytes.len()];
    for zxid in 1..=n {
        let t = LoggedTxn {
            zxid,
            cxid: 0,
            time_ms: zxid * 10,
            txn: Txn::CloseSession {
                session: zxid,
                ephemerals: vec![format!("/e{zxid}")],
            },
        };
        bytes.extend_from_slice(&frame(&encode(&t)));
        ends.push(bytes.len());
    }
    (bytes, ends)
}

#[test]
fn step2_a_whole_log_reads_whole_and_zeros_end_it() {
    let (mut bytes, _) = log(5);
    let len = bytes.len() as u64;
    let read = read_records(&bytes);
    assert_eq!(read.txns.len(), 5);
    assert_eq!((read.valid_len, read.torn), (len, None));
    bytes.resize(bytes.len() + 4096, 0); // preallocated
    let read = read_records(&bytes);
    assert_eq!((read.txns.len(), read.valid_len, read.torn), (5, len, None));
}

#[test]
fn step2_every_cut_keeps_the_whole_records_before_it() {
    let (bytes, ends) = log(4);
    for cut in 16..bytes.len() {
        let read = read_records(&bytes[..cut]);
        let whole = ends.iter().filter(|e| **e <= cut).count() - 1;
        assert_eq!(read.txns.len(), whole, "cut at {cut}");
        assert_eq!(read.valid_len, ends[whole] as u64, "cut at {cut}");
        assert_eq!(read.torn.is_some(), !ends.contains(&cut), "cut at {cut}");
    }
}

#[test]
fn step2_a_flipped_byte_or_a_missing_b_is_caught() {
    let (bytes, ends) = log(3);
    let mut flipped = bytes.clone();
    flipped[ends[1] + 30] ^= 0x40; // inside the second record's entry
    let read = read_records(&flipped);
    assert_eq!((read.txns.len(), read.valid_len), (1, ends[1] as u64));
    assert!(read.torn.unwrap().contains("checksum"));
    let mut no_b = bytes.clone();
    no_b[ends[2] - 1] = 0;
    let read = read_records(&no_b);
    assert_eq!((read.txns.len(), read.valid_len), (1, ends[1] as u64));
    assert!(read.torn.is_some());
}

#[test]
fn step2_a_file_that_is_not_a_zookeeper_log_reads_nothing() {
    let (mut bytes, _) = log(2);
    bytes[0] = b'X';
    let read = read_records(&bytes);
    assert_eq!((read.txns.len(), read.valid_len), (0, 0));
    assert!(read.torn.unwrap().contains("ZKLG"));
}
