//! Step 8: the consumer's position — whole batches come back, only new records go out.

use bytes::Bytes;
use lab01_record_batch::{Header, RecordBatchBuilder};
use lab06_topics::client::batch_reader::{read_records, FetchedRecord};
use lab06_topics::fetch_position::{next_position, Position};

#[test]
fn step8_records_before_the_position_are_skipped() {
    // A fetch from 50 answers with the batch 40..=59.
    let mut p = Position { next: 50 };
    let handed: Vec<i64> = (40..60)
        .filter(|&o| next_position(&mut p, o, false))
        .collect();
    assert_eq!(handed, (50..60).collect::<Vec<_>>());
    assert_eq!(p.next, 60);
}

#[test]
fn step8_control_records_move_the_position_but_are_not_handed_out() {
    let mut p = Position { next: 0 };
    assert!(next_position(&mut p, 0, false));
    assert!(!next_position(&mut p, 1, true), "a transaction marker");
    assert_eq!(p.next, 2);
    assert!(next_position(&mut p, 2, false));
    // Gaps (compaction, aborted data) are fine: the position follows the offsets.
    assert!(next_position(&mut p, 10, false));
    assert_eq!(p.next, 11);
    assert!(
        !next_position(&mut p, 10, false),
        "the same record twice is handed out once"
    );
}

fn batch(base: i64, values: &[&str]) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(base);
    for v in values {
        b.append(1_000, Some(b"k"), Some(v.as_bytes()), vec![]);
    }
    b.build().encode()
}

/// What the consumer hands out of a fetched partition: its batches read by the client's
/// batch reader (lab 01's header, CRC and varints over the one fetched buffer), then filtered
/// by the position.
fn hand_out(data: Vec<u8>, position: &mut Position) -> Result<Vec<FetchedRecord>, String> {
    let mut out = Vec::new();
    read_records(&Bytes::from(data), |r| {
        if next_position(position, r.offset, r.control) {
            out.push(r);
        }
    })?;
    Ok(out)
}

#[test]
fn step8_fetched_batches_are_read_from_the_position_on_and_a_cut_batch_waits() {
    // Batches 10..=11 and 12, then a batch the fetch's byte limit cut short.
    let mut data = batch(10, &["a", "bb"]);
    data.extend(batch(12, &["ccc"]));
    let cut = batch(13, &["dddd"]);
    data.extend(&cut[..cut.len() - 3]);
    let mut p = Position { next: 11 };
    let got = hand_out(data, &mut p).unwrap();
    let offsets: Vec<i64> = got.iter().map(|r| r.offset).collect();
    assert_eq!(
        offsets,
        vec![11, 12],
        "10 is before the position; 13 was cut"
    );
    assert_eq!(p.next, 13, "the next fetch starts at the cut batch");
    assert_eq!(got[0].value.as_deref(), Some(&b"bb"[..]));
    assert_eq!(got[1].key.as_deref(), Some(&b"k"[..]));
    assert_eq!(got[0].timestamp_ms, 1_000);

    // Headers and null keys and values come through as they were written.
    let mut b = RecordBatchBuilder::new(0);
    let header = Header {
        key: "h".into(),
        value: Some(b"v".to_vec()),
    };
    b.append(7, None, None, vec![header]);
    let got = hand_out(b.build().encode(), &mut Position { next: 0 }).unwrap();
    assert_eq!((got[0].key.clone(), got[0].value.clone()), (None, None));
    assert_eq!(
        got[0].headers,
        vec![("h".to_string(), Some(Bytes::from_static(b"v")))]
    );

    // One flipped byte anywhere under the CRC: the batch is refused, not handed out.
    let mut data = batch(0, &["hello"]);
    let last = data.len() - 1;
    data[last] ^= 0xff;
    let err = hand_out(data, &mut Position { next: 0 }).unwrap_err();
    assert!(err.to_lowercase().contains("crc"), "{err}");
}
