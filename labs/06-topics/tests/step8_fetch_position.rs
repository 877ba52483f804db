//! Step 8: the consumer's position — whole batches come back, only new records go out.

use bytes::Bytes;
use lab01_record_batch::{Compression, Header, RecordBatchBuilder};
use lab06_topics::client::batch_reader::{
    for_each_record, next_fetch_offset, read_records, FetchedRecord,
};
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

#[test]
fn step8_lent_records_are_the_owned_ones_and_the_next_fetch_offset_comes_from_headers() {
    // A plain batch, a gzip one with a header and null key and value, then a cut batch.
    let mut data = batch(10, &["a", "bb"]);
    let mut b = RecordBatchBuilder::new(12);
    let header = Header {
        key: "h".into(),
        value: Some(b"v".to_vec()),
    };
    b.append(7, None, None, vec![header]);
    b.append(8, Some(b"k"), Some(b"ccc"), vec![]);
    let mut gzip = b.build();
    gzip.attributes.compression = Compression::Gzip;
    data.extend(gzip.encode_compressed().unwrap());
    let cut = batch(14, &["dddd"]);
    data.extend(&cut[..cut.len() - 3]);

    let owned = hand_out(data.clone(), &mut Position { next: 11 }).unwrap();
    let mut p = Position { next: 11 };
    let mut lent = Vec::new();
    for_each_record(&data, |r| {
        if next_position(&mut p, r.offset, r.control) {
            let headers: Vec<(String, Option<Bytes>)> = r
                .headers()
                .map(|(k, v)| (k.to_string(), v.map(Bytes::copy_from_slice)))
                .collect();
            assert_eq!(r.header_count(), headers.len());
            lent.push(FetchedRecord {
                offset: r.offset,
                timestamp_ms: r.timestamp_ms,
                control: r.control,
                key: r.key.map(Bytes::copy_from_slice),
                value: r.value.map(Bytes::copy_from_slice),
                headers,
            });
        }
    })
    .unwrap();
    assert_eq!(lent, owned, "both ways hand out the same records");
    assert_eq!(
        lent.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![11, 12, 13]
    );
    assert_eq!(
        lent[1].headers,
        vec![("h".to_string(), Some(Bytes::from_static(b"v")))]
    );
    assert_eq!(p.next, 14);
    assert_eq!(
        next_fetch_offset(&data, 11),
        p.next,
        "the batch headers tell where the next fetch starts"
    );
    assert_eq!(next_fetch_offset(&data[..20], 11), 11, "no whole batch");
}
