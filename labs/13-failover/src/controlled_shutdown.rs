//! Step 4: the controller's answer to ControlledShutdown (API 7), Kafka 2.6's
//! `KafkaController.doControlledShutdown`.
//!
//! A broker that is asked to stop (SIGTERM, `controlled.shutdown.enable=true`) first asks the
//! controller to move its work away, so that no partition is leaderless while it goes:
//!
//! ```text
//! broker 2 → controller: ControlledShutdown(broker_id 2, broker_epoch 0x20)
//! controller: p0 led by 2, ISR {2,1,3} → leader 1, ISR {1,3}, epoch +1   (moved)
//!             p1 led by 1, ISR {1,2}   → leader 1, ISR {1},   epoch +1   (2 leaves the ISR)
//!             p2 led by 2, ISR {2}     → nobody else in sync: stays      (remaining)
//! controller → broker 2: remaining partitions [p2]; the broker retries until none remain
//!             (`controlled.shutdown.max.retries`), then stops anyway
//! ```
//!
//! Partitions with a single replica, and topics being deleted, are left alone.

use std::collections::BTreeSet;

use lab11_controller::zk_data::NO_LEADER;
use lab11_controller::{LeaderIsrAndControllerEpoch, TopicPartition};

use crate::election::{controlled_shutdown_leader_election, Election};

/// Kafka's STALE_BROKER_EPOCH (77): the request comes from an older incarnation of the broker.
pub const STALE_BROKER_EPOCH: i16 = 77;
/// Kafka's BROKER_NOT_AVAILABLE (8): the broker is not registered (or already gone).
pub const BROKER_NOT_AVAILABLE: i16 = 8;

/// One partition as the controller knows it.
#[derive(Debug, Clone, Copy)]
pub struct PartitionView<'a> {
    pub tp: &'a TopicPartition,
    pub assignment: &'a [i32],
    pub state: &'a LeaderIsrAndControllerEpoch,
    pub being_deleted: bool,
}

/// What the controller does for one ControlledShutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlledShutdownOutcome {
    /// The error code to answer with (0, `STALE_BROKER_EPOCH`, `BROKER_NOT_AVAILABLE`); on an
    /// error nothing else happens.
    pub error_code: i16,
    /// New states to write (then LeaderAndIsr to the replicas), with the next leader epoch.
    pub changes: Vec<(TopicPartition, LeaderIsrAndControllerEpoch)>,
    /// Replicated partitions the broker still leads after the changes: the answer's
    /// `remaining_partitions`.
    pub remaining: Vec<TopicPartition>,
}

/// `doControlledShutdown(broker_id, broker_epoch)`. `registered_epoch` is the broker's epoch
/// the controller knows (`None`: not registered); `shutting_down` the brokers already
/// shutting down (this one is added). Partitions the broker leads move to
/// `controlled_shutdown_leader_election`'s choice; partitions it follows lose it from their
/// ISR (the leader stays). `remaining` are the replicated partitions it still leads.
pub fn do_controlled_shutdown(
    broker_id: i32,
    broker_epoch: i64,
    registered_epoch: Option<i64>,
    partitions: &[PartitionView<'_>],
    live: &BTreeSet<i32>,
    shutting_down: &BTreeSet<i32>,
    controller_epoch: i32,
) -> ControlledShutdownOutcome {
    // BEGIN SOLUTION step 4: check registration and epoch (-1 means not given); for each replicated, not deleted partition on the broker, elect away from it if it leads, else drop it from the ISR; collect what it still leads
    // ko: 등록과 에포크를 확인하고(-1은 주지 않음), 이 브로커에 있는 복제된, 삭제 중이 아닌 파티션마다 이 브로커가 리더면 다른 리더를 뽑고 아니면 ISR에서 빼며, 여전히 이끄는 것을 모으세요
    let refuse = |error_code| ControlledShutdownOutcome {
        error_code,
        changes: Vec::new(),
        remaining: Vec::new(),
    };
    let Some(registered) = registered_epoch else {
        return refuse(BROKER_NOT_AVAILABLE);
    };
    if broker_epoch != -1 && broker_epoch < registered {
        return refuse(STALE_BROKER_EPOCH);
    }
    let mut stopping = shutting_down.clone();
    stopping.insert(broker_id);
    let mut changes = Vec::new();
    let mut remaining = Vec::new();
    for p in partitions {
        if p.assignment.len() <= 1 || p.being_deleted || !p.assignment.contains(&broker_id) {
            continue;
        }
        if p.state.leader == broker_id {
            match controlled_shutdown_leader_election(p.state, p.assignment, live, &stopping) {
                Some(election) => {
                    changes.push((p.tp.clone(), election.next_state(p.state, controller_epoch)))
                }
                None => remaining.push(p.tp.clone()),
            }
        } else if p.state.isr.contains(&broker_id) && p.state.leader != NO_LEADER {
            let isr: Vec<i32> = p
                .state
                .isr
                .iter()
                .copied()
                .filter(|b| *b != broker_id)
                .collect();
            let election = Election {
                leader: p.state.leader,
                isr,
                unclean: false,
            };
            changes.push((p.tp.clone(), election.next_state(p.state, controller_epoch)));
        }
    }
    ControlledShutdownOutcome {
        error_code: 0,
        changes,
        remaining,
    }
    // END SOLUTION
}
