//! The replica core's inputs and outputs. The core never talks to ZooKeeper, a follower or a
//! producer itself: a shell (lab 12's brokers later, or the simulation in `tests/sim`) calls
//! [`crate::ReplicaManager`]'s methods with what arrived and the time, carries out the
//! [`Ready`] it hands back, and owns the logs (lab 03): the core keeps offsets only.
//!
//! The shell's rules:
//! 1. `append_records` answers with the offsets the new records take; append exactly those
//!    records to the leader's log at those offsets before anything else reads it.
//! 2. `fetch` answers how far the fetcher may read (`FetchResult::read_up_to`, exclusive):
//!    send the records from the fetch offset below it (any whole prefix: a size limit is
//!    fine), with the result's high watermark.
//! 3. Run `Ready::zk_ops` in order. `UpdatePartitionState` is a conditional setData: answer it
//!    with `on_partition_state_written` (the version the write was conditioned on, and the
//!    znode's new version, or `None` when the version check failed). `CreateIsrChangeNotification` needs no answer.
//! 4. Send `Ready::produce_responses` to the producers that wait (none for `acks=0`).
//! 5. Call `tick` as time passes (any period shorter than Kafka's timers: every 100 ms is plenty).

use lab04_protocol_codec::ErrorCode;
use lab11_controller::TopicPartition;

/// One ZooKeeper write the core asks for (paths without the chroot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkOp {
    /// Kafka's `ReplicationUtils.updateLeaderAndIsr`: setData of the partition state znode
    /// `path` to `data` *if its version is still `version`*. The leader writes the ISR it
    /// wants there; the controller's LeaderAndIsr then carries on from that version.
    UpdatePartitionState {
        tp: TopicPartition,
        path: String,
        data: Vec<u8>,
        version: i32,
    },
    /// Kafka's `KafkaZkClient.propagateIsrChanges`: create the persistent *sequential* znode
    /// `/isr_change_notification/isr_change_<10 digits>` holding `data`. The controller
    /// watches that directory, re-reads the partitions named and deletes the znode.
    CreateIsrChangeNotification { path_prefix: String, data: Vec<u8> },
}

/// The answer to one produce, for one partition (`PartitionResponse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceResponse {
    /// The id `append_records` gave a waiting (`acks=all`) produce.
    pub id: u64,
    pub tp: TopicPartition,
    /// The first record's offset (it stays in the leader's log whatever the error).
    pub base_offset: i64,
    pub error: ErrorCode,
}

/// What the core wants done, taken with `ReplicaManager::ready`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    pub zk_ops: Vec<ZkOp>,
    /// `acks=all` produces that completed (or expired) since the last `ready`.
    pub produce_responses: Vec<ProduceResponse>,
}

impl Ready {
    pub fn is_empty(&self) -> bool {
        self.zk_ops.is_empty() && self.produce_responses.is_empty()
    }
}

/// What `append_records` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendResult {
    /// The answer is ready now: `acks=0` or `acks=1`, an error before the append (then
    /// `base_offset` is −1 and nothing was appended), or an `acks=all` that needed no wait.
    Done { base_offset: i64, error: ErrorCode },
    /// Appended at `base_offset..=last_offset`; the answer will come in
    /// `Ready::produce_responses` with this `id`, once the ISR has the records or the time is up.
    Delayed {
        id: u64,
        base_offset: i64,
        last_offset: i64,
    },
}

/// Which offsets a fetch may see (Kafka's `FetchIsolation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchIsolation {
    /// A follower reads to the leader's log end: it must copy what is not committed yet.
    LogEnd,
    /// A consumer (`read_uncommitted`) reads only below the high watermark: what every ISR
    /// member has, so what no failover can take back.
    HighWatermark,
}

impl FetchIsolation {
    /// A Fetch's `replica_id`: a broker id (≥ 0) is a follower, −1 a consumer.
    pub fn from_replica_id(replica_id: i32) -> FetchIsolation {
        if replica_id >= 0 {
            FetchIsolation::LogEnd
        } else {
            FetchIsolation::HighWatermark
        }
    }
}

/// One partition of a Fetch request, as the leader gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPartition {
    /// The follower's broker id, or −1 for a consumer.
    pub replica_id: i32,
    /// The offset to read from; for a follower, its log end offset.
    pub fetch_offset: i64,
    /// The leader epoch the fetcher believes in (KIP-320), `None` if it does not say.
    pub current_leader_epoch: Option<i32>,
}

/// The leader's answer to one partition of a Fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchResult {
    pub error: ErrorCode,
    /// The leader's high watermark *after* this fetch moved it (Kafka sends the updated one).
    pub high_watermark: i64,
    /// Read the records from the fetch offset up to here, exclusive (equal: nothing to send).
    pub read_up_to: i64,
}
