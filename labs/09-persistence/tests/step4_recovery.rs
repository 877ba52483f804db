//! Step 4: recovery — the newest snapshot, then the log after it — survives a crash at any
//! point, and a torn tail costs only the write that was never acknowledged.

use lab08_znodes::config::ZooConfig;
use lab08_znodes::connection::Journal;
use lab08_znodes::proto::{ConnectRequest, Op};
use lab08_znodes::stat::Acl;
use lab09_persistence::store::{dirs, recover};

fn config(dir: &std::path::Path) -> ZooConfig {
    ZooConfig {
        data_dir: dir.to_path_buf(),
        ..ZooConfig::default()
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

/// Runs `n` creates through a journal with a snapshot every `snap` transactions; returns the
/// final tree.
fn write(dir: &std::path::Path, n: usize, snap: u64) -> lab08_znodes::DataTree {
    let (mut server, mut journal) = recover(&config(dir), 1_000, snap).unwrap();
    let session = server.connect(&connect(), 1_000).session_id;
    let t = server.take_pending();
    journal.write(&server, &t).unwrap();
    server
        .apply(session, &create("/items", 0), 1_001)
        .1
        .unwrap();
    for i in 0..n {
        server
            .apply(session, &create("/items/i-", 2), 1_002 + i as i64)
            .1
            .unwrap();
        let t = server.take_pending();
        journal.write(&server, &t).unwrap();
    }
    server.apply(session, &create("/eph", 1), 5_000).1.unwrap();
    let t = server.take_pending();
    journal.write(&server, &t).unwrap();
    server.tree.clone()
}

#[test]
fn step4_a_restart_rebuilds_the_same_tree_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let tree = write(dir.path(), 50, 1_000_000);
    let (server, _) = recover(&config(dir.path()), 9_000, 1_000_000).unwrap();
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
    let tree = write(dir.path(), 95, 20);
    let (snap_dir, _) = dirs(&config(dir.path()));
    let snaps = std::fs::read_dir(&snap_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("snapshot.")
        })
        .count();
    assert!(
        (1..=3).contains(&snaps),
        "snapshots were taken and purged down to 3: {snaps}"
    );
    let (server, _) = recover(&config(dir.path()), 9_000, 20).unwrap();
    assert_eq!(server.tree, tree);
}

#[test]
fn step4_a_torn_tail_is_cut_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let tree = write(dir.path(), 10, 1_000_000);
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
    let (server, _) = recover(&config(dir.path()), 9_000, 1_000_000).unwrap();
    assert!(server.tree.stat("/eph").is_err(), "the torn write is gone");
    assert_eq!(
        server.tree.get_children("/items").unwrap().0.len(),
        10,
        "everything before it is there"
    );
    assert_ne!(server.tree, tree);
    // The file was cut back to whole records: a second restart reads it clean.
    let (again, _) = recover(&config(dir.path()), 9_500, 1_000_000).unwrap();
    assert_eq!(again.tree, server.tree);
}
