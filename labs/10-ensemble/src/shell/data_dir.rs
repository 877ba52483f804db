//! An ensemble member's data dir — ZooKeeper's `FileTxnSnapLog` plus the two epoch files:
//!
//! ```text
//! dataDir/myid                      this server's N
//! dataDir/version-2/acceptedEpoch   the newest epoch it promised to follow (text)
//! dataDir/version-2/currentEpoch    the epoch whose history its log holds (text)
//! dataDir/version-2/snapshot.<zxid> lab 09's FileSnap
//! dataDir/version-2/log.<zxid>      lab 09's FileTxnLog: every proposal it ACKed
//! ```
//! Unlike a standalone server, a member does not replay its whole log at start: the log may
//! end in proposals that were never committed. It restores the snapshot, hands the logged
//! transactions to the core, and applies them once the leader says they are the ensemble's
//! history.

use std::path::{Path, PathBuf};

use lab08_znodes::config::ZooConfig;
use lab08_znodes::server::ZkServer;
use lab08_znodes::txn::LoggedTxn;
use lab09_persistence::store::{dirs, SnapSchedule};
use lab09_persistence::txn_log::{self, LogWriter};
use lab09_persistence::{snapshot, Error, Result};

/// What the data dir held at start.
pub struct Loaded {
    /// The newest snapshot's state (an empty tree at zxid 0 without one).
    pub server: ZkServer,
    /// The logged transactions after it, in zxid order.
    pub log: Vec<LoggedTxn>,
    pub accepted_epoch: i64,
    pub current_epoch: i64,
}

pub struct DataDir {
    snap_dir: PathBuf,
    log_dir: PathBuf,
    writer: Option<LogWriter>,
    last_logged: i64,
    since_snapshot: u64,
    schedule: SnapSchedule,
}

impl DataDir {
    /// Reads the data dir of `config` (creating it when new).
    pub fn load(config: &ZooConfig, now_ms: i64) -> Result<(DataDir, Loaded)> {
        let (snap_dir, log_dir) = dirs(config);
        for d in [&snap_dir, &log_dir] {
            std::fs::create_dir_all(d).map_err(lab09_persistence::error::io("create", d))?;
        }
        let mut server = ZkServer::with_tick(
            config.session_limits(),
            config.myid,
            now_ms,
            i64::from(config.tick_time),
        );
        let mut from = 0;
        if let Some(snap) = snapshot::newest_valid(&snap_dir)? {
            from = snap.zxid;
            server.restore(snap.tree, snap.sessions, snap.zxid);
            server.restart_session_clocks(now_ms);
        }
        let log = txn_log::read_logs(&log_dir, from)?;
        let accepted_epoch = read_epoch(&snap_dir.join("acceptedEpoch"))?;
        let current_epoch = read_epoch(&snap_dir.join("currentEpoch"))?;
        let last_logged = log.last().map_or(from, |t| t.zxid);
        let dir = DataDir {
            snap_dir,
            log_dir,
            writer: None,
            last_logged,
            since_snapshot: log.len() as u64,
            schedule: SnapSchedule::new(config.snap_count, config.myid as u64),
        };
        Ok((
            dir,
            Loaded {
                server,
                log,
                accepted_epoch,
                current_epoch,
            },
        ))
    }

    /// Writes an epoch file (`acceptedEpoch` or `currentEpoch`) durably: written to a
    /// temporary file, fsynced, renamed — as ZooKeeper's `writeLongToFile`.
    pub fn write_epoch(&self, name: &str, epoch: i64) -> Result<()> {
        let path = self.snap_dir.join(name);
        let tmp = self.snap_dir.join(format!("{name}.tmp"));
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(format!("{epoch}\n").as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(lab09_persistence::error::io("write", &path))
    }

    /// Appends proposals to the log and fsyncs (one fsync for the whole batch).
    pub fn append(&mut self, txns: &[LoggedTxn]) -> Result<()> {
        let Some(first) = txns.first() else {
            return Ok(());
        };
        if self.writer.is_none() {
            self.writer = Some(LogWriter::create(&self.log_dir, first.zxid)?);
        }
        let writer = self.writer.as_mut().expect("just opened");
        writer
            .append(txns)
            .map_err(lab09_persistence::error::io("append to", &self.log_dir))?;
        self.last_logged = txns.last().map_or(self.last_logged, |t| t.zxid);
        self.since_snapshot += txns.len() as u64;
        Ok(())
    }

    /// TRUNC: forgets every logged transaction after `after` (they were never committed). The
    /// kept ones are written again to one new log file.
    pub fn truncate(&mut self, after: i64) -> Result<()> {
        self.writer = None;
        let kept: Vec<LoggedTxn> = txn_log::read_logs(&self.log_dir, 0)?
            .into_iter()
            .filter(|t| t.zxid <= after)
            .collect();
        for (_, path) in txn_log::log_files(&self.log_dir)? {
            std::fs::remove_file(&path).map_err(lab09_persistence::error::io("remove", &path))?;
        }
        self.last_logged = after;
        self.append(&kept)?;
        // New proposals go to a file of their own.
        self.writer = None;
        Ok(())
    }

    /// SNAP: the leader's image replaces everything. The snapshot is written, and the logs
    /// go: nothing in them is newer than the image that is still history.
    pub fn install(&mut self, server: &ZkServer) -> Result<()> {
        self.writer = None;
        snapshot::write(&self.snap_dir, server)?;
        for (_, path) in txn_log::log_files(&self.log_dir)? {
            std::fs::remove_file(&path).map_err(lab09_persistence::error::io("remove", &path))?;
        }
        self.last_logged = server.zxid;
        self.since_snapshot = 0;
        Ok(())
    }

    /// After the tree changed: a snapshot of it when `snapCount` says one is due. Returns
    /// whether one was written.
    pub fn maybe_snapshot(&mut self, server: &ZkServer) -> Result<bool> {
        if !self.schedule.due(self.since_snapshot) {
            return Ok(false);
        }
        snapshot::write(&self.snap_dir, server)?;
        // Proposals logged after it go to a new file (named after the next one logged).
        self.writer = None;
        self.since_snapshot = 0;
        self.schedule.roll();
        Ok(true)
    }

    pub fn last_logged(&self) -> i64 {
        self.last_logged
    }
}

/// An epoch file's number; 0 when there is none yet (a new server).
fn read_epoch(path: &Path) -> Result<i64> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.trim().parse().map_err(|_| Error::BadRecord {
            path: path.display().to_string(),
            reason: format!("{:?} is not an epoch number", text.trim()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(lab09_persistence::error::io("read", path)(e)),
    }
}
