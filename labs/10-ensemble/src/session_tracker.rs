//! Global sessions on the leader — ZooKeeper's `LeaderSessionTracker` / `SessionTrackerImpl`.
//!
//! A session lives on every server (createSession and closeSession are transactions), but
//! only the leader decides that one *expired*. A client talks to one server; that server
//! touches the session on every request and ping. A follower collects its touches and sends
//! them in its reply to the leader's PING (`LearnerSessionTracker`'s touch table); the leader
//! touches each. A session nobody touched for its timeout is expired by the leader, which
//! proposes a closeSession for it like any other write.

use std::collections::BTreeMap;

use crate::messages::SessionId;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Tracked {
    timeout_ticks: u64,
    expires_at: u64,
    /// Expired and handed out for a closeSession: not expired again, not touched back.
    closing: bool,
}

#[derive(Clone, Debug, Default)]
pub struct SessionTracker {
    /// Only a leader tracks.
    active: bool,
    tick_time_ms: i64,
    sessions: BTreeMap<SessionId, Tracked>,
}

/// A timeout in ms as ticks, rounded up (a session never expires early).
pub fn timeout_ticks(timeout_ms: i32, tick_time_ms: i64) -> u64 {
    let ms = i64::from(timeout_ms.max(0));
    ((ms + tick_time_ms - 1) / tick_time_ms).max(1) as u64
}

impl SessionTracker {
    /// A new leader starts with every session of its tree and gives each a whole timeout: the
    /// clients could not reach anyone during the election.
    pub fn start(&mut self, sessions: &BTreeMap<SessionId, i32>, tick_time_ms: i64, now: u64) {
        self.active = true;
        self.tick_time_ms = tick_time_ms;
        self.sessions.clear();
        for (id, timeout_ms) in sessions {
            self.add(*id, *timeout_ms, now);
        }
    }

    pub fn stop(&mut self) {
        self.active = false;
        self.sessions.clear();
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// A createSession was applied.
    pub fn add(&mut self, session: SessionId, timeout_ms: i32, now: u64) {
        if !self.active {
            return;
        }
        let timeout_ticks = timeout_ticks(timeout_ms, self.tick_time_ms);
        self.sessions.insert(
            session,
            Tracked {
                timeout_ticks,
                expires_at: now + timeout_ticks,
                closing: false,
            },
        );
    }

    /// A closeSession was applied.
    pub fn remove(&mut self, session: SessionId) {
        self.sessions.remove(&session);
    }

    /// `touchSession`: the session is alive now; false when it is unknown or closing.
    pub fn touch(&mut self, session: SessionId, now: u64) -> bool {
        // BEGIN SOLUTION step 4: push the expiry of a known session that is not closing to a whole timeout from now
        // ko: 닫히는 중이 아닌 알려진 세션의 만료 시각을 지금부터 타임아웃 하나만큼 뒤로 미루세요
        match self.sessions.get_mut(&session) {
            Some(t) if !t.closing => {
                t.expires_at = now + t.timeout_ticks;
                true
            }
            _ => false,
        }
        // END SOLUTION
    }

    /// The sessions whose time is up at `now`, each returned once.
    pub fn expire(&mut self, now: u64) -> Vec<SessionId> {
        // BEGIN SOLUTION step 4: mark every session past its expiry as closing and return them
        // ko: 만료 시각이 지난 세션을 모두 닫는 중으로 표시하고 돌려주세요
        let mut expired = Vec::new();
        for (id, t) in self.sessions.iter_mut() {
            if !t.closing && t.expires_at <= now {
                t.closing = true;
                expired.push(*id);
            }
        }
        expired
        // END SOLUTION
    }
}
