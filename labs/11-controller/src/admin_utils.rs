//! Replica assignment: where a new topic's partitions live (`kafka.admin.AdminUtils`).
//!
//! Kafka's rack-unaware algorithm has two goals: spread the replicas evenly over the brokers,
//! and spread the *other* replicas of the partitions a broker leads over the other brokers, so
//! that when one broker dies its load falls on all the others, not on one neighbour.
//!
//! 1. The first replica of partition `p` is broker `(p + startIndex) % n` of the sorted broker
//!    list: round-robin from a random start.
//! 2. The j-th further replica sits `1 + (shift + j) % (n - 1)` places after the first, where
//!    `shift` starts random and grows by one each time the first replicas wrap around the list
//!    (every `n` partitions), so the pattern of followers changes with every lap.
//!
//! Kafka's own example, 5 brokers, 10 partitions, 3 replicas, start index 0 and shift 0:
//!
//! ```text
//! broker-0  broker-1  broker-2  broker-3  broker-4
//! p0        p1        p2        p3        p4       (1st replica)
//! p5        p6        p7        p8        p9       (1st replica)
//! p4        p0        p1        p2        p3       (2nd replica)
//! p8        p9        p5        p6        p7       (2nd replica)
//! p3        p4        p0        p1        p2       (3rd replica)
//! p7        p8        p9        p5        p6       (3rd replica)
//! ```
//!
//! Kafka draws `startIndex` and `shift` with `Random.nextInt(n)` each; here they are arguments
//! so that tests and simulations are deterministic. The rack-aware variant is not in this lab.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The random choices of one assignment: Kafka's `fixedStartIndex` uses one number for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentStart {
    /// Index in the sorted broker list of partition `start_partition_id`'s first replica.
    pub start_index: usize,
    /// The starting shift of the further replicas.
    pub replica_shift: usize,
}

impl AssignmentStart {
    /// Kafka's `fixedStartIndex`: both choices the same number.
    pub fn fixed(index: usize) -> AssignmentStart {
        AssignmentStart {
            start_index: index,
            replica_shift: index,
        }
    }
}

/// `AdminUtils.assignReplicasToBrokers` without racks: partition id → replicas.
///
/// `brokers` are the live broker ids (sorted here, as Kafka's `getBrokerMetadatas` does);
/// `start_partition_id` is the first new partition (0 for a new topic, the current count when
/// adding partitions). Errors: `partitions <= 0` is `InvalidPartitions`; a replication factor
/// `<= 0` or above the number of brokers is `InvalidReplicationFactor`.
pub fn assign_replicas_to_brokers(
    brokers: &[i32],
    partitions: i32,
    replication_factor: i32,
    start: AssignmentStart,
    start_partition_id: i32,
) -> Result<BTreeMap<i32, Vec<i32>>> {
    // BEGIN SOLUTION step 2: validate, then first replica round-robin from the start index and the others at an increasing shift
    // ko: 검증한 뒤, 첫 레플리카는 시작 위치부터 라운드 로빈으로, 나머지는 점점 커지는 시프트로 놓으세요
    if partitions <= 0 {
        return Err(Error::InvalidPartitions { partitions });
    }
    if replication_factor <= 0 || replication_factor as usize > brokers.len() {
        return Err(Error::InvalidReplicationFactor {
            replication_factor,
            brokers: brokers.len(),
        });
    }
    let mut sorted = brokers.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let mut assignment = BTreeMap::new();
    let first_id = start_partition_id.max(0) as usize;
    let mut shift = start.replica_shift;
    for current in first_id..first_id + partitions as usize {
        // Each lap of the first replicas around the broker list shifts the followers by one.
        if current > 0 && current.is_multiple_of(n) {
            shift += 1;
        }
        let first = (current + start.start_index) % n;
        let mut replicas = vec![sorted[first]];
        for j in 0..(replication_factor as usize - 1) {
            replicas.push(sorted[replica_index(first, shift, j, n)]);
        }
        assignment.insert(current as i32, replicas);
    }
    Ok(assignment)
    // END SOLUTION
}

/// Where the `j`-th further replica goes: `1 + (shift + j) % (n - 1)` after the first, so it
/// is never the first replica's broker.
fn replica_index(first: usize, shift: usize, j: usize, n: usize) -> usize {
    // BEGIN SOLUTION step 2: step 1 plus (shift + j) mod (n - 1) past the first replica, wrapping around
    // ko: 첫 레플리카에서 1 + (shift + j) mod (n - 1)만큼 뒤로, 끝에서 처음으로 돌아가며 가세요
    let offset = 1 + (shift + j) % (n - 1);
    (first + offset) % n
    // END SOLUTION
}
