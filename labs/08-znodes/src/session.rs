//! Sessions — ZooKeeper's `SessionTracker`: who is connected, for how long a silent client
//! keeps its session, and which sessions are due to expire.
//!
//! A session id carries the server's `myid` in its top byte, so two servers of an ensemble never
//! hand out the same one (`SessionTrackerImpl.initializeNextSessionId`). Every request or ping
//! *touches* the session: its deadline moves to `now + timeout`, rounded up to the next
//! multiple of the expiration interval. Sessions are kept in one bucket per deadline
//! (`ExpiryQueue`), so the expiry tick looks only at the buckets that are due, not at every
//! session.
//!
//! ```text
//! bucket 12_000: {0x100.., 0x100..}      deadlines rounded up to the interval (tickTime)
//! bucket 14_000: {0x100..}
//! ```
//! An expired session is not removed here: it is marked *closing* (its requests now fail with
//! SESSIONEXPIRED) and the server submits a closeSession transaction for it, which removes it
//! when it commits — an expiry goes through the same chain as every other write.
//! Plain state: no clock, no threads; the caller passes `now_ms`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// ZooKeeper's server secret (`ZooKeeperServer.superSecret`): the same in every server.
const SUPER_SECRET: i64 = 0xB341_5C00;

/// A session's password, as ZooKeeper derives it (`ZooKeeperServer.generatePasswd`): 16 bytes
/// of `java.util.Random` seeded with `id ^ superSecret`. Derived, not stored: neither the log's
/// createSession nor a snapshot holds it, and any server of an ensemble — ours or ZooKeeper's —
/// accepts a reconnect to a session another one created. (It keeps honest clients apart; it is
/// no secret from anyone who knows the id.)
pub fn session_passwd(id: i64) -> Vec<u8> {
    // java.util.Random: a 48-bit linear congruential generator; nextBytes takes 4 bytes from
    // each nextInt, low byte first.
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut seed = ((id ^ SUPER_SECRET) as u64 ^ MULTIPLIER) & MASK;
    let mut out = Vec::with_capacity(16);
    while out.len() < 16 {
        seed = (seed.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        let mut rnd = (seed >> 16) as u32;
        for _ in 0..4.min(16 - out.len()) {
            out.push(rnd as u8);
            rnd >>= 8;
        }
    }
    out
}

/// One session as the committed state holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub passwd: Vec<u8>,
    pub timeout_ms: i32,
    /// When the client was last heard from (any request, a ping).
    pub last_seen_ms: i64,
}

/// The session-timeout bounds (`minSessionTimeout`, `maxSessionTimeout`; default 2 and 20
/// ticks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub min_ms: i32,
    pub max_ms: i32,
}

#[derive(Debug, Clone)]
pub struct SessionTracker {
    sessions: BTreeMap<i64, Session>,
    limits: SessionLimits,
    /// The last id handed out; the next is one more.
    next_session: i64,
    /// Deadlines are rounded up to a multiple of this (ZooKeeper: `tickTime`).
    interval_ms: i64,
    /// Deadline → the sessions due then (`ExpiryQueue`).
    buckets: BTreeMap<i64, BTreeSet<i64>>,
    /// Session → its bucket.
    deadline: HashMap<i64, i64>,
    /// Sessions whose close has begun (expired, or closed by the client): no more requests.
    closing: BTreeSet<i64>,
}

impl SessionTracker {
    /// `myid` goes into the top byte of session ids; `now_ms` into the bits below, so ids stay
    /// unique across restarts too.
    pub fn new(limits: SessionLimits, myid: i64, now_ms: i64, interval_ms: i64) -> SessionTracker {
        SessionTracker {
            sessions: BTreeMap::new(),
            limits,
            // ZooKeeper's SessionTrackerImpl.initializeNextSessionId.
            next_session: (((now_ms << 24) as u64 >> 8) as i64) | (myid << 56),
            interval_ms: interval_ms.max(1),
            buckets: BTreeMap::new(),
            deadline: HashMap::new(),
            closing: BTreeSet::new(),
        }
    }

    /// A client's requested timeout, clamped to the server's bounds.
    pub fn negotiate_timeout(&self, requested_ms: i32) -> i32 {
        requested_ms.clamp(self.limits.min_ms, self.limits.max_ms)
    }

    /// A fresh session id and its password (the prep stage calls this for a new session).
    pub fn next_id(&mut self) -> (i64, Vec<u8>) {
        self.next_session += 1;
        let id = self.next_session;
        (id, session_passwd(id))
    }

    /// A committed session (a createSession transaction, a snapshot): tracked from
    /// `last_seen_ms` on.
    pub fn add(&mut self, session: Session) {
        self.next_session = self.next_session.max(session.id);
        let (id, seen) = (session.id, session.last_seen_ms);
        self.sessions.insert(id, session);
        self.schedule(id, seen);
    }

    /// A committed closeSession: the session is gone.
    pub fn remove(&mut self, id: i64) -> Option<Session> {
        self.unschedule(id);
        self.closing.remove(&id);
        self.sessions.remove(&id)
    }

    /// Notes that a session's client is alive. `false` if the session is unknown or closing:
    /// the request must be answered with SESSIONEXPIRED.
    pub fn touch(&mut self, id: i64, now_ms: i64) -> bool {
        if self.closing.contains(&id) {
            return false;
        }
        match self.sessions.get_mut(&id) {
            Some(s) => {
                s.last_seen_ms = now_ms;
                self.schedule(id, now_ms);
                true
            }
            None => false,
        }
    }

    /// Marks a session closing (its close transaction is on the way). `false` if it is unknown
    /// or already closing.
    pub fn set_closing(&mut self, id: i64) -> bool {
        self.sessions.contains_key(&id) && self.closing.insert(id)
    }

    pub fn is_closing(&self, id: i64) -> bool {
        self.closing.contains(&id)
    }

    /// The sessions whose deadline is at or before `now_ms`, each returned once: they are
    /// marked closing, and the caller submits a closeSession for each.
    pub fn expire_due(&mut self, now_ms: i64) -> Vec<i64> {
        let mut due = Vec::new();
        while let Some(entry) = self.buckets.first_entry() {
            if *entry.key() > now_ms {
                break;
            }
            for id in entry.remove() {
                self.deadline.remove(&id);
                if self.closing.insert(id) {
                    due.push(id);
                }
            }
        }
        due
    }

    /// Every session gets a fresh timeout from `now_ms`: after a restart its client has that
    /// long to reconnect (as ZooKeeper does).
    pub fn restart_clocks(&mut self, now_ms: i64) {
        let ids: Vec<i64> = self.sessions.keys().copied().collect();
        for id in ids {
            if let Some(s) = self.sessions.get_mut(&id) {
                s.last_seen_ms = now_ms;
            }
            self.schedule(id, now_ms);
        }
    }

    pub fn get(&self, id: i64) -> Option<&Session> {
        self.sessions.get(&id)
    }

    pub fn contains_key(&self, id: &i64) -> bool {
        self.sessions.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &i64> {
        self.sessions.keys()
    }

    /// The sessions in id order (for snapshots).
    pub fn values(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    /// Puts a session in the bucket of `now + timeout`, rounded up to the interval
    /// (`ExpiryQueue.roundToNextInterval`).
    fn schedule(&mut self, id: i64, now_ms: i64) {
        let Some(timeout) = self.sessions.get(&id).map(|s| i64::from(s.timeout_ms)) else {
            return;
        };
        let at = now_ms + timeout;
        let bucket = (at / self.interval_ms + 1) * self.interval_ms;
        if self.deadline.get(&id) == Some(&bucket) {
            return;
        }
        self.unschedule(id);
        self.deadline.insert(id, bucket);
        self.buckets.entry(bucket).or_default().insert(id);
    }

    fn unschedule(&mut self, id: i64) {
        if let Some(old) = self.deadline.remove(&id) {
            if let Some(set) = self.buckets.get_mut(&old) {
                set.remove(&id);
                if set.is_empty() {
                    self.buckets.remove(&old);
                }
            }
        }
    }
}
