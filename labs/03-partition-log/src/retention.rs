//! Retention: which old segments to delete (Kafka's `UnifiedLog.deleteOldSegments`).
//!
//! Kafka never deletes single records: it deletes whole segments, oldest first, which is just
//! removing files and costs nothing per record. That is why retention limits are approximate:
//! a segment goes only when *all* of it is past the limit. The active segment is never deleted.
//!
//! Both rules walk from the oldest segment and stop at the first one that must stay, so the
//! log always stays one contiguous range of offsets.

/// What retention needs to know about a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentInfo {
    pub base_offset: i64,
    pub size: u64,
    /// Largest record timestamp in the segment (−1 if empty).
    pub max_timestamp: i64,
}

/// `log.retention.bytes`: how many of the oldest segments to delete so that the log is no
/// larger than `retention_bytes` — Kafka's rule: a segment goes while the log would still be at
/// least `retention_bytes` without it. −1 means no limit. The last (active) segment stays.
pub fn expired_by_size(segments: &[SegmentInfo], retention_bytes: i64) -> usize {
    // BEGIN SOLUTION step 4: from the oldest, drop segments while the excess over the limit still covers them
    // ko: 가장 오래된 것부터, 한도를 넘는 양이 아직 덮는 동안 세그먼트를 지우기
    if retention_bytes < 0 {
        return 0;
    }
    let total: u64 = segments.iter().map(|s| s.size).sum();
    let mut excess = total as i64 - retention_bytes;
    let deletable = &segments[..segments.len().saturating_sub(1)];
    deletable
        .iter()
        .take_while(|s| {
            let keep_going = excess - s.size as i64 >= 0;
            if keep_going {
                excess -= s.size as i64;
            }
            keep_going
        })
        .count()
    // END SOLUTION
}

/// `log.retention.hours`: how many of the oldest segments have no record newer than
/// `now_ms − retention_ms`. −1 means no limit. The last (active) segment stays.
pub fn expired_by_age(segments: &[SegmentInfo], retention_ms: i64, now_ms: i64) -> usize {
    // BEGIN SOLUTION step 4: from the oldest, drop segments whose newest record is older than the limit
    // ko: 가장 오래된 것부터, 가장 새 레코드도 한도보다 오래된 세그먼트를 지우기
    if retention_ms < 0 {
        return 0;
    }
    let deletable = &segments[..segments.len().saturating_sub(1)];
    deletable
        .iter()
        .take_while(|s| now_ms - s.max_timestamp > retention_ms)
        .count()
    // END SOLUTION
}
