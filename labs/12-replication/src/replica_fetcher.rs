//! A follower's side (Kafka's `ReplicaFetcherThread` and `AbstractFetcherThread`, for one
//! partition): fetch from the leader at the own log end offset, append what comes back, and
//! take the leader's high watermark, capped at the own log end.
//!
//! ```text
//! follower                                   leader
//!   Fetch(replica_id=2, offset=LEO=6, epoch=3) ──►  records 6..=7, HW 6
//!   append 6, 7 → LEO 8; HW = min(8, 6) = 6
//!   Fetch(replica_id=2, offset=8, epoch=3)     ──►  (no records), HW 8   ← the leader saw LEO 8
//!   HW = min(8, 8) = 8
//! ```
//!
//! Fetching from the own LEO is the whole protocol: the offset *is* the acknowledgement of
//! everything below it, which is what the leader's `Replica` (step 1) records. The follower's
//! HW lags the leader's by one round trip; that is why a new leader must not cut its log to its
//! own HW (lab 13).
//!
//! **Not in this step: truncation.** With one leader for ever, a follower's log is always a
//! prefix of the leader's, so appending at the LEO is all there is. After a failover it is
//! not: a follower may hold records the new leader never got. Kafka 2.6 then first asks the
//! leader where its own log diverges (OffsetsForLeaderEpoch, API 23, with the
//! `leader-epoch-checkpoint` file) and truncates there before fetching — that is lab 13, which
//! the running broker plugs in through `leader_epochs`: a new follower (or one told
//! OFFSET_OUT_OF_RANGE, a follower ahead of its leader) [`is_truncating`] until then.
//!
//! [`is_truncating`]: FollowerPartition::is_truncating

use lab04_protocol_codec::ErrorCode;
use lab11_controller::requests::LeaderAndIsrPartitionState;
use lab11_controller::TopicPartition;

use crate::error::{Error, Result};
use crate::events::FetchPartition;
use crate::high_watermark::follower_high_watermark;

/// One partition of a Fetch answer, as the follower gets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchedPartition {
    pub error: ErrorCode,
    pub high_watermark: i64,
    /// The first and last offsets of the records sent, `None` if there are none.
    pub records: Option<(i64, i64)>,
}

/// A partition this broker follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerPartition {
    tp: TopicPartition,
    broker_id: i32,
    leader_id: i32,
    leader_epoch: i32,
    log_start_offset: i64,
    log_end_offset: i64,
    high_watermark: i64,
    /// A new leader or epoch: cut the log where it diverges from the leader's before fetching
    /// (Kafka's `Truncating` fetch state; used only with lab 13's leader epochs).
    truncating: bool,
}

impl FollowerPartition {
    /// `Partition.makeFollower`: LeaderAndIsr names another broker leader; the local log ends
    /// at `log_end_offset`, with `high_watermark` from the checkpoint.
    pub fn new(
        tp: TopicPartition,
        broker_id: i32,
        state: &LeaderAndIsrPartitionState,
        log_end_offset: i64,
        high_watermark: i64,
    ) -> Result<FollowerPartition> {
        if state.leader == broker_id || !state.replicas.contains(&broker_id) {
            return Err(Error::BadPartitionState {
                tp,
                reason: format!("broker {broker_id} is not a follower here"),
            });
        }
        Ok(FollowerPartition {
            tp,
            broker_id,
            leader_id: state.leader,
            leader_epoch: state.leader_epoch,
            log_start_offset: 0,
            log_end_offset,
            high_watermark: high_watermark.clamp(0, log_end_offset.max(0)),
            truncating: true,
        })
    }

    /// A later LeaderAndIsr for the same partition: follow its leader and epoch if the epoch
    /// is newer (returns whether it was applied).
    pub fn make_follower(&mut self, state: &LeaderAndIsrPartitionState) -> bool {
        if state.leader_epoch <= self.leader_epoch || state.leader == self.broker_id {
            return false;
        }
        self.leader_id = state.leader;
        self.leader_epoch = state.leader_epoch;
        self.truncating = true;
        true
    }

    /// Whether the log must first be cut where it diverges from the leader's (lab 13).
    pub fn is_truncating(&self) -> bool {
        self.truncating
    }

    /// The leader answered OFFSET_OUT_OF_RANGE (this follower is ahead of it): truncate again.
    pub fn start_truncating(&mut self) {
        self.truncating = true;
    }

    /// The log was cut to end at `log_end_offset`; with `completed`, fetching resumes from
    /// there, otherwise the leader is asked again first. The HW never stays above the LEO.
    pub fn truncated_to(&mut self, log_end_offset: i64, completed: bool) {
        self.log_end_offset = log_end_offset;
        self.high_watermark = self.high_watermark.min(log_end_offset);
        self.truncating = !completed;
    }

    /// The next fetch for this partition (`buildFetch`): this broker as `replica_id`, from its
    /// own log end, with the leader epoch it believes in.
    pub fn build_fetch(&self) -> FetchPartition {
        // BEGIN SOLUTION step 5: replica_id is this broker, fetch_offset the log end, with the current leader epoch
        // ko: replica_id는 이 브로커, fetch_offset은 로그 끝, 그리고 현재 리더 에포크를 담으세요
        FetchPartition {
            replica_id: self.broker_id,
            fetch_offset: self.log_end_offset,
            current_leader_epoch: Some(self.leader_epoch),
        }
        // END SOLUTION
    }

    /// `processPartitionData`: the answer to a fetch from `fetch_offset`. Returns the offsets
    /// to append to the local log (the shell appends exactly those records), after which this
    /// follower's LEO is past them and its HW is the leader's, capped at the LEO.
    ///
    /// An error in the answer is `Error::FetchFailed` (nothing changes: the shell backs off,
    /// or waits for LeaderAndIsr); an answer for another offset than the LEO is
    /// `OffsetMismatch` (a stale answer, dropped); records that do not start at the LEO are
    /// `RecordsOutOfOrder`.
    pub fn process_partition_data(
        &mut self,
        fetch_offset: i64,
        data: &FetchedPartition,
    ) -> Result<Option<(i64, i64)>> {
        // BEGIN SOLUTION step 5: refuse errors, stale offsets and records that do not continue the log; then move the LEO past the records and take the capped HW
        // ko: 오류, 낡은 오프셋, 로그를 잇지 않는 레코드는 거절하고, LEO를 레코드 뒤로 옮긴 뒤 잘린 HW를 받으세요
        if data.error != ErrorCode::None {
            return Err(Error::FetchFailed {
                tp: self.tp.clone(),
                error: data.error,
            });
        }
        if fetch_offset != self.log_end_offset {
            return Err(Error::OffsetMismatch {
                tp: self.tp.clone(),
                fetch_offset,
                log_end_offset: self.log_end_offset,
            });
        }
        if let Some((first, last)) = data.records {
            if first != self.log_end_offset || last < first {
                return Err(Error::RecordsOutOfOrder {
                    tp: self.tp.clone(),
                    first,
                    last,
                    log_end_offset: self.log_end_offset,
                });
            }
            self.log_end_offset = last + 1;
        }
        self.high_watermark = follower_high_watermark(
            data.high_watermark,
            self.log_start_offset,
            self.log_end_offset,
        );
        Ok(data.records)
        // END SOLUTION
    }

    pub fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }
    pub fn leader_id(&self) -> i32 {
        self.leader_id
    }
    pub fn leader_epoch(&self) -> i32 {
        self.leader_epoch
    }
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }
}
