//! Step 6: the sticky partitioner (KIP-480) for records without a key.

use lab06_topics::partitioner::{choose, StickyPartitioner};

#[test]
fn step6_keyless_records_stick_to_one_partition_until_its_batch_is_full() {
    let mut s = StickyPartitioner::new(7);
    let first = s.partition("t", 6);
    assert!((0..6).contains(&first));
    for _ in 0..100 {
        assert_eq!(s.partition("t", 6), first, "sticks");
    }
    s.on_new_batch("t", first, 6);
    let second = s.partition("t", 6);
    assert_ne!(
        second, first,
        "a full batch moves keyless records elsewhere"
    );
    // A stale notice (about a partition the topic already left) changes nothing.
    s.on_new_batch("t", first, 6);
    assert_eq!(s.partition("t", 6), second);
}

#[test]
fn step6_topics_stick_independently_and_partitions_fill_evenly() {
    let mut s = StickyPartitioner::new(42);
    let mut counts = [0u32; 4];
    for _ in 0..4000 {
        let p = s.partition("even", 4);
        counts[p as usize] += 1;
        s.on_new_batch("even", p, 4);
        let _ = s.partition("other", 4);
    }
    for c in counts {
        assert!((800..=1200).contains(&c), "uneven: {counts:?}");
    }
}

#[test]
fn step6_one_partition_and_a_shrinking_topic() {
    let mut s = StickyPartitioner::new(1);
    assert_eq!(s.partition("one", 1), 0);
    s.on_new_batch("one", 0, 1);
    assert_eq!(s.partition("one", 1), 0);
    // Seeded: the same seed makes the same choices, so a run can be replayed.
    let picks = |seed| {
        let mut s = StickyPartitioner::new(seed);
        (0..20)
            .map(|_| {
                let p = s.partition("t", 10);
                s.on_new_batch("t", p, 10);
                p
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(picks(5), picks(5));
    // Keys still go by murmur2; no key goes sticky.
    let mut s = StickyPartitioner::new(3);
    let sticky = choose(&mut s, "t", None, 8);
    assert_eq!(choose(&mut s, "t", None, 8), sticky);
    assert_eq!(choose(&mut s, "t", Some(b"foobar"), 1000), 166);
}
