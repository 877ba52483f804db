//! Given: lab 12's core behind lab 05's [`Replication`] hook, in a running broker of a cluster.
//!
//! Lab 05's [`lab05_broker::Partition`] keeps the log and a [`ReplicaState`] (leader, ISR,
//! high watermark) that its request handlers read: a consumer's Fetch stops at that HW, an
//! `acks=all` produce waits until it passes the batch. Here that state is *copied from the
//! core* ([`ReplicaManager`] for the partitions this broker leads, [`FollowerPartition`] for
//! those it follows) every time the hook is called:
//!
//! - `on_leader_append` — a producer's batch went into the leader's log: the core's LEO moves
//!   (`append_records` with acks=1: the shell waits for acks=all itself, see
//!   `replication_service`);
//! - `on_follower_fetch` — a follower's Fetch (`replica_id` = its broker id): the core's
//!   `fetch` records its LEO, which may move the HW and grow the ISR;
//! - `tick` — the log manager's timer and this shell's own (every 100 ms, [`run_timers`]):
//!   the ISR shrinks, the HW follows.
//!
//! Lock order: the broker's lock (held by lab 05 when it calls the hook) before this one's.
//! Nothing here takes the broker's lock while holding its own.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use lab04_protocol_codec::ErrorCode;
use lab05_broker::partition::ReplicaState;
use lab05_broker::shared::now_ms;
use lab05_broker::{Replication, Shared};
use lab11_controller::requests::LeaderAndIsrPartitionState;
use lab11_controller::{TopicPartition, ZkAdmin};
use tokio::sync::mpsc;

use crate::config::ReplicaConfig;
use crate::delayed_produce::DelayedProduce;
use crate::events::{FetchPartition, ZkOp};
use crate::leader_epochs::LeaderEpochs;
use crate::partition::Partition;
use crate::replica_fetcher::FollowerPartition;
use crate::replica_manager::ReplicaManager;
use crate::replication_offset_checkpoint::{
    ReplicationOffsetCheckpoint, HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS,
};

/// What this broker is for its partitions: the core's leaders and its followers.
#[derive(Debug)]
pub struct Replicas {
    pub core: ReplicaManager,
    pub followers: BTreeMap<TopicPartition, FollowerPartition>,
    /// The ISR LeaderAndIsr last gave a followed partition (Metadata on this broker shows it).
    pub follower_isr: BTreeMap<TopicPartition, Vec<i32>>,
}

/// The replica rules of a broker in a cluster (lab 05's [`Replication`]).
pub struct ClusterReplication {
    broker_id: i32,
    config: ReplicaConfig,
    replicas: Mutex<Replicas>,
    /// The core's ZooKeeper writes, for [`run_zk_writes`] (in order).
    zk_ops: mpsc::UnboundedSender<ZkOp>,
    /// Lab 13's leader epoch caches, once the broker sets them: followers then truncate by
    /// leader epoch before fetching. Without them a follower keeps its log (lab 12 alone).
    epochs: OnceLock<Arc<dyn LeaderEpochs>>,
    /// The high watermarks of `replication-offset-checkpoint` read at start: a partition
    /// opened then starts from its checkpointed HW instead of 0.
    checkpointed: Mutex<BTreeMap<TopicPartition, i64>>,
}

impl ClusterReplication {
    /// The rules of broker `broker_id` and the receiving end of its ZooKeeper writes.
    pub fn new(
        broker_id: i32,
        config: ReplicaConfig,
        now_ms: i64,
    ) -> (Arc<ClusterReplication>, mpsc::UnboundedReceiver<ZkOp>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let replication = Arc::new(ClusterReplication {
            broker_id,
            config,
            replicas: Mutex::new(Replicas {
                core: ReplicaManager::new(broker_id, config, now_ms),
                followers: BTreeMap::new(),
                follower_isr: BTreeMap::new(),
            }),
            zk_ops: tx,
            epochs: OnceLock::new(),
            checkpointed: Mutex::new(BTreeMap::new()),
        });
        (replication, rx)
    }

    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }

    pub fn config(&self) -> ReplicaConfig {
        self.config
    }

    /// Plugs in lab 13's leader epochs (once; a second call is ignored). Set it before the
    /// first LeaderAndIsr arrives.
    pub fn set_leader_epochs(&self, epochs: Arc<dyn LeaderEpochs>) {
        let _ = self.epochs.set(epochs);
    }

    pub fn leader_epochs(&self) -> Option<&Arc<dyn LeaderEpochs>> {
        self.epochs.get()
    }

    /// Reads `replication-offset-checkpoint` in `log_dir`, before the broker opens its
    /// partitions. A file that does not parse is reported and ignored (every HW from 0).
    pub fn load_high_watermarks(&self, log_dir: &Path) {
        let file = ReplicationOffsetCheckpoint::new(log_dir);
        let entries = file.read().unwrap_or_else(|e| {
            tracing::error!("{e}");
            BTreeMap::new()
        });
        tracing::info!(
            partitions = entries.len(),
            "read the high watermark checkpoint"
        );
        *self.checkpointed.lock().unwrap_or_else(|e| e.into_inner()) = entries;
    }

    /// The core and the followers; a panic while held leaves whole steps applied, so carry on.
    pub fn replicas(&self) -> MutexGuard<'_, Replicas> {
        self.replicas.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// LeaderAndIsr made this broker leader of `tp`, whose log is `partition` (lab 05's):
    /// the core takes over (a follower stops following), then the state is copied.
    pub fn become_leader(
        &self,
        partition: &mut lab05_broker::Partition,
        state: &LeaderAndIsrPartitionState,
        min_insync_replicas: usize,
        now_ms: i64,
    ) {
        let tp = TopicPartition::new(partition.topic(), partition.index());
        let mut replicas = self.replicas();
        replicas.followers.remove(&tp);
        replicas.follower_isr.remove(&tp);
        let (leo, hw) = (partition.log_end_offset(), partition.high_watermark());
        match replicas.core.become_leader(&tp, state, leo, hw, now_ms) {
            Ok(_) => {
                replicas
                    .core
                    .set_min_insync_replicas(&tp, min_insync_replicas);
                if let Some(epochs) = self.leader_epochs() {
                    epochs.on_become_leader(partition, state.leader_epoch);
                }
            }
            Err(e) => tracing::error!(%tp, "cannot lead: {e}"),
        }
        self.after(&mut replicas);
        copy_state(&replicas, &tp, partition.replica_state_mut());
    }

    /// LeaderAndIsr made this broker a follower of `tp`: the core forgets leading it (its
    /// waiting produces hear NOT_LEADER_OR_FOLLOWER) and a [`FollowerPartition`] starts from
    /// the log's end. Returns whether the partition's leader or epoch changed (fetch anew).
    ///
    /// The follower starts *truncating*: with lab 13's leader epochs plugged in
    /// ([`ClusterReplication::set_leader_epochs`]) the fetcher first asks the leader where the
    /// logs diverge and cuts there; without them the log is kept as it is.
    pub fn become_follower(
        &self,
        partition: &mut lab05_broker::Partition,
        state: &LeaderAndIsrPartitionState,
    ) -> bool {
        let tp = TopicPartition::new(partition.topic(), partition.index());
        let mut replicas = self.replicas();
        replicas.core.stop_leading(&tp);
        let (leo, hw) = (partition.log_end_offset(), partition.high_watermark());
        let changed = match replicas.followers.get_mut(&tp) {
            Some(follower) => follower.make_follower(state),
            None => match FollowerPartition::new(tp.clone(), self.broker_id, state, leo, hw) {
                Ok(follower) => {
                    replicas.followers.insert(tp.clone(), follower);
                    true
                }
                Err(e) => {
                    tracing::error!(%tp, "cannot follow: {e}");
                    false
                }
            },
        };
        replicas.follower_isr.insert(tp.clone(), state.isr.clone());
        self.after(&mut replicas);
        copy_state(&replicas, &tp, partition.replica_state_mut());
        changed
    }

    /// StopReplica: neither lead nor follow `tp` any more.
    pub fn stop(&self, tp: &TopicPartition) {
        let mut replicas = self.replicas();
        replicas.core.stop_leading(tp);
        replicas.followers.remove(tp);
        replicas.follower_isr.remove(tp);
        self.after(&mut replicas);
    }

    /// The check before an `acks=all` append: NOT_ENOUGH_REPLICAS when the ISR of a partition
    /// this broker leads is smaller than its `min.insync.replicas` (NONE otherwise: a
    /// partition led elsewhere is refused by lab 11's handler).
    pub fn check_acks_all(&self, tp: &TopicPartition) -> ErrorCode {
        let replicas = self.replicas();
        match replicas.core.partition(tp) {
            Some(p) if p.is_leader() && p.isr().len() < p.config().min_insync_replicas => {
                ErrorCode::NotEnoughReplicas
            }
            _ => ErrorCode::None,
        }
    }

    /// Step 4's `DelayedProduce::try_complete` against the core's partition now.
    pub fn try_complete(&self, produce: &DelayedProduce) -> Option<ErrorCode> {
        let replicas = self.replicas();
        produce.try_complete(replicas.core.partition(&produce.tp))
    }

    /// The core's timers, then its writes go to ZooKeeper.
    pub fn tick_core(&self, now_ms: i64) {
        let mut replicas = self.replicas();
        replicas.core.tick(now_ms);
        self.after(&mut replicas);
    }

    /// ZooKeeper answered the ISR write of `tp` conditioned on `version`: the znode's new
    /// version, or `None` (events rule 3).
    pub fn on_partition_state_written(
        &self,
        tp: &TopicPartition,
        version: i32,
        new_version: Option<i32>,
        now_ms: i64,
    ) {
        let mut replicas = self.replicas();
        if let Err(e) = replicas
            .core
            .on_partition_state_written(tp, version, new_version, now_ms)
        {
            tracing::warn!(%tp, "an ISR write answered late: {e}");
        }
        self.after(&mut replicas);
    }

    /// Hands the core's ZooKeeper writes to [`run_zk_writes`]. (Its produce answers are not
    /// used: the shell's produces wait with [`ClusterReplication::try_complete`].)
    fn after(&self, replicas: &mut Replicas) {
        for op in replicas.core.ready().zk_ops {
            let _ = self.zk_ops.send(op);
        }
    }
}

/// Copies what the core says of `tp` into lab 05's state: a leader's replicas, ISR and HW,
/// or a follower's leader and HW. A partition neither led nor followed keeps its state.
pub fn copy_state(replicas: &Replicas, tp: &TopicPartition, state: &mut ReplicaState) {
    if let Some(p) = replicas.core.partition(tp).filter(|p| p.is_leader()) {
        copy_leader_state(p, state);
    } else if let Some(f) = replicas.followers.get(tp) {
        state.leader_id = f.leader_id();
        state.leader_epoch = f.leader_epoch();
        state.high_watermark = f.high_watermark();
        if let Some(isr) = replicas.follower_isr.get(tp) {
            state.isr = isr.clone();
        }
        state.followers.clear();
    }
}

/// Step 6: a leader's state as lab 05's handlers see it, from the core's [`Partition`]: this
/// broker as leader, the leader epoch, the replicas, the ISR, the high watermark (a consumer's
/// Fetch stops there, an `acks=all` produce waits for it) and each follower's LEO and
/// caught-up time (for the learner's eyes: lab 05 does not decide anything with them).
pub fn copy_leader_state(p: &Partition, state: &mut ReplicaState) {
    // BEGIN SOLUTION step 6: copy the leader id, epoch, replicas, ISR and high watermark, and each remote replica's LEO and caught-up time
    // ko: 리더 id, 에포크, 레플리카, ISR, 하이 워터마크, 그리고 원격 레플리카마다 LEO와 따라잡은 시각을 옮기세요
    state.leader_id = p.local_broker_id;
    state.leader_epoch = p.leader_epoch();
    // Called after every append: the lists are copied into the vectors already there and the
    // followers updated where they stand, so the produce path allocates nothing here.
    state.replicas.clear();
    state.replicas.extend_from_slice(p.assigned_replicas());
    state.isr.clear();
    state.isr.extend_from_slice(p.isr());
    state.high_watermark = p.high_watermark();
    state
        .followers
        .retain(|id, _| p.remote_replicas.contains_key(id));
    for (id, r) in &p.remote_replicas {
        // A key already there keeps its node: only a new follower allocates.
        state.followers.insert(
            *id,
            lab05_broker::partition::FollowerState {
                log_end_offset: r.log_end_offset(),
                last_caught_up_ms: r.last_caught_up_time_ms(),
            },
        );
    }
    // END SOLUTION
}

impl Replication for ClusterReplication {
    fn open(&self, topic: &str, partition: i32, log_end_offset: i64) -> ReplicaState {
        let mut state = ReplicaState {
            leader_id: -1,
            leader_epoch: -1,
            replicas: vec![],
            isr: vec![],
            // From `replication-offset-checkpoint` (never past the log's end); a partition it
            // does not name has nothing committed until a leader says so.
            high_watermark: self
                .checkpointed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&TopicPartition::new(topic, partition))
                .map_or(0, |hw| (*hw).clamp(0, log_end_offset.max(0))),
            followers: BTreeMap::new(),
        };
        copy_state(
            &self.replicas(),
            &TopicPartition::new(topic, partition),
            &mut state,
        );
        state
    }

    fn on_leader_append(
        &self,
        topic: &str,
        partition: i32,
        state: &mut ReplicaState,
        log_end_offset: i64,
    ) {
        let tp = TopicPartition::new(topic, partition);
        let mut replicas = self.replicas();
        let count = match replicas.core.partition(&tp) {
            Some(p) if p.is_leader() => log_end_offset - p.log_end_offset(),
            _ => 0,
        };
        if count > 0 {
            // acks=1 to the core: it only moves the LEO; acks=all waits in the shell.
            if let Err(e) = replicas.core.append_records(&tp, count, 1, 0, now_ms()) {
                tracing::error!(%tp, "the core refused an append: {e}");
            }
        }
        self.after(&mut replicas);
        copy_state(&replicas, &tp, state);
    }

    fn on_follower_fetch(
        &self,
        topic: &str,
        partition: i32,
        state: &mut ReplicaState,
        replica_id: i32,
        fetch_offset: i64,
        _log_end_offset: i64,
        now_ms: i64,
    ) -> ErrorCode {
        let tp = TopicPartition::new(topic, partition);
        let mut replicas = self.replicas();
        let request = FetchPartition {
            replica_id,
            fetch_offset,
            current_leader_epoch: None,
        };
        let result = replicas.core.fetch(&tp, &request, now_ms);
        self.after(&mut replicas);
        copy_state(&replicas, &tp, state);
        result.error
    }

    fn stamps_leader_epoch(&self) -> bool {
        true
    }

    fn tick(
        &self,
        topic: &str,
        partition: i32,
        state: &mut ReplicaState,
        _log_end_offset: i64,
        _now_ms: i64,
    ) {
        copy_state(
            &self.replicas(),
            &TopicPartition::new(topic, partition),
            state,
        );
    }
}

/// Writes every hosted partition's high watermark to `replication-offset-checkpoint` in the
/// log directory (on the timer and at shutdown). The broker's lock is held only to collect.
pub fn checkpoint_high_watermarks(shared: &Shared) {
    let (dir, entries) = {
        let broker = shared.broker();
        let logs = broker.logs();
        let entries: BTreeMap<TopicPartition, i64> = logs
            .topic_names()
            .iter()
            .filter_map(|t| logs.partitions(t))
            .flat_map(|ps| ps.values())
            .map(|p| {
                (
                    TopicPartition::new(p.topic(), p.index()),
                    p.high_watermark(),
                )
            })
            .collect();
        (broker.log_dir().to_path_buf(), entries)
    };
    if let Err(e) = ReplicationOffsetCheckpoint::new(&dir).write(&entries) {
        tracing::error!("writing the high watermark checkpoint: {e}");
    }
}

/// The core's timers every 100 ms (events rule 5): ISR shrinks, ISR change notifications,
/// then every partition's state is copied again and waiting produces look again; the high
/// watermark checkpoint every `replica.high.watermark.checkpoint.interval.ms`. Ends when
/// `stop` is cancelled.
pub async fn run_timers(
    shared: Arc<Shared>,
    replication: Arc<ClusterReplication>,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut every = tokio::time::interval(Duration::from_millis(100));
    let checkpoint_every = Duration::from_millis(HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS);
    let mut checkpoint = tokio::time::interval_at(
        tokio::time::Instant::now() + checkpoint_every,
        checkpoint_every,
    );
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = checkpoint.tick() => {
                checkpoint_high_watermarks(&shared);
                continue;
            }
            _ = stop.cancelled() => return,
        }
        let now = now_ms();
        replication.tick_core(now);
        shared.broker().logs_mut().tick_replicas(now);
        shared.appended.notify_waiters();
    }
}

/// Runs the core's ZooKeeper writes in order on the broker's session (`ZkAdmin`), and tells
/// the core how each ISR write went (events rule 3). Ends when the replication is dropped.
pub async fn run_zk_writes(
    shared: Arc<Shared>,
    replication: Arc<ClusterReplication>,
    admin: ZkAdmin,
    mut ops: mpsc::UnboundedReceiver<ZkOp>,
) {
    while let Some(op) = ops.recv().await {
        match op {
            ZkOp::UpdatePartitionState {
                tp,
                path,
                data,
                version,
            } => {
                let answer = admin.update_partition_state(&path, data, version).await;
                let new_version = match answer {
                    Ok(v) => v,
                    Err(e) => {
                        // No session: the write did not happen. A version check failure is
                        // the closest answer (the leader waits for LeaderAndIsr).
                        tracing::warn!(%tp, "writing the ISR: {e}");
                        None
                    }
                };
                tracing::info!(%tp, version, ?new_version, "ISR written to ZooKeeper");
                replication.on_partition_state_written(&tp, version, new_version, now_ms());
                shared.appended.notify_waiters();
            }
            ZkOp::CreateIsrChangeNotification { path_prefix, data } => {
                match admin.create_sequential(&path_prefix, data).await {
                    Ok(path) => tracing::info!("ISR change notification {path}"),
                    Err(e) => tracing::warn!("ISR change notification: {e}"),
                }
            }
        }
    }
}
