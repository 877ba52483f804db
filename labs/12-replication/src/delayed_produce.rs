//! `acks=all`: a produce is answered only when every in-sync replica has its records — that is,
//! when the high watermark has passed them (Kafka's `DelayedProduce`, waiting in the
//! `ReplicaManager`'s produce *purgatory*). With `acks=1` the leader answers right after its own
//! append and a leader crash can lose the records; with `acks=0` nobody answers at all. Only
//! `acks=all` keeps the slides' promise.
//!
//! ```text
//! t=0   produce 3 records (acks=all)   leader LEO 10 → 13, HW 10        wait: required offset 13
//! t=40  follower 2 fetches at 13       HW stays 10 (follower 3 is at 10)
//! t=55  follower 3 fetches at 13       HW 13 ≥ 13                       answer: NONE
//! ```
//!
//! `min.insync.replicas` says how many copies are enough. An `acks=all` produce is refused
//! with NOT_ENOUGH_REPLICAS *before* the append when the ISR is smaller than that; if the ISR
//! shrinks below it while the produce waits, the records are already in the leader's log, so
//! the answer is NOT_ENOUGH_REPLICAS_AFTER_APPEND (the producer retries: it may then write them
//! twice, which idempotence, lab 13's neighbour, solves). A produce still waiting after the
//! request's `timeout_ms` gets REQUEST_TIMED_OUT.

use lab04_protocol_codec::ErrorCode;
use lab11_controller::TopicPartition;

use crate::partition::Partition;

/// One `acks=all` produce waiting for the ISR (one partition of Kafka's `DelayedProduce`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayedProduce {
    pub id: u64,
    pub tp: TopicPartition,
    pub base_offset: i64,
    /// The batch's last offset + 1: the HW must reach it (`ProducePartitionStatus.requiredOffset`).
    pub required_offset: i64,
    /// When the request's `timeout_ms` runs out.
    pub deadline_ms: i64,
}

impl Partition {
    /// The check at the top of `appendRecordsToLeader` for `acks=all`: NOT_ENOUGH_REPLICAS
    /// if the ISR is smaller than `min.insync.replicas`.
    pub(crate) fn check_min_insync_replicas(&self) -> Result<(), ErrorCode> {
        // BEGIN SOLUTION step 4: refuse with NotEnoughReplicas when the ISR is smaller than min.insync.replicas
        // ko: ISR이 min.insync.replicas보다 작으면 NotEnoughReplicas로 거절하세요
        if self.isr.len() < self.config.min_insync_replicas {
            Err(ErrorCode::NotEnoughReplicas)
        } else {
            Ok(())
        }
        // END SOLUTION
    }

    /// `checkEnoughReplicasReachOffset`: (done, error). Done once the HW reached
    /// `required_offset` — with NONE if the ISR still has `min.insync.replicas` members, else
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND. A partition this broker no longer leads: not done,
    /// NOT_LEADER_OR_FOLLOWER.
    pub fn check_enough_replicas_reach_offset(&self, required_offset: i64) -> (bool, ErrorCode) {
        // BEGIN SOLUTION step 4: not leader is an error; HW reached means done, with the min ISR check deciding the error
        // ko: 리더가 아니면 오류, HW가 도달했으면 완료이고 오류 여부는 최소 ISR 검사로 정하세요
        if !self.is_leader() {
            return (false, ErrorCode::NotLeaderOrFollower);
        }
        if self.high_watermark >= required_offset {
            if self.isr.len() >= self.config.min_insync_replicas {
                (true, ErrorCode::None)
            } else {
                (true, ErrorCode::NotEnoughReplicasAfterAppend)
            }
        } else {
            (false, ErrorCode::None)
        }
        // END SOLUTION
    }
}

impl DelayedProduce {
    /// `DelayedProduce.tryComplete` for this partition: the error to answer with if the
    /// produce is done (the ISR has it, or an error), `None` if it must keep waiting.
    /// `partition` is `None` when this broker no longer has the partition.
    pub fn try_complete(&self, partition: Option<&Partition>) -> Option<ErrorCode> {
        // BEGIN SOLUTION step 4: no partition is UnknownTopicOrPartition; else done when enough replicas reached the offset or on an error
        // ko: 파티션이 없으면 UnknownTopicOrPartition, 아니면 충분한 레플리카가 도달했거나 오류일 때 끝납니다
        let Some(partition) = partition else {
            return Some(ErrorCode::UnknownTopicOrPartition);
        };
        let (enough, error) = partition.check_enough_replicas_reach_offset(self.required_offset);
        (enough || error != ErrorCode::None).then_some(error)
        // END SOLUTION
    }

    /// `onExpiration`: past its deadline at `now_ms`, a produce still waiting is answered
    /// REQUEST_TIMED_OUT (the records stay in the leader's log: they may still commit).
    pub fn expire(&self, now_ms: i64) -> Option<ErrorCode> {
        // BEGIN SOLUTION step 4: at or past the deadline, RequestTimedOut
        // ko: 마감 시각이 되었거나 지났으면 RequestTimedOut
        (now_ms >= self.deadline_ms).then_some(ErrorCode::RequestTimedOut)
        // END SOLUTION
    }
}
