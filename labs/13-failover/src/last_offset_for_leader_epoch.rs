//! Step 2: the leader's answer to one partition of OffsetsForLeaderEpoch (Kafka 2.6's
//! `Partition.lastOffsetForLeaderEpoch` and `Log.endOffsetForEpoch`).
//!
//! ```text
//! follower: "my latest epoch is 2; where does epoch 2 end in your log?"
//! leader cache (0,0) (2,4) (3,7), LEO 9  →  (epoch 2, end offset 7)
//! ```
//!
//! Before looking anything up, the leader checks the asker's `current_leader_epoch`
//! (KIP-320), as a fetch does: an older one means the asker missed a leader change
//! (FENCED_LEADER_EPOCH: refresh your metadata), a newer one that this broker has not heard of
//! the change yet (UNKNOWN_LEADER_EPOCH: retry). Only the leader answers
//! (NOT_LEADER_OR_FOLLOWER otherwise).

use lab04_protocol_codec::ErrorCode;

use crate::leader_epoch_file_cache::{
    LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET,
};

/// What the local replica of the partition is, as the answer needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalReplicaState<'a> {
    /// Whether this broker leads the partition now.
    pub is_leader: bool,
    /// The leader epoch this broker knows for the partition.
    pub leader_epoch: i32,
    pub cache: &'a LeaderEpochFileCache,
    pub log_end_offset: i64,
}

/// One partition's answer: `(error, epoch, end offset)`. On an error, or when the cache knows
/// no end for the epoch, the epoch and offset are `UNDEFINED_EPOCH` and
/// `UNDEFINED_EPOCH_OFFSET`.
pub fn last_offset_for_leader_epoch(
    local: &LocalReplicaState<'_>,
    current_leader_epoch: Option<i32>,
    leader_epoch: i32,
) -> (ErrorCode, i32, i64) {
    // BEGIN SOLUTION step 2: fence an older or unknown newer current epoch, refuse if not leader, then ask the cache and turn an undefined offset into an undefined answer
    // ko: 더 오래된 현재 에포크와 모르는 더 새 에포크를 막고, 리더가 아니면 거절한 뒤 캐시에 묻고, 정의되지 않은 오프셋은 정의되지 않은 답으로 바꾸세요
    let undefined = |error| (error, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
    match current_leader_epoch {
        Some(e) if e < local.leader_epoch => return undefined(ErrorCode::FencedLeaderEpoch),
        Some(e) if e > local.leader_epoch => return undefined(ErrorCode::UnknownLeaderEpoch),
        _ => {}
    }
    if !local.is_leader {
        return undefined(ErrorCode::NotLeaderOrFollower);
    }
    let (epoch, offset) = local
        .cache
        .end_offset_for(leader_epoch, local.log_end_offset);
    if offset == UNDEFINED_EPOCH_OFFSET {
        undefined(ErrorCode::None)
    } else {
        (ErrorCode::None, epoch, offset)
    }
    // END SOLUTION
}
