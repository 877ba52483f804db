//! Step 4: `acks=all` waits for the ISR (`DelayedProduce`, `checkEnoughReplicasReachOffset`),
//! and `min.insync.replicas` refuses writes too few replicas would hold.

mod common;

use common::*;
use lab12_replication::{AppendResult, ErrorCode, ProduceResponse, ReplicaConfig};

fn response(id: u64, base_offset: i64, error: ErrorCode) -> ProduceResponse {
    ProduceResponse {
        id,
        tp: tp(),
        base_offset,
        error,
    }
}

#[test]
fn step4_acks_all_is_answered_once_every_isr_member_has_the_records() {
    let mut rm = leader(config(2), &[1, 2, 3], &[1, 2, 3], 0);
    let AppendResult::Delayed {
        id,
        base_offset,
        last_offset,
    } = produce(&mut rm, 3, -1, T0 + 10)
    else {
        panic!("acks=all with followers must wait")
    };
    assert_eq!((base_offset, last_offset), (0, 2));
    assert_eq!(rm.delayed_produce_count(), 1);
    fetch(&mut rm, 2, 3, T0 + 20);
    assert!(
        rm.ready().produce_responses.is_empty(),
        "follower 3 lacks them"
    );
    fetch(&mut rm, 3, 2, T0 + 30);
    assert!(
        rm.ready().produce_responses.is_empty(),
        "follower 3 has 0..=1 only"
    );
    fetch(&mut rm, 3, 3, T0 + 40);
    assert_eq!(
        rm.ready().produce_responses,
        vec![response(id, 0, ErrorCode::None)]
    );
    assert_eq!(rm.delayed_produce_count(), 0);

    // A second produce waits for its own offsets, not the first one's.
    let AppendResult::Delayed { id: id2, .. } = produce(&mut rm, 2, -1, T0 + 50) else {
        panic!("must wait")
    };
    fetch(&mut rm, 2, 5, T0 + 60);
    fetch(&mut rm, 3, 4, T0 + 60);
    assert!(rm.ready().produce_responses.is_empty());
    fetch(&mut rm, 3, 5, T0 + 70);
    assert_eq!(
        rm.ready().produce_responses,
        vec![response(id2, 3, ErrorCode::None)]
    );
}

#[test]
fn step4_too_small_an_isr_refuses_acks_all_before_the_append() {
    let mut rm = leader(config(2), &[1], &[1, 2, 3], 0);
    assert_eq!(
        produce(&mut rm, 3, -1, T0 + 10),
        AppendResult::Done {
            base_offset: -1,
            error: ErrorCode::NotEnoughReplicas
        }
    );
    assert_eq!(
        rm.partition(&tp()).unwrap().log_end_offset(),
        0,
        "nothing was written"
    );
    // acks=1 and acks=0 do not care about min.insync.replicas.
    for acks in [1, 0] {
        let before = rm.partition(&tp()).unwrap().log_end_offset();
        assert_eq!(
            produce(&mut rm, 1, acks, T0 + 20),
            AppendResult::Done {
                base_offset: before,
                error: ErrorCode::None
            }
        );
    }
    assert_eq!(
        rm.append_records(&tp(), 1, 2, 1_000, T0 + 30).unwrap(),
        AppendResult::Done {
            base_offset: -1,
            error: ErrorCode::InvalidRequiredAcks
        }
    );
}

/// The ISR shrinks below `min.insync.replicas` while the produce waits: the HW then passes the
/// records (the ISR is just the leader) but the answer says they are not safe enough.
#[test]
fn step4_an_isr_that_shrinks_while_waiting_answers_not_enough_replicas_after_append() {
    let mut rm = leader(config(2), &[1, 2], &[1, 2], 0);
    let AppendResult::Delayed { id, .. } =
        rm.append_records(&tp(), 4, -1, 120_000, T0 + 10).unwrap()
    else {
        panic!("must wait")
    };
    rm.tick(T0 + 15_000);
    rm.tick(T0 + 45_000);
    let ops = rm.ready().zk_ops;
    assert_eq!(ops.len(), 1, "follower 2 leaves: {ops:?}");
    rm.on_partition_state_written(&tp(), 0, Some(1), T0 + 45_010)
        .unwrap();
    assert_eq!(isr(&rm), vec![1]);
    assert_eq!(
        rm.ready().produce_responses,
        vec![response(id, 0, ErrorCode::NotEnoughReplicasAfterAppend)]
    );
    assert_eq!(
        produce(&mut rm, 1, -1, T0 + 45_020),
        AppendResult::Done {
            base_offset: -1,
            error: ErrorCode::NotEnoughReplicas
        },
        "the next one is refused up front"
    );
}

#[test]
fn step4_a_produce_still_waiting_at_its_timeout_gets_request_timed_out() {
    let mut rm = leader(config(2), &[1, 2, 3], &[1, 2, 3], 0);
    let AppendResult::Delayed { id, .. } = rm.append_records(&tp(), 2, -1, 1_000, T0 + 10).unwrap()
    else {
        panic!("must wait")
    };
    fetch(&mut rm, 2, 2, T0 + 100);
    rm.tick(T0 + 1_009);
    assert!(rm.ready().produce_responses.is_empty());
    rm.tick(T0 + 1_010);
    assert_eq!(
        rm.ready().produce_responses,
        vec![response(id, 0, ErrorCode::RequestTimedOut)]
    );
    assert_eq!(rm.delayed_produce_count(), 0);
    // The records stay in the leader's log and commit when follower 3 gets them.
    fetch(&mut rm, 3, 2, T0 + 1_100);
    assert_eq!(hw(&rm), 2);
    assert!(
        rm.ready().produce_responses.is_empty(),
        "answered once only"
    );
}

#[test]
fn step4_acks_all_with_an_isr_of_one_and_min_one_is_answered_at_once() {
    let mut rm = leader(ReplicaConfig::default(), &[1], &[1, 2], 0);
    assert_eq!(
        produce(&mut rm, 2, -1, T0 + 10),
        AppendResult::Done {
            base_offset: 0,
            error: ErrorCode::None
        }
    );
    assert_eq!(rm.delayed_produce_count(), 0);
}
