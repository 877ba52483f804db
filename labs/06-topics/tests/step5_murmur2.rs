//! Step 5: Kafka's murmur2, so a key lands where Java's producer would put it.

use lab06_topics::partitioner::{murmur2, partition_for_key};

#[test]
fn step5_murmur2_matches_kafkas_utils_test() {
    // The vectors of Kafka's `UtilsTest.testMurmur2`.
    let cases: [(&str, i32); 6] = [
        ("21", -973_932_308),
        ("foobar", -790_332_482),
        ("a-little-bit-long-string", -985_981_536),
        ("a-little-bit-longer-string", -1_486_304_829),
        (
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58_897_971,
        ),
        ("abc", 479_470_107),
    ];
    for (input, expected) in cases {
        assert_eq!(murmur2(input.as_bytes()), expected, "murmur2({input:?})");
    }
}

#[test]
fn step5_every_tail_length_is_hashed() {
    // Lengths 0..8 exercise every branch of the tail (0, 1, 2, 3 bytes after whole words).
    let hashes: Vec<i32> = (0..8).map(|n| murmur2(&b"abcdefgh"[..n])).collect();
    let mut unique = hashes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "{hashes:?}");
}

#[test]
fn step5_the_partition_is_the_positive_hash_modulo_the_count() {
    // murmur2("foobar") is negative: `& 0x7fffffff`, not `abs` (which would give 790332482).
    assert_eq!(
        partition_for_key(b"foobar", 1000),
        (-790_332_482i32 & 0x7fff_ffff) % 1000
    );
    assert_eq!(partition_for_key(b"foobar", 1000), 166);
    assert_eq!(partition_for_key(b"abc", 3), 479_470_107 % 3);
    for n in 1..20 {
        let p = partition_for_key(b"key-17", n);
        assert!((0..n).contains(&p));
        assert_eq!(
            p,
            partition_for_key(b"key-17", n),
            "same key, same partition"
        );
    }
}
