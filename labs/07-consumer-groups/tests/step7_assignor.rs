//! Step 7: the range assignor, as Kafka's `RangeAssignor` splits partitions.

use std::collections::BTreeMap;

use lab07_consumer_groups::assignor::range_assign;

fn subs(s: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    s.iter()
        .map(|(m, t)| (m.to_string(), t.iter().map(|t| t.to_string()).collect()))
        .collect()
}

fn counts(c: &[(&str, i32)]) -> BTreeMap<String, i32> {
    c.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

#[test]
fn step7_ranges_in_member_order_with_the_extras_first() {
    let a = range_assign(
        &subs(&[("c", &["t"]), ("a", &["t"]), ("b", &["t"])]),
        &counts(&[("t", 7)]),
    );
    assert_eq!(a["a"]["t"], [0, 1, 2]);
    assert_eq!(a["b"]["t"], [3, 4]);
    assert_eq!(a["c"]["t"], [5, 6]);
}

#[test]
fn step7_each_topic_is_split_on_its_own_among_its_subscribers() {
    let a = range_assign(
        &subs(&[
            ("a", &["t1", "t2"]),
            ("b", &["t1"]),
            ("c", &["t2", "missing"]),
        ]),
        &counts(&[("t1", 3), ("t2", 2)]),
    );
    assert_eq!(a["a"]["t1"], [0, 1]);
    assert_eq!(a["b"]["t1"], [2]);
    assert_eq!(a["a"]["t2"], [0]);
    assert_eq!(a["c"]["t2"], [1]);
    assert!(!a["c"].contains_key("missing"));
}

#[test]
fn step7_more_members_than_partitions_leaves_some_idle() {
    let a = range_assign(
        &subs(&[("a", &["t"]), ("b", &["t"]), ("c", &["t"])]),
        &counts(&[("t", 2)]),
    );
    assert_eq!(a["a"]["t"], [0]);
    assert_eq!(a["b"]["t"], [1]);
    assert!(a["c"].is_empty(), "c is a member with nothing to read");
    // Every partition exactly once, for many shapes.
    for members in 1..6 {
        for n in 0..13 {
            let s: Vec<(String, Vec<String>)> = (0..members)
                .map(|i| (format!("m{i}"), vec!["t".to_string()]))
                .collect();
            let a = range_assign(&s.into_iter().collect(), &counts(&[("t", n)]));
            let mut all: Vec<i32> = a
                .values()
                .flat_map(|t| t.get("t").cloned().unwrap_or_default())
                .collect();
            all.sort();
            assert_eq!(
                all,
                (0..n).collect::<Vec<_>>(),
                "{members} members, {n} partitions"
            );
        }
    }
}
