//! Step 4: recovery — the newest snapshot, then the log after it — survives a crash at any
//! point, and a torn tail costs only the write that was never acknowledged.

use lab08_znodes::config::ZooConfig;
use lab08_znodes::journal::Journal;
use lab08_znodes::proto::{ConnectRequest, Op};
use lab08_znodes::standalone::Standalone;
use lab08_znodes::stat::Acl;
use lab08_znodes::txn::LoggedTxn;
use lab09_persistence::store::{dirs, recover, FileJournal, SnapSchedule};

fn config(dir: &std::path::Path) -> ZooConfig {
    ZooConfig {
        data_dir: dir.to_path_buf(),
        ..ZooConfig::default()
    }
}

fn with_snap_count(dir: &std::path::Path, snap_count: u64) -> ZooConfig {
    ZooConfig {
        snap_count,
        ..config(dir)
    }
}

fn connect() -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: 10_000,
        session_id: 0,
        passwd: vec![0; 16],
        read_only: false,
    }
}

fn create(path: &str, flags: i32) -> Op {
    Op::Create {
        path: path.into(),
        data: b"d".to_vec(),
        acl: vec![Acl::open()],
        flags,
        with_stat: false,
    }
}

/// What the chain does with a transaction: append and fsync, commit, then tell the journal.
fn log(journal: &mut FileJournal, zk: &Standalone, txn: Option<LoggedTxn>, now_ms: i64) {
    let txn = txn.expect("a write is a transaction");
    journal.append(&[txn]).unwrap();
    journal.committed(&zk.server, now_ms).unwrap();
}

/// Runs a session, `/items`, `n` sequential creates and an ephemeral node through the chain
/// and the journal `config` describes; returns the final tree.
fn write(config: &ZooConfig, n: usize) -> lab08_znodes::DataTree {
    let (server, mut journal) = recover(config, 1_000).unwrap();
    let mut zk = Standalone::new(server);
    let (c, t) = zk.connect(&connect(), 1_000);
    log(&mut journal, &zk, t, 1_000);
    let session = c.session_id;
    let (_, result, t) = zk.submit(session, &create("/items", 0), 1_001);
    result.unwrap();
    log(&mut journal, &zk, t, 1_001);
    for i in 0..n {
        let now = 1_002 + i as i64;
        let (_, result, t) = zk.submit(session, &create("/items/i-", 2), now);
        result.unwrap();
        log(&mut journal, &zk, t, now);
    }
    let (_, result, t) = zk.submit(session, &create("/eph", 1), 5_000);
    result.unwrap();
    log(&mut journal, &zk, t, 5_000);
    zk.server.tree.clone()
}

/// The zxids of the snapshots in the data directory, in order.
fn snapshot_zxids(config: &ZooConfig) -> Vec<i64> {
    let (snap_dir, _) = dirs(config);
    let mut zxids: Vec<i64> = std::fs::read_dir(&snap_dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_prefix("snapshot.")
                .map(|hex| i64::from_str_radix(hex, 16).unwrap())
        })
        .collect();
    zxids.sort();
    zxids
}

#[test]
fn step4_a_restart_rebuilds_the_same_tree_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let tree = write(&config(dir.path()), 50);
    let (server, _) = recover(&config(dir.path()), 9_000).unwrap();
    assert_eq!(server.tree, tree, "replayed transaction by transaction");
    assert_eq!(server.tree.get_children("/items").unwrap().0.len(), 50);
    assert_eq!(
        server.sessions.len(),
        1,
        "the session comes back, with a fresh timeout to reconnect"
    );
    assert_eq!(server.sessions.values().next().unwrap().last_seen_ms, 9_000);
}

#[test]
fn step4_snapshots_plus_the_log_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let config = with_snap_count(dir.path(), 20);
    let tree = write(&config, 95);
    let snaps = snapshot_zxids(&config);
    assert!(
        (5..=9).contains(&snaps.len()),
        "98 transactions, a snapshot every 11 to 20: {snaps:?}"
    );
    let (server, _) = recover(&config, 9_000).unwrap();
    assert_eq!(server.tree, tree);
    assert_eq!(
        snapshot_zxids(&config),
        snaps,
        "autopurge.purgeInterval is 0: nothing is purged"
    );
}

#[test]
fn step4_a_snapshot_comes_at_a_seeded_random_point_between_half_and_all_of_snap_count() {
    // ZooKeeper's SyncRequestProcessor: more than snapCount/2 + r transactions, r random below
    // snapCount/2, so the servers of an ensemble do not all snapshot at once.
    let dir = tempfile::tempdir().unwrap();
    let config = ZooConfig {
        myid: 1,
        ..with_snap_count(dir.path(), 20)
    };
    write(&config, 100);
    let snaps = snapshot_zxids(&config);
    let mut gaps = vec![snaps[0]];
    gaps.extend(snaps.windows(2).map(|w| w[1] - w[0]));
    assert!(
        gaps.iter().all(|g| (11..=20).contains(g)),
        "each snapshot between snapCount/2 and snapCount transactions after the last: {gaps:?}"
    );
    // The thresholds come from a generator seeded with myid: the same on every run, different
    // for another server.
    let thresholds = |seed: u64| {
        let mut s = SnapSchedule::new(20, seed);
        (0..8).map(|_| s.roll()).collect::<Vec<u64>>()
    };
    assert_eq!(thresholds(1), thresholds(1));
    assert_ne!(thresholds(1), thresholds(2));
    let mut distinct = thresholds(1);
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() > 1, "the points vary: {distinct:?}");
    assert!(thresholds(7).iter().all(|t| (10..20).contains(t)));
}

#[test]
fn step4_autopurge_keeps_snap_retain_count_snapshots_and_the_logs_they_need() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "dataDir={}\nsnapCount=4\nautopurge.snapRetainCount=1\nautopurge.purgeInterval=1\n",
        dir.path().display()
    );
    let (config, warnings) = ZooConfig::parse(&text).unwrap();
    assert_eq!(
        (
            config.snap_count,
            config.snap_retain_count,
            config.purge_interval_hours
        ),
        (4, 3, 1),
        "ZooKeeper keeps at least 3 snapshots"
    );
    assert!(
        warnings.iter().any(|w| w.contains("snapRetainCount")),
        "{warnings:?}"
    );
    // The writes happen within the first hour: no purge yet.
    let tree = write(&config, 16);
    let before = snapshot_zxids(&config);
    assert!(before.len() > 3, "{before:?}");
    // A restart purges at once (ZooKeeper's purge task starts with the server) ...
    let (server, mut journal) = recover(&config, 10_000).unwrap();
    assert_eq!(server.tree, tree);
    assert_eq!(snapshot_zxids(&config), before[before.len() - 3..]);
    // ... and the logs the kept snapshots need are still there: a second restart is whole.
    let (again, _) = recover(&config, 20_000).unwrap();
    assert_eq!(again.tree, tree);
    assert_eq!(
        journal.purge_if_due(10_000 + 3_599_999).unwrap(),
        0,
        "the next purge is an hour later"
    );
}

#[test]
fn step4_without_purge_interval_nothing_is_purged() {
    let dir = tempfile::tempdir().unwrap();
    let config = ZooConfig {
        snap_retain_count: 3,
        purge_interval_hours: 0,
        ..with_snap_count(dir.path(), 4)
    };
    write(&config, 16);
    let before = snapshot_zxids(&config);
    assert!(before.len() > 3, "{before:?}");
    let (_, mut journal) = recover(&config, 10_000).unwrap();
    assert_eq!(journal.purge_if_due(i64::MAX / 2).unwrap(), 0);
    assert_eq!(snapshot_zxids(&config), before);
}

#[test]
fn step4_a_torn_tail_is_cut_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let tree = write(&config(dir.path()), 10);
    let (_, log_dir) = dirs(&config(dir.path()));
    let mut logs: Vec<_> = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("log."))
        .collect();
    logs.sort();
    // The log with the records (the newest one is empty: it waits for the next write).
    let last = logs
        .iter()
        .max_by_key(|p| {
            lab09_persistence::txn_log::read_records(&std::fs::read(p).unwrap()).valid_len
        })
        .unwrap()
        .clone();
    // A crash in the middle of the last append: half a record, then the preallocated zeros.
    let end = lab09_persistence::txn_log::read_records(&std::fs::read(&last).unwrap()).valid_len;
    let f = std::fs::OpenOptions::new().write(true).open(&last).unwrap();
    f.set_len(end - 7).unwrap();
    f.set_len(end + 4096).unwrap();
    let (server, _) = recover(&config(dir.path()), 9_000).unwrap();
    assert!(server.tree.stat("/eph").is_err(), "the torn write is gone");
    assert_eq!(
        server.tree.get_children("/items").unwrap().0.len(),
        10,
        "everything before it is there"
    );
    assert_ne!(server.tree, tree);
    // The file was cut back to whole records: a second restart reads it clean.
    let (again, _) = recover(&config(dir.path()), 9_500).unwrap();
    assert_eq!(again.tree, server.tree);
}

/// A data directory Debian's ZooKeeper 3.8 wrote (`tests/data/capture.sh`): its first
/// snapshot (the empty tree at zxid 0) and its log. Recovery replays the log onto the snapshot
/// and reaches, node for node, the tree ZooKeeper itself snapshotted when it restarted.
#[test]
fn step4_recovers_zookeepers_own_data_dir() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let expected = lab09_persistence::snapshot::decode(
        &std::fs::read(data.join("zk38-snapshot.11")).unwrap(),
        0x11,
    )
    .unwrap();
    for snapshot in ["zk38-snapshot.0", "zk38-snapshot.11"] {
        let dir = tempfile::tempdir().unwrap();
        let (snap_dir, log_dir) = dirs(&config(dir.path()));
        std::fs::create_dir_all(&snap_dir).unwrap();
        std::fs::copy(data.join("zk38-log.1"), log_dir.join("log.1")).unwrap();
        std::fs::copy(
            data.join(snapshot),
            snap_dir.join(snapshot.trim_start_matches("zk38-")),
        )
        .unwrap();
        let (server, _) = recover(&config(dir.path()), 9_000).unwrap();
        assert_eq!(server.zxid, 0x11, "from {snapshot}");
        assert_eq!(server.tree, expected.tree, "from {snapshot}");
        assert!(server.sessions.is_empty(), "both sessions closed");
    }
}

/// A record written whole (its checksum holds) that this server cannot read — a transaction
/// type lab 08 does not know, like ZooKeeper's createTTL (21) — is not a torn tail: recovery
/// stops with an error instead of cutting off an acknowledged write.
#[test]
fn step4_a_whole_record_of_an_unknown_type_is_not_cut_off() {
    use lab09_persistence::txn_log::{file_header, frame};
    let dir = tempfile::tempdir().unwrap();
    let (_, log_dir) = dirs(&config(dir.path()));
    std::fs::create_dir_all(&log_dir).unwrap();
    let mut entry = Vec::new();
    entry.extend_from_slice(&7i64.to_be_bytes()); // clientId
    entry.extend_from_slice(&1i32.to_be_bytes()); // cxid
    entry.extend_from_slice(&1i64.to_be_bytes()); // zxid
    entry.extend_from_slice(&0i64.to_be_bytes()); // time
    entry.extend_from_slice(&21i32.to_be_bytes()); // createTTL
    let mut bytes = file_header();
    bytes.extend_from_slice(&frame(&entry));
    let log = log_dir.join("log.1");
    std::fs::write(&log, &bytes).unwrap();
    let err = recover(&config(dir.path()), 9_000).err().expect("an error");
    assert!(
        matches!(
            err,
            lab09_persistence::Error::UnreadableRecord { at: 16, .. }
        ),
        "{err}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), bytes, "nothing was cut");
}
