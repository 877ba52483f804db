//! The wall clock. Only the tokio shells read it: the pure cores (log, group coordinator,
//! sessions, quorum) take the time as an argument, so tests and seeded simulations can drive
//! them on a clock of their own.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as Kafka's and ZooKeeper's timestamps count them.
/// A clock set before 1970 reads as 0 rather than failing: no lab logic depends on it.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
