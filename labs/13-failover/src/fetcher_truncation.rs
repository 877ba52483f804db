//! Step 3: where a follower cuts its log after a leader change (Kafka 2.6's
//! `AbstractFetcherThread.getOffsetTruncationState`, KIP-101 and KIP-279).
//!
//! A partition that just got a new leader is *truncating*: before fetching, the follower
//! sends OffsetsForLeaderEpoch with its own latest epoch, and cuts its log where the leader
//! says that epoch ends — never at its high watermark, which lags the leader's by a round
//! trip and would throw away committed records (KIP-101's first scenario), and never by
//! keeping everything, which keeps records the new leader does not have (its second).
//!
//! ```text
//! A (old leader)  [0:e0][1:e0][2:e1]        cache (0,0) (1,2)   LEO 3
//! B (new leader)  [0:e0][1:e0][2:e2][3:e2]  cache (0,0) (2,2)   LEO 4
//! A asks "end of epoch 1?" → B: (epoch 0, end 2)   (B never had epoch 1)
//! A's own end of epoch 0 is 2 → cut at min(2, 2) = 2: A drops [2:e1] and fetches B's [2:e2]
//! ```
//!
//! When the leader answers with an epoch this follower does not have (KIP-279), the follower
//! cuts to the end of its own largest smaller epoch and asks again: the answer is not final.

use lab04_protocol_codec::ErrorCode;

use crate::leader_epoch_file_cache::{
    LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET,
};

/// Kafka's `OffsetTruncationState`: cut the log to end at `offset`; if not
/// `truncation_completed`, ask the leader again (with the new latest epoch) before fetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetTruncationState {
    pub offset: i64,
    pub truncation_completed: bool,
}

/// What the leader said about one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderEpochAnswer {
    /// The leader's inter-broker protocol predates OffsetsForLeaderEpoch (before 0.11): the
    /// old rule, truncate to the high watermark.
    NotSupported,
    /// An answer: an error (retry later), or the epoch and its end offset (either may be
    /// undefined, −1).
    EndOffset {
        error: ErrorCode,
        leader_epoch: i32,
        end_offset: i64,
    },
}

/// The epoch a truncating follower asks about: its cache's latest epoch, or `None` when the
/// cache is empty — then there is nothing to ask, and it truncates to its high watermark
/// (`partitionsWithoutEpochs` → `truncateToHighWatermark`).
pub fn epoch_to_ask(cache: &LeaderEpochFileCache) -> Option<i32> {
    // BEGIN SOLUTION step 3: the latest epoch if there is one
    // ko: 최신 에포크가 있으면 그것
    match cache.latest_epoch() {
        UNDEFINED_EPOCH => None,
        epoch => Some(epoch),
    }
    // END SOLUTION
}

/// The offset to truncate to, given the leader's answer and this follower's cache, log end
/// offset and high watermark; `None` when the leader answered an error (keep the partition
/// truncating and ask again later). Kafka 2.6's cases, in order:
/// - not supported, or an undefined end offset: the high watermark (capped at the LEO);
/// - an undefined epoch with an end offset (a v0 answer): `min(end offset, LEO)`;
/// - the follower knows an epoch ≤ the leader's epoch: if it is the same epoch,
///   `min(own end of it, leader's end offset, LEO)`, completed; if it is smaller (the leader's
///   epoch is unknown here), `min(own end of it, LEO)`, *not* completed;
/// - the follower knows no such epoch: `min(leader's end offset, LEO)`.
pub fn offset_truncation_state(
    answer: LeaderEpochAnswer,
    cache: &LeaderEpochFileCache,
    log_end_offset: i64,
    high_watermark: i64,
) -> Option<OffsetTruncationState> {
    // BEGIN SOLUTION step 3: follow the cases of the doc comment, asking the own cache for the end of the leader's epoch
    // ko: 문서 주석의 경우들을 따르고, 리더의 에포크가 어디서 끝나는지 자기 캐시에 물으세요
    let done = |offset: i64| {
        Some(OffsetTruncationState {
            offset,
            truncation_completed: true,
        })
    };
    let (leader_epoch, end_offset) = match answer {
        LeaderEpochAnswer::NotSupported => return done(high_watermark.min(log_end_offset)),
        LeaderEpochAnswer::EndOffset { error, .. } if error != ErrorCode::None => return None,
        LeaderEpochAnswer::EndOffset {
            leader_epoch,
            end_offset,
            ..
        } => (leader_epoch, end_offset),
    };
    if end_offset == UNDEFINED_EPOCH_OFFSET {
        return done(high_watermark.min(log_end_offset));
    }
    if leader_epoch == UNDEFINED_EPOCH {
        return done(end_offset.min(log_end_offset));
    }
    let (follower_epoch, follower_end) = cache.end_offset_for(leader_epoch, log_end_offset);
    if follower_end == UNDEFINED_EPOCH_OFFSET {
        return done(end_offset.min(log_end_offset));
    }
    if follower_epoch != leader_epoch {
        return Some(OffsetTruncationState {
            offset: follower_end.min(log_end_offset),
            truncation_completed: false,
        });
    }
    done(follower_end.min(end_offset).min(log_end_offset))
    // END SOLUTION
}
