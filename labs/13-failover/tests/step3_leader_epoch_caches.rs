//! Step 3 in a running broker (given `leader_epoch_caches`, over steps 1–3): each partition's
//! cache is kept in its `leader-epoch-checkpoint`, read back at a restart, rebuilt from the
//! log's batches when the file is torn, and cut when a follower truncates (Kafka 2.6's
//! `LeaderEpochFileCache` inside each `Log`).

use std::sync::Arc;

use lab01_record_batch::RecordBatchBuilder;
use lab03_partition_log::{Log, LogConfig};
use lab04_protocol_codec::ErrorCode;
use lab05_broker::partition::{ReplicaState, SingleReplica};
use lab05_broker::Partition;
use lab05_broker::Replication;
use lab12_replication::{EpochEndOffset, LeaderEpochs, Truncation};
use lab13_failover::leader_epoch_caches::LeaderEpochCaches;
use lab13_failover::{EpochEntry, LEADER_EPOCH_CHECKPOINT_FILENAME};

/// Lab 05's broker alone, except that its leader stamps its epoch into batches, as a
/// cluster's does.
struct Stamping(SingleReplica);

impl Replication for Stamping {
    fn open(&self, topic: &str, partition: i32, log_end_offset: i64) -> ReplicaState {
        self.0.open(topic, partition, log_end_offset)
    }
    fn on_leader_append(&self, t: &str, p: i32, state: &mut ReplicaState, leo: i64) {
        self.0.on_leader_append(t, p, state, leo)
    }
    fn on_follower_fetch(
        &self,
        _: &str,
        _: i32,
        _: &mut ReplicaState,
        _: i32,
        _: i64,
        _: i64,
        _: i64,
    ) -> ErrorCode {
        ErrorCode::NotLeaderOrFollower
    }
    fn stamps_leader_epoch(&self) -> bool {
        true
    }
}

fn open(dir: &std::path::Path) -> Partition {
    let (log, _) = Log::open(dir, LogConfig::default(), 0).unwrap();
    let rules = Stamping(SingleReplica { broker_id: 1 });
    Partition::new("t", 0, log, Arc::new(rules))
}

/// Appends one 2-record batch as the leader of `epoch` (the leader stamps its epoch).
fn append(p: &mut Partition, epoch: i32) {
    p.replica_state_mut().leader_epoch = epoch;
    let mut b = RecordBatchBuilder::new(0);
    b.append(0, None, Some(b"v"), vec![]);
    b.append(0, None, Some(b"w"), vec![]);
    p.append_as_leader(&mut b.build().encode(), 0).unwrap();
}

fn entries(pairs: &[(i32, i64)]) -> Vec<EpochEntry> {
    pairs.iter().map(|&(e, o)| EpochEntry::new(e, o)).collect()
}

/// A log of epoch 0 at 0..4 and epoch 2 at 4..8, its cache filled as a leader's would be.
fn log_of_two_epochs(dir: &std::path::Path) -> Partition {
    let caches = LeaderEpochCaches::new();
    let mut p = open(dir);
    caches.on_become_leader(&p, 0);
    append(&mut p, 0);
    append(&mut p, 0);
    caches.on_become_leader(&p, 2);
    append(&mut p, 2);
    append(&mut p, 2);
    p
}

#[test]
fn step3_the_checkpoint_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    drop(log_of_two_epochs(dir.path()));
    let text = std::fs::read_to_string(dir.path().join(LEADER_EPOCH_CHECKPOINT_FILENAME)).unwrap();
    assert_eq!(text, "0\n2\n0 0\n2 4\n", "Kafka's format");
    let p = open(dir.path());
    let caches = LeaderEpochCaches::new();
    assert_eq!(caches.cache(&p).entries(), entries(&[(0, 0), (2, 4)]));
    assert_eq!(caches.latest_epoch(&p), Some(2));
}

#[test]
fn step1_a_torn_checkpoint_is_rebuilt_from_the_log_batches() {
    let dir = tempfile::tempdir().unwrap();
    drop(log_of_two_epochs(dir.path()));
    let path = dir.path().join(LEADER_EPOCH_CHECKPOINT_FILENAME);
    // A torn write: the count says two entries, one line made it.
    std::fs::write(&path, "0\n2\n0 0\n").unwrap();
    let p = open(dir.path());
    let caches = LeaderEpochCaches::new();
    assert_eq!(caches.cache(&p).entries(), entries(&[(0, 0), (2, 4)]));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "0\n2\n0 0\n2 4\n",
        "rewritten whole"
    );
    // Garbage, and a missing file, the same.
    std::fs::write(&path, "zero\n").unwrap();
    assert_eq!(
        LeaderEpochCaches::new().cache(&p).entries(),
        entries(&[(0, 0), (2, 4)])
    );
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        LeaderEpochCaches::new().cache(&p).entries(),
        entries(&[(0, 0), (2, 4)])
    );
}

#[test]
fn step1_entries_past_the_recovered_log_end_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    drop(log_of_two_epochs(dir.path()));
    let path = dir.path().join(LEADER_EPOCH_CHECKPOINT_FILENAME);
    // An epoch that started at 8 whose batches a crash lost: the log ends at 8.
    std::fs::write(&path, "0\n3\n0 0\n2 4\n3 8\n").unwrap();
    let p = open(dir.path());
    assert_eq!(
        LeaderEpochCaches::new().cache(&p).entries(),
        entries(&[(0, 0), (2, 4)])
    );
}

#[test]
fn step3_a_follower_cuts_its_log_and_cache_where_the_leader_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = log_of_two_epochs(dir.path());
    let caches = LeaderEpochCaches::new();
    // The new leader never had epoch 2: its epoch 0 ends at 4 (and its epoch 3 starts there).
    let answer = EpochEndOffset {
        error_code: 0,
        leader_epoch: 0,
        end_offset: 4,
    };
    let t = caches.truncation(&p, answer).unwrap();
    assert_eq!(
        t,
        Truncation {
            offset: 4,
            completed: true
        }
    );
    let end = p.truncate_to(t.offset, 0).unwrap();
    caches.on_truncated(&p, end);
    assert_eq!(end, 4);
    assert_eq!(caches.cache(&p).entries(), entries(&[(0, 0)]));
    // The fetched batches of the new epoch go in.
    caches.on_follower_append(&p, 3, 4);
    let text = std::fs::read_to_string(dir.path().join(LEADER_EPOCH_CHECKPOINT_FILENAME)).unwrap();
    assert_eq!(text, "0\n2\n0 0\n3 4\n");
    // An error answer settles nothing: ask again.
    let refused = EpochEndOffset {
        error_code: 74, // FENCED_LEADER_EPOCH
        leader_epoch: -1,
        end_offset: -1,
    };
    assert_eq!(caches.truncation(&p, refused), None);
}

#[test]
fn step3_a_deleted_and_recreated_partition_starts_a_new_cache() {
    let dir = tempfile::tempdir().unwrap();
    let caches = LeaderEpochCaches::new();
    let p = log_of_two_epochs(dir.path());
    assert_eq!(caches.latest_epoch(&p), Some(2));
    drop(p);
    // The topic is deleted and created again: same directory, an empty log.
    std::fs::remove_dir_all(dir.path()).unwrap();
    let p = open(dir.path());
    assert_eq!(caches.latest_epoch(&p), None);
    caches.on_become_leader(&p, 5);
    assert_eq!(caches.cache(&p).entries(), entries(&[(5, 0)]));
}
