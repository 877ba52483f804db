//! The high watermark (HW): the offset below which every in-sync replica has the records.
//! Those records are *committed*: whichever ISR member leads next has them, so no failover can
//! take them back. This is why consumers read only below it, and why `acks=all` waits for it.
//!
//! ```text
//! leader   (1)  0 1 2 3 4 5 6 7 |          LEO 8
//! follower (2)  0 1 2 3 4 5 |              LEO 6
//! follower (3)  0 1 2 3 4 5 6 |            LEO 7
//!                          ^ HW = min(8, 6, 7) = 6: offsets 0..=5 are committed
//! consumer: reads 0..=5        follower 2: reads 6, 7 (to the leader's LEO)
//! ```
//!
//! Kafka's rules (`Partition.maybeIncrementLeaderHW`, `Log.maybeIncrementHighWatermark`):
//! - the HW is the smallest LEO among the leader and the followers that are in the ISR *or*
//!   caught up within `replica.lag.time.max.ms` — waiting also for a follower that is catching
//!   up lets it reach the HW and join the ISR, instead of chasing an HW that always runs ahead.
//!   "In the ISR" here means in the *maximal* ISR (`Partition::in_maximal_isr`): also in an ISR
//!   this leader has asked ZooKeeper for and not heard back about;
//! - the HW never goes back: a follower whose LEO is still unknown (−1) or a smaller minimum
//!   just leaves it where it is;
//! - a follower learns the HW from each fetch answer and keeps its own, never above its own
//!   LEO (`Log.updateHighWatermark`): it is what it would serve consumers if it became leader.

use crate::events::FetchIsolation;
use crate::partition::Partition;

impl Partition {
    /// `maybeIncrementLeaderHW` at `now_ms`: the smallest LEO of the leader and every follower
    /// in the maximal ISR or caught up within `replica.lag.time.max.ms`; the HW takes it only
    /// if that is higher. Returns whether it moved.
    pub(crate) fn maybe_increment_leader_hw(&mut self, now_ms: i64) -> bool {
        // BEGIN SOLUTION step 2: take the minimum LEO over the leader and the followers in the maximal ISR or recently caught up; move the HW only forward
        // ko: 리더와, 최대 ISR에 있거나 최근에 따라잡은 팔로워의 LEO 중 최솟값을 구해 HW를 앞으로만 옮기세요
        let lag = self.config.replica_lag_time_max_ms;
        let mut new_hw = self.log_end_offset;
        for replica in self.remote_replicas.values() {
            let counts = self.in_maximal_isr(replica.broker_id())
                || now_ms - replica.last_caught_up_time_ms() <= lag;
            if counts && replica.log_end_offset() < new_hw {
                new_hw = replica.log_end_offset();
            }
        }
        if new_hw > self.high_watermark {
            self.high_watermark = new_hw;
            true
        } else {
            false
        }
        // END SOLUTION
    }

    /// How far a fetch may read, exclusive: the log end for a follower, the HW for a consumer.
    pub fn fetch_upper_bound(&self, isolation: FetchIsolation) -> i64 {
        // BEGIN SOLUTION step 2: the LEO for LogEnd, the high watermark for HighWatermark
        // ko: LogEnd면 LEO, HighWatermark면 하이 워터마크를 돌려주세요
        match isolation {
            FetchIsolation::LogEnd => self.log_end_offset,
            FetchIsolation::HighWatermark => self.high_watermark,
        }
        // END SOLUTION
    }
}

/// A follower's own HW after a fetch answer (`Log.updateHighWatermark`): the leader's HW,
/// but never above the follower's own log end nor below its log start.
pub fn follower_high_watermark(
    leader_high_watermark: i64,
    log_start_offset: i64,
    log_end_offset: i64,
) -> i64 {
    // BEGIN SOLUTION step 2: clamp the leader's HW between the log start and the log end
    // ko: 리더의 HW를 로그 시작과 로그 끝 사이로 자르세요
    if leader_high_watermark < log_start_offset {
        log_start_offset
    } else if leader_high_watermark > log_end_offset {
        log_end_offset
    } else {
        leader_high_watermark
    }
    // END SOLUTION
}
