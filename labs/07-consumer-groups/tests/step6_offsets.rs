//! Step 6: committed offsets as `__consumer_offsets` records, replayed last-one-wins.

use lab07_consumer_groups::offsets::{
    decode_key, decode_value, encode_key, encode_value, partition_for_group, OffsetKey,
    OffsetStore, OffsetValue,
};

fn key(group: &str, topic: &str, partition: i32) -> OffsetKey {
    OffsetKey {
        group: group.into(),
        topic: topic.into(),
        partition,
    }
}

fn value(offset: i64) -> OffsetValue {
    OffsetValue {
        offset,
        leader_epoch: -1,
        metadata: "m".into(),
        commit_timestamp: 1_700_000_000_000,
    }
}

#[test]
fn step6_records_have_kafkas_layout() {
    // Key v1: version, group, topic, partition — int16-length strings, big-endian.
    let k = encode_key(&key("g1", "orders", 7));
    assert_eq!(
        k,
        [
            &[0, 1][..],
            &[0, 2],
            b"g1",
            &[0, 6],
            b"orders",
            &[0, 0, 0, 7]
        ]
        .concat()
    );
    // Value v3: version, offset, leader epoch, metadata, commit timestamp.
    let v = encode_value(&value(42));
    let expected = [
        &[0, 3][..],
        &42i64.to_be_bytes(),
        &(-1i32).to_be_bytes(),
        &[0, 1],
        b"m",
        &1_700_000_000_000i64.to_be_bytes(),
    ]
    .concat();
    assert_eq!(v, expected);
    assert_eq!(decode_key(&k, 0).unwrap(), Some(key("g1", "orders", 7)));
    assert_eq!(decode_value(&v, 0).unwrap(), value(42));
}

#[test]
fn step6_older_versions_and_group_keys_are_read() {
    // Value v1 (Kafka 0.10–2.0) carries an expire timestamp and no leader epoch.
    let v1 = [
        &[0, 1][..],
        &9i64.to_be_bytes(),
        &[0, 0],
        &5i64.to_be_bytes(),
        &(-1i64).to_be_bytes(),
    ]
    .concat();
    assert_eq!(
        decode_value(&v1, 3).unwrap(),
        OffsetValue {
            offset: 9,
            leader_epoch: -1,
            metadata: String::new(),
            commit_timestamp: 5
        }
    );
    // Key v2 is group metadata: not an offset, skipped.
    assert_eq!(decode_key(&[0, 2, 0, 1, b'g'], 4).unwrap(), None);
    // Garbage is an error naming the record's offset, never a panic.
    let e = decode_key(&[0, 9], 17).unwrap_err().to_string();
    assert!(e.contains("17") && e.contains("version 9"), "{e}");
    assert!(decode_value(&[0, 3, 1], 18)
        .unwrap_err()
        .to_string()
        .contains("18"));
}

#[test]
fn step6_the_last_record_wins_and_tombstones_delete() {
    let mut store = OffsetStore::default();
    store.apply(key("g", "t", 0), Some(value(10)));
    store.apply(key("g", "t", 0), Some(value(25)));
    store.apply(key("g", "t", 1), Some(value(3)));
    store.apply(key("h", "t", 0), Some(value(99)));
    assert_eq!(store.get("g", "t", 0).map(|v| v.offset), Some(25));
    store.apply(key("g", "t", 1), None);
    assert_eq!(store.get("g", "t", 1), None);
    assert_eq!(store.group("g").len(), 1);
    assert_eq!(store.groups(), ["g", "h"]);
}

#[test]
fn step6_a_groups_partition_matches_java_string_hash_code() {
    // "hello".hashCode() == 99162322; "polygenelubricants".hashCode() == Integer.MIN_VALUE.
    assert_eq!(partition_for_group("hello", 50), 99_162_322 % 50);
    assert_eq!(partition_for_group("polygenelubricants", 50), 0);
    assert_eq!(partition_for_group("", 50), 0);
    for g in ["console-consumer-1", "orders-app", "그룹"] {
        assert!((0..50).contains(&partition_for_group(g, 50)));
    }
}
