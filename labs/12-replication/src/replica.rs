//! A follower as the leader sees it (Kafka's `kafka.cluster.Replica`). The leader never asks
//! a follower how far it got: every fetch says it, because a follower fetches from its own log
//! end offset (LEO) — asking for offset 42 means "I have everything below 42".
//!
//! From its fetches the leader keeps two things per follower:
//!
//! - its **log end offset**, for the high watermark (step 2);
//! - its **last caught-up time** (`lastCaughtUpTimeMs`): the latest time *t* such that the
//!   follower's most recent fetch asked for an offset ≥ the leader's LEO at *t*. The ISR rules
//!   (step 3) ask "how long since this follower was caught up?", not "how many records behind
//!   is it?": a count of records would punish a follower for a burst of produces it will copy
//!   in its next fetch, while time tells a stuck or slow follower from a busy one.
//!
//! ```text
//! time  leader LEO  fetch offset  rule                                caught up at
//!  100      10           10       10 ≥ 10, the LEO now                    100
//!  200      12           10       10 < 12; 10 ≥ 10, the LEO at t=100      100 (the previous fetch)
//!  300      14           12       12 < 14; 12 ≥ 12, the LEO at t=200      200 (the previous fetch)
//!  400      14           13       13 < 14; 13 < 14, the LEO at t=300      200 (no change)
//! ```
//!
//! The second rule ("≥ the leader's LEO at the previous fetch" → caught up at the previous
//! fetch's time) matters when small produces arrive all the time: the follower's fetch offset
//! may then *never* equal the leader's LEO, yet it is keeping up, one fetch behind.

/// An offset nobody knows yet (`Log.UnknownOffset`).
pub const UNKNOWN_OFFSET: i64 = -1;

/// One remote replica of a partition this broker leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replica {
    broker_id: i32,
    /// The follower's LEO: the offset of its last fetch (`logEndOffsetMetadata`).
    log_end_offset: i64,
    /// The leader's LEO when the last fetch arrived (`lastFetchLeaderLogEndOffset`).
    last_fetch_leader_log_end_offset: i64,
    /// When the last fetch arrived (`lastFetchTimeMs`).
    last_fetch_time_ms: i64,
    /// `lastCaughtUpTimeMs`, see the module doc.
    last_caught_up_time_ms: i64,
}

impl Replica {
    /// A replica the leader has not heard from: unknown LEO, never caught up.
    pub fn new(broker_id: i32) -> Replica {
        Replica {
            broker_id,
            log_end_offset: UNKNOWN_OFFSET,
            last_fetch_leader_log_end_offset: 0,
            last_fetch_time_ms: 0,
            last_caught_up_time_ms: 0,
        }
    }

    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }
    pub fn last_caught_up_time_ms(&self) -> i64 {
        self.last_caught_up_time_ms
    }
    pub fn last_fetch_time_ms(&self) -> i64 {
        self.last_fetch_time_ms
    }
    pub fn last_fetch_leader_log_end_offset(&self) -> i64 {
        self.last_fetch_leader_log_end_offset
    }

    /// `Replica.updateFetchState`: a fetch from `fetch_offset` arrived at `fetch_time_ms`,
    /// when the leader's log ended at `leader_end_offset`.
    ///
    /// - `fetch_offset ≥ leader_end_offset`: caught up *now* (`fetch_time_ms`);
    /// - else `fetch_offset ≥` the leader's LEO at the previous fetch: caught up at the
    ///   previous fetch's time;
    /// - the caught-up time never goes back (a late, reordered fetch cannot undo one).
    ///
    /// Then remember this fetch: the follower's LEO, the leader's LEO and the time.
    pub fn update_fetch_state(
        &mut self,
        fetch_offset: i64,
        fetch_time_ms: i64,
        leader_end_offset: i64,
    ) {
        // BEGIN SOLUTION step 1: move the last caught-up time by the two rules (never backwards), then remember this fetch
        // ko: 두 규칙으로 마지막 따라잡은 시각을 옮기고(뒤로 가지 않게) 이번 페치를 기억하세요
        if fetch_offset >= leader_end_offset {
            self.last_caught_up_time_ms = self.last_caught_up_time_ms.max(fetch_time_ms);
        } else if fetch_offset >= self.last_fetch_leader_log_end_offset {
            self.last_caught_up_time_ms = self.last_caught_up_time_ms.max(self.last_fetch_time_ms);
        }
        self.log_end_offset = fetch_offset;
        self.last_fetch_leader_log_end_offset = leader_end_offset;
        self.last_fetch_time_ms = fetch_time_ms;
        // END SOLUTION
    }

    /// `Replica.resetLastCaughtUpTime`, when this broker becomes (or stays) leader: pretend
    /// the last fetch came `now_ms` with the leader's LEO at `leader_end_offset`, and set the
    /// caught-up time outright — `now_ms` for an ISR member (the controller says it is in sync,
    /// so give it a full `replica.lag.time.max.ms` to show it), 0 for the others.
    pub fn reset_last_caught_up_time(
        &mut self,
        leader_end_offset: i64,
        now_ms: i64,
        last_caught_up_time_ms: i64,
    ) {
        // BEGIN SOLUTION step 1: set the three fields outright, even if the caught-up time goes back
        // ko: 따라잡은 시각이 뒤로 가더라도 세 필드를 그대로 덮어쓰세요
        self.last_fetch_leader_log_end_offset = leader_end_offset;
        self.last_fetch_time_ms = now_ms;
        self.last_caught_up_time_ms = last_caught_up_time_ms;
        // END SOLUTION
    }
}
