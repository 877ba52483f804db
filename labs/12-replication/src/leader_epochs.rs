//! Given: where lab 13's leader epochs plug into this lab's running broker.
//!
//! Without them a new follower keeps its log and fetches from its end — enough while a leader
//! lives for ever, wrong after a failover, when a follower may hold records the new leader
//! never got (see `replica_fetcher`). Lab 13 keeps, per partition, which leader epoch started
//! at which offset (`leader-epoch-checkpoint`) and implements this trait; this lab's shell calls
//! it at the moments Kafka 2.6 touches its `LeaderEpochFileCache`:
//!
//! ```text
//! LeaderAndIsr: leader at epoch E   → on_become_leader    (E starts at the log end)
//! a follower appends fetched batches → on_follower_append (each batch's epoch, base offset)
//! a follower starts following        → latest_epoch, OffsetsForLeaderEpoch to the leader,
//!                                       truncation_offset, the log is cut, on_truncated
//! ```
//!
//! The trait sits here and not in lab 13 because labs only depend on earlier labs: this lab's
//! fetcher calls it, lab 13 fills it in, and the broker (`kafka-server-start`) connects the two
//! with [`crate::ClusterReplication::set_leader_epochs`].

use lab05_broker::Partition;

/// One partition of a leader's OffsetsForLeaderEpoch answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEndOffset {
    pub error_code: i16,
    /// The largest epoch ≤ the one asked that the leader knows (−1: none).
    pub leader_epoch: i32,
    /// Where that epoch ends in the leader's log (−1: unknown).
    pub end_offset: i64,
}

/// A follower's truncation (Kafka's `OffsetTruncationState`): cut the log to end at `offset`;
/// unless `completed`, ask the leader again before fetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    pub offset: i64,
    pub completed: bool,
}

/// The leader epoch cache of every partition of a broker (lab 13's).
pub trait LeaderEpochs: Send + Sync + 'static {
    /// This broker leads `partition` from `leader_epoch` on: the epoch starts at the log end
    /// (`Partition.makeLeader`).
    fn on_become_leader(&self, partition: &Partition, leader_epoch: i32);

    /// A follower appended a fetched batch written by the leader of `epoch`, at `base_offset`.
    fn on_follower_append(&self, partition: &Partition, epoch: i32, base_offset: i64);

    /// The epoch a truncating follower asks its leader about; `None` when it knows none (then
    /// it cuts its log to its high watermark, as before leader epochs).
    fn latest_epoch(&self, partition: &Partition) -> Option<i32>;

    /// Where to cut, given the leader's answer; `None` when the answer is an error (ask again).
    fn truncation(&self, partition: &Partition, answer: EpochEndOffset) -> Option<Truncation>;

    /// The log was cut to end at `end_offset`: forget the epochs that started there or later.
    fn on_truncated(&self, partition: &Partition, end_offset: i64);
}
