//! Step 2: replica assignment exactly as Kafka's `AdminUtils.assignReplicasToBrokers` (rack
//! unaware), compared with assignments worked out by hand from Kafka's algorithm and with the
//! example table in its doc comment.

use std::collections::{BTreeMap, BTreeSet};

use lab11_controller::{assign_replicas_to_brokers, AssignmentStart, Error};

fn map(entries: &[(i32, &[i32])]) -> BTreeMap<i32, Vec<i32>> {
    entries.iter().map(|(p, r)| (*p, r.to_vec())).collect()
}

#[test]
fn step2_kafkas_example_five_brokers_ten_partitions_three_replicas() {
    // AdminUtilsTest.testReplicaAssignment (fixedStartIndex 0).
    let got =
        assign_replicas_to_brokers(&[0, 1, 2, 3, 4], 10, 3, AssignmentStart::fixed(0), 0).unwrap();
    let want = map(&[
        (0, &[0, 1, 2]),
        (1, &[1, 2, 3]),
        (2, &[2, 3, 4]),
        (3, &[3, 4, 0]),
        (4, &[4, 0, 1]),
        (5, &[0, 2, 3]),
        (6, &[1, 3, 4]),
        (7, &[2, 4, 0]),
        (8, &[3, 0, 1]),
        (9, &[4, 1, 2]),
    ]);
    assert_eq!(got, want);
    // The doc comment's table: broker-0 holds p0 and p5 first, p4 and p8 second, p3 and p7 third.
    let on = |broker: i32, position: usize| -> BTreeSet<i32> {
        got.iter()
            .filter(|(_, r)| r[position] == broker)
            .map(|(p, _)| *p)
            .collect()
    };
    assert_eq!(on(0, 0), BTreeSet::from([0, 5]));
    assert_eq!(on(0, 1), BTreeSet::from([4, 8]));
    assert_eq!(on(0, 2), BTreeSet::from([3, 7]));
    assert_eq!(on(4, 1), BTreeSet::from([3, 7]));
}

#[test]
fn step2_the_slides_three_brokers() {
    // Worked out by hand: shift grows after partition 2, so partitions 3-5 pair differently.
    let got = assign_replicas_to_brokers(&[3, 1, 2], 6, 2, AssignmentStart::fixed(0), 0).unwrap();
    assert_eq!(
        got,
        map(&[
            (0, &[1, 2]),
            (1, &[2, 3]),
            (2, &[3, 1]),
            (3, &[1, 3]),
            (4, &[2, 1]),
            (5, &[3, 2])
        ])
    );
    let got = assign_replicas_to_brokers(
        &[1, 2, 3],
        3,
        3,
        AssignmentStart {
            start_index: 2,
            replica_shift: 1,
        },
        0,
    )
    .unwrap();
    assert_eq!(
        got,
        map(&[(0, &[3, 2, 1]), (1, &[1, 3, 2]), (2, &[2, 1, 3])])
    );
}

#[test]
fn step2_adding_partitions_continues_the_pattern() {
    // addPartitions passes the current partition count as startPartitionId.
    let got =
        assign_replicas_to_brokers(&[0, 1, 2, 3, 4], 2, 3, AssignmentStart::fixed(0), 5).unwrap();
    assert_eq!(got, map(&[(5, &[0, 2, 3]), (6, &[1, 3, 4])]));
}

#[test]
fn step2_bad_requests_are_kafkas_errors() {
    let start = AssignmentStart::fixed(0);
    assert_eq!(
        assign_replicas_to_brokers(&[1, 2, 3], 0, 1, start, 0),
        Err(Error::InvalidPartitions { partitions: 0 })
    );
    assert_eq!(
        assign_replicas_to_brokers(&[1, 2, 3], 3, 0, start, 0),
        Err(Error::InvalidReplicationFactor {
            replication_factor: 0,
            brokers: 3
        })
    );
    assert_eq!(
        assign_replicas_to_brokers(&[1, 2, 3], 3, 4, start, 0),
        Err(Error::InvalidReplicationFactor {
            replication_factor: 4,
            brokers: 3
        })
    );
    assert!(assign_replicas_to_brokers(&[], 1, 1, start, 0).is_err());
}

#[test]
fn step2_replicas_are_distinct_and_leaders_spread_evenly() {
    for n in 1..=6 {
        let brokers: Vec<i32> = (1..=n).collect();
        for rf in 1..=n {
            for start in 0..n as usize {
                for parts in [1, 7, 24] {
                    let a = assign_replicas_to_brokers(
                        &brokers,
                        parts,
                        rf,
                        AssignmentStart::fixed(start),
                        0,
                    )
                    .unwrap();
                    assert_eq!(a.len(), parts as usize);
                    let mut leaders: BTreeMap<i32, i32> = BTreeMap::new();
                    for r in a.values() {
                        assert_eq!(r.len(), rf as usize);
                        assert_eq!(r.iter().collect::<BTreeSet<_>>().len(), r.len(), "{r:?}");
                        *leaders.entry(r[0]).or_default() += 1;
                    }
                    let most = leaders.values().max().unwrap();
                    let least = if leaders.len() < n as usize {
                        &0
                    } else {
                        leaders.values().min().unwrap()
                    };
                    assert!(
                        most - least <= 1,
                        "n={n} rf={rf} start={start} parts={parts}: {leaders:?}"
                    );
                }
            }
        }
    }
}
