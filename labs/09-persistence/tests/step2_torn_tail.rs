//! Step 2: reading a log stops at the first damaged record; everything before it is kept.

use lab08_znodes::txn::{LoggedTxn, Txn};
use lab09_persistence::txn_log::{encode, frame, read_records};

fn log(n: i64) -> (Vec<u8>, Vec<usize>) {
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for zxid in 1..=n {
        let t = LoggedTxn {
            zxid,
            time_ms: zxid * 10,
            txn: Txn::CloseSession { session: zxid },
        };
        bytes.extend_from_slice(&frame(&encode(&t)));
        ends.push(bytes.len());
    }
    (bytes, ends)
}

#[test]
fn step2_a_whole_log_reads_whole() {
    let (bytes, _) = log(5);
    let read = read_records(&bytes);
    assert_eq!(read.txns.len(), 5);
    assert_eq!(
        (read.valid_len, read.torn.is_none()),
        (bytes.len() as u64, true)
    );
}

#[test]
fn step2_every_cut_keeps_the_whole_records_before_it() {
    let (bytes, ends) = log(4);
    for cut in 0..bytes.len() {
        let read = read_records(&bytes[..cut]);
        let whole = ends.iter().filter(|e| **e <= cut).count();
        assert_eq!(read.txns.len(), whole, "cut at {cut}");
        assert_eq!(
            read.valid_len,
            if whole == 0 { 0 } else { ends[whole - 1] } as u64
        );
        assert_eq!(
            read.torn.is_some(),
            !ends.contains(&cut) && cut != 0,
            "cut at {cut}"
        );
    }
}

#[test]
fn step2_a_flipped_byte_is_caught_by_the_checksum() {
    let (mut bytes, ends) = log(3);
    bytes[ends[0] + 12] ^= 0x40; // inside the second record's payload
    let read = read_records(&bytes);
    assert_eq!(read.txns.len(), 1);
    assert_eq!(read.valid_len, ends[0] as u64);
    assert!(read.torn.unwrap().contains("checksum"));
}
