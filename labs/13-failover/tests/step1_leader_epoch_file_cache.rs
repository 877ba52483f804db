//! Step 1: the leader epoch cache (Kafka's `LeaderEpochFileCache`) and the
//! `leader-epoch-checkpoint` file (`LeaderEpochCheckpointFile`).

use lab13_failover::{
    decode_checkpoint, encode_checkpoint, EpochEntry, Error, LeaderEpochCheckpointFile,
    LeaderEpochFileCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET,
};

fn cache(entries: &[(i32, i64)]) -> LeaderEpochFileCache {
    let mut c = LeaderEpochFileCache::new();
    for &(e, o) in entries {
        assert!(c.assign(e, o).unwrap());
    }
    c
}

fn pairs(c: &LeaderEpochFileCache) -> Vec<(i32, i64)> {
    c.entries()
        .iter()
        .map(|e| (e.epoch, e.start_offset))
        .collect()
}

#[test]
fn step1_assign_records_the_first_offset_of_each_new_epoch() {
    let mut c = LeaderEpochFileCache::new();
    assert_eq!(c.latest_epoch(), UNDEFINED_EPOCH);
    assert!(c.assign(0, 0).unwrap());
    // More batches of epoch 0: nothing changes, nothing to write.
    assert!(!c.assign(0, 3).unwrap());
    assert!(c.assign(2, 4).unwrap());
    assert!(c.assign(3, 7).unwrap());
    assert!(!c.assign(3, 8).unwrap());
    assert_eq!(pairs(&c), vec![(0, 0), (2, 4), (3, 7)]);
    assert_eq!(c.latest_epoch(), 3);
    assert_eq!(
        c.assign(-1, 3),
        Err(Error::BadEpochEntry {
            epoch: -1,
            start_offset: 3
        })
    );
}

#[test]
fn step1_assign_drops_entries_that_would_break_monotonicity() {
    // The latest epoch starting earlier (after a truncation) replaces its entry.
    let mut c = cache(&[(0, 0), (2, 4)]);
    assert!(c.assign(2, 3).unwrap());
    assert_eq!(pairs(&c), vec![(0, 0), (2, 3)]);
    // An older epoch at a later offset (a bad leader): every entry ≥ epoch or ≥ offset goes.
    let mut c = cache(&[(0, 0), (2, 4), (3, 7)]);
    assert!(c.assign(1, 5).unwrap());
    assert_eq!(pairs(&c), vec![(0, 0), (1, 5)]);
    let mut c = cache(&[(0, 0), (2, 4)]);
    assert!(c.assign(3, 2).unwrap());
    assert_eq!(pairs(&c), vec![(0, 0), (3, 2)]);
}

/// `LeaderEpochFileCacheTest`'s cases for `endOffsetFor`, Kafka 2.6 semantics.
#[test]
fn step1_end_offset_for_follows_kafka_26() {
    let empty = LeaderEpochFileCache::new();
    let undefined = (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
    assert_eq!(empty.end_offset_for(0, 10), undefined);
    let c = cache(&[(1, 5), (3, 10), (5, 20)]);
    assert_eq!(c.end_offset_for(UNDEFINED_EPOCH, 30), undefined);
    // The latest epoch ends at the log end.
    assert_eq!(c.end_offset_for(5, 30), (5, 30));
    // A known epoch ends where the next starts.
    assert_eq!(c.end_offset_for(3, 30), (3, 20));
    assert_eq!(c.end_offset_for(1, 30), (1, 10));
    // An unknown epoch between two: the largest smaller epoch, ending at the next start.
    assert_eq!(c.end_offset_for(2, 30), (1, 10));
    assert_eq!(c.end_offset_for(4, 30), (3, 20));
    // Below every epoch: the asked epoch, ending where the first starts.
    assert_eq!(c.end_offset_for(0, 30), (0, 5));
    // Above every epoch.
    assert_eq!(c.end_offset_for(6, 30), undefined);
}

#[test]
fn step1_truncation_from_either_end() {
    let mut c = cache(&[(0, 0), (2, 4), (3, 7)]);
    assert!(!c.truncate_from_end(-1));
    assert!(!c.truncate_from_end(9), "no entry starts at or after 9");
    assert!(c.truncate_from_end(7));
    assert_eq!(pairs(&c), vec![(0, 0), (2, 4)]);
    assert!(c.truncate_from_end(3));
    assert_eq!(pairs(&c), vec![(0, 0)]);

    let mut c = cache(&[(0, 0), (2, 4), (3, 7)]);
    assert!(c.truncate_from_start(5));
    assert_eq!(pairs(&c), vec![(2, 5), (3, 7)], "epoch 2 now covers from 5");
    assert!(c.truncate_from_start(7));
    assert_eq!(pairs(&c), vec![(3, 7)]);
    let mut c = cache(&[(2, 4)]);
    assert!(!c.truncate_from_start(3), "nothing starts at or before 3");
}

#[test]
fn step1_the_checkpoint_text_is_kafkas() {
    let entries = [
        EpochEntry::new(0, 0),
        EpochEntry::new(2, 4),
        EpochEntry::new(3, 7),
    ];
    assert_eq!(encode_checkpoint(&entries), "0\n3\n0 0\n2 4\n3 7\n");
    assert_eq!(encode_checkpoint(&[]), "0\n0\n");
    assert_eq!(
        decode_checkpoint("0\n3\n0 0\n2 4\n3 7\n", "f").unwrap(),
        entries
    );
    assert_eq!(decode_checkpoint("0\n0\n", "f").unwrap(), vec![]);
}

#[test]
fn step1_a_bad_checkpoint_names_its_line() {
    let line_of = |text: &str| match decode_checkpoint(text, "dir/leader-epoch-checkpoint") {
        Err(Error::BadCheckpoint { line, path, .. }) => {
            assert_eq!(path, "dir/leader-epoch-checkpoint");
            line
        }
        other => panic!("{text:?} gave {other:?}"),
    };
    assert_eq!(line_of(""), 1);
    assert_eq!(line_of("1\n0\n"), 1, "unknown version");
    assert_eq!(line_of("0\nthree\n"), 2);
    assert_eq!(
        line_of("0\n3\n0 0\n2 4\n"),
        5,
        "a torn write: an entry missing"
    );
    assert_eq!(line_of("0\n2\n0 0\n2\n"), 4, "half a line");
    assert_eq!(line_of("0\n1\n0 x\n"), 3);
    assert_eq!(line_of("0\n1\n-1 0\n"), 3);
    assert_eq!(line_of("0\n2\n2 4\n1 5\n"), 4, "epochs must go up");
    assert_eq!(line_of("0\n1\n0 0\n2 4\n"), 4, "more lines than counted");
    let msg = decode_checkpoint("0\n3\n0 0\n", "p")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("expected 3 entries"), "{msg}");
}

#[test]
fn step1_the_checkpoint_file_is_replaced_atomically_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = LeaderEpochCheckpointFile::new(dir.path());
    assert_eq!(file.read().unwrap(), vec![], "no file: an empty cache");
    let mut c = cache(&[(0, 0), (2, 4)]);
    file.write(c.entries()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("leader-epoch-checkpoint")).unwrap(),
        "0\n2\n0 0\n2 4\n"
    );
    assert!(c.truncate_from_end(4));
    file.write(c.entries()).unwrap();
    assert!(!dir.path().join("leader-epoch-checkpoint.tmp").exists());
    let back = LeaderEpochFileCache::from_entries(file.read().unwrap());
    assert_eq!(back, c);
    std::fs::write(file.path(), "0\n2\n0 0\n").unwrap();
    assert!(matches!(
        file.read(),
        Err(Error::BadCheckpoint { line: 4, .. })
    ));
}
