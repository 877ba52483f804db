//! Purging old files — ZooKeeper's `PurgeTxnLog`, run every `autopurge.purgeInterval` hours by
//! its `DatadirCleanupManager`: keep the newest `autopurge.snapRetainCount` snapshots (at least
//! 3) and every log a kept snapshot still needs; delete the rest. Without a purge, snapshots and
//! logs pile up forever (ZooKeeper's default: `purgeInterval=0`, never).
//!
//! ```text
//! snapshot.a  snapshot.f  snapshot.14  snapshot.1e        retain 3: snapshot.a goes
//! log.1       log.b       log.15       log.1f             log.1 goes (all of it is ≤ f);
//!                                                         log.b stays: it holds f+1…
//! ```

use std::path::Path;

use crate::error::Result;
use crate::txn_log::{files_named, log_files};

/// ZooKeeper refuses to keep fewer snapshots than this (`PurgeTxnLog`: "snapRetainCount
/// should be at least 3").
pub const MIN_SNAP_RETAIN: usize = 3;

/// Deletes all but the newest `retain` (at least 3) snapshots of `snap_dir`, and the logs of
/// `log_dir` whose every transaction is at or before the oldest kept snapshot. `active` (the
/// log being written) is never deleted. Returns how many files went.
pub fn purge(snap_dir: &Path, log_dir: &Path, retain: usize, active: &Path) -> Result<usize> {
    let retain = retain.max(MIN_SNAP_RETAIN);
    let mut snaps = files_named(snap_dir, "snapshot.")?;
    if snaps.len() <= retain {
        return Ok(0);
    }
    let keep_from = snaps[snaps.len() - retain].0;
    let mut removed = 0;
    for (_, path) in snaps.drain(..snaps.len() - retain) {
        if std::fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    // A log starting at `start` holds zxids up to the next log's start − 1: it is still needed
    // if that range reaches past the oldest kept snapshot.
    let logs = log_files(log_dir)?;
    for pair in logs.windows(2) {
        if pair[1].0 <= keep_from + 1
            && pair[0].1 != active
            && std::fs::remove_file(&pair[0].1).is_ok()
        {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, retain, "purged old snapshots and logs");
    }
    Ok(removed)
}
