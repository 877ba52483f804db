//! The log manager (Kafka's `LogManager`): which partition logs live in `log.dirs`, opening
//! them at start, creating and removing them, and the background work on them — retention and
//! flushing on a timer. Request handlers never open a file; they ask for a [`Partition`].
//!
//! ```text
//! log.dirs/
//!   orders-0/  00000000000000000000.log .index .timeindex …
//!   orders-1/
//!   clicks-0/
//! ```
//! A partition's folder is `<topic>-<partition>`, as in Kafka, so a broker finds its topics
//! again after a restart by listing `log.dirs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lab03_partition_log::{Log, LogConfig};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::partition::{Partition, Replication};
use crate::producer_state::ProducerStates;
use crate::shared::{now_ms, Shared};

/// `orders-3` → (`orders`, 3). Topic names may contain `-`, so split at the last one.
pub fn parse_partition_dir(name: &str) -> Option<(String, i32)> {
    let (topic, partition) = name.rsplit_once('-')?;
    let partition: i32 = partition.parse().ok().filter(|p| *p >= 0)?;
    (!topic.is_empty()).then(|| (topic.to_string(), partition))
}

/// Kafka's rule for topic names: 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

pub struct LogManager {
    dir: PathBuf,
    /// What a new partition log gets unless its topic says otherwise (lab 06).
    log_config: LogConfig,
    /// Topic name → the partitions this broker hosts, by partition index. A map and not a
    /// list: a broker alone hosts partitions 0..n, but in a cluster (lab 11) it hosts only the
    /// partitions the controller gave it — of a 6-partition topic on 3 brokers, perhaps 1 and 4.
    topics: BTreeMap<String, BTreeMap<i32, Partition>>,
    /// The replica rules every partition gets (lab 05: this broker alone).
    replication: Arc<dyn Replication>,
    /// Lab 14's producer state for every partition; `None` in lab 05.
    producer_states: Option<Arc<dyn ProducerStates>>,
}

impl LogManager {
    /// Opens `dir`: every `<topic>-<partition>` folder becomes a partition log again,
    /// recovered by lab 03. Any set of partitions may be there (`orders-1` and `orders-4`
    /// alone is a broker of a cluster), so each folder is a partition of its own.
    pub fn open(
        dir: &Path,
        log_config: LogConfig,
        replication: Arc<dyn Replication>,
        now_ms: i64,
    ) -> Result<LogManager> {
        // BEGIN SOLUTION step 1: create log.dirs and open every topic-partition folder as a Log, whatever partitions are there
        // ko: log.dirs를 만들고, 어떤 파티션들이 있든 토픽-파티션 폴더마다 Log로 열기
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            op: "create",
            path: dir.display().to_string(),
            source,
        })?;
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
            op: "list",
            path: dir.display().to_string(),
            source,
        })?;
        let mut found: BTreeMap<String, BTreeMap<i32, PathBuf>> = BTreeMap::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if let Some((topic, partition)) =
                parse_partition_dir(&name).filter(|(t, _)| valid_topic_name(t))
            {
                if entry.path().is_dir() {
                    found
                        .entry(topic)
                        .or_default()
                        .insert(partition, entry.path());
                }
            }
        }
        let mut manager = LogManager {
            dir: dir.to_path_buf(),
            log_config,
            topics: BTreeMap::new(),
            replication,
            producer_states: None,
        };
        for (topic, partitions) in found {
            let count = partitions.len();
            for (partition, path) in partitions {
                let (log, _) = Log::open(&path, manager.log_config.clone(), now_ms)?;
                manager.insert_partition(&topic, partition, log);
            }
            tracing::info!(%topic, partitions = count, "loaded topic");
        }
        Ok(manager)
        // END SOLUTION
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_config(&self) -> &LogConfig {
        &self.log_config
    }

    /// Opens (creating if needed) the log of one partition with `config`.
    pub fn open_log(
        &self,
        topic: &str,
        partition: i32,
        config: LogConfig,
        now_ms: i64,
    ) -> Result<Log> {
        let path = self.dir.join(format!("{topic}-{partition}"));
        Ok(Log::open(&path, config, now_ms)?.0)
    }

    /// Creates `partitions` empty partition logs for `topic` with the default settings.
    pub fn create_topic(&mut self, topic: &str, partitions: i32, now_ms: i64) -> Result<()> {
        let logs = (0..partitions)
            .map(|p| self.open_log(topic, p, self.log_config.clone(), now_ms))
            .collect::<Result<Vec<_>>>()?;
        self.insert_topic(topic, logs);
        Ok(())
    }

    /// Adds a topic whose partition logs the caller opened, partition 0 first. Replaces a
    /// topic of the same name.
    pub fn insert_topic(&mut self, topic: &str, logs: Vec<Log>) {
        let partitions = logs
            .into_iter()
            .enumerate()
            .map(|(i, log)| {
                let index = i as i32;
                (index, self.new_partition(topic, index, log))
            })
            .collect();
        self.topics.insert(topic.to_string(), partitions);
    }

    /// Adds one partition whose log the caller opened; replaces a partition of the same index.
    pub fn insert_partition(&mut self, topic: &str, partition: i32, log: Log) {
        let partition_state = self.new_partition(topic, partition, log);
        self.topics
            .entry(topic.to_string())
            .or_default()
            .insert(partition, partition_state);
    }

    /// Opens (creating its folder if needed) the log of one partition with `config` and hosts
    /// it — what a broker of a cluster does when the controller names it a replica (lab 11).
    /// A partition already hosted is kept as it is.
    pub fn create_partition(
        &mut self,
        topic: &str,
        partition: i32,
        config: LogConfig,
        now_ms: i64,
    ) -> Result<()> {
        if self.partition(topic, partition).is_none() {
            let log = self.open_log(topic, partition, config, now_ms)?;
            self.insert_partition(topic, partition, log);
        }
        Ok(())
    }

    /// Takes one partition out (a topic left without partitions is gone too); the caller
    /// decides what happens to its files (`Log::delete` removes them).
    pub fn remove_partition(&mut self, topic: &str, partition: i32) -> Option<Log> {
        let partitions = self.topics.get_mut(topic)?;
        let removed = partitions.remove(&partition)?;
        if partitions.is_empty() {
            self.topics.remove(topic);
        }
        Some(removed.into_log())
    }

    /// Adds partitions to an existing topic, numbered after its last one (CreatePartitions).
    /// Returns the logs back if the topic does not exist.
    pub fn add_partitions(
        &mut self,
        topic: &str,
        logs: Vec<Log>,
    ) -> std::result::Result<(), Vec<Log>> {
        let Some(mut next) = self
            .topics
            .get(topic)
            .map(|partitions| partitions.keys().next_back().map_or(0, |last| last + 1))
        else {
            return Err(logs);
        };
        for log in logs {
            let partition = self.new_partition(topic, next, log);
            if let Some(partitions) = self.topics.get_mut(topic) {
                partitions.insert(next, partition);
            }
            next += 1;
        }
        Ok(())
    }

    /// Takes a topic out: from now on requests see it as unknown. Returns the logs it hosted,
    /// by partition index; the caller decides what happens to their files (`Log::delete`
    /// removes them).
    pub fn remove_topic(&mut self, topic: &str) -> Option<Vec<Log>> {
        let partitions = self.topics.remove(topic)?;
        Some(partitions.into_values().map(Partition::into_log).collect())
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    /// How many partitions of `topic` this broker hosts (for a broker alone: all of them).
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        self.topics.get(topic).map(BTreeMap::len)
    }

    /// The partitions of `topic` this broker hosts, by index.
    pub fn partitions(&self, topic: &str) -> Option<&BTreeMap<i32, Partition>> {
        self.topics.get(topic)
    }

    pub fn partition(&self, topic: &str, partition: i32) -> Option<&Partition> {
        self.topics.get(topic)?.get(&partition)
    }

    pub fn partition_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Partition> {
        self.topics.get_mut(topic)?.get_mut(&partition)
    }

    /// A partition with this manager's replica rules and producer state.
    fn new_partition(&self, topic: &str, index: i32, log: Log) -> Partition {
        let producers = self
            .producer_states
            .as_ref()
            .map(|states| states.open(topic, index, &log));
        let mut partition = Partition::new(topic, index, log, self.replication.clone());
        partition.set_producers(producers);
        partition
    }

    /// Gives every partition, hosted now or later, lab 14's producer state.
    pub fn set_producer_states(&mut self, states: Arc<dyn ProducerStates>) {
        for (topic, partitions) in self.topics.iter_mut() {
            for (index, partition) in partitions.iter_mut() {
                partition.set_producers(Some(states.open(topic, *index, partition.log())));
            }
        }
        self.producer_states = Some(states);
    }

    /// Persists every partition's producer state (a clean shutdown).
    pub fn close_producers(&mut self) {
        for partition in self.all_mut() {
            partition.close_producers();
        }
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Partition> {
        self.topics.values_mut().flat_map(BTreeMap::values_mut)
    }

    /// fsyncs every partition: on the flush timer and at shutdown.
    pub fn flush_all(&mut self) -> Result<()> {
        for partition in self.all_mut() {
            partition.log_mut().flush()?;
        }
        Ok(())
    }

    /// Lets every partition's replica rules see the time (ISR shrinking in lab 12).
    pub fn tick_replicas(&mut self, now_ms: i64) {
        for partition in self.all_mut() {
            partition.tick(now_ms);
        }
    }

    /// Applies retention to every partition whose `cleanup.policy` includes `delete` (a
    /// compact-only log keeps its old segments: the cleaner shrinks them instead); returns how
    /// many segments were deleted.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<usize> {
        let mut deleted = 0;
        for partition in self.all_mut() {
            if partition.log().config().cleanup_policy.delete {
                deleted += partition.log_mut().apply_retention(now_ms)?;
            }
        }
        Ok(deleted)
    }

    /// Runs the log cleaner (lab 03 step 6) over every partition; returns how many it
    /// compacted. A shortcut: Kafka's cleaner threads work beside the request handlers, while
    /// this one holds the broker's lock while it cleans, so keep compacted topics small here.
    pub fn clean_all(&mut self, now_ms: i64) -> Result<usize> {
        let mut cleaned = 0;
        for partition in self.all_mut() {
            let topic = partition.topic().to_string();
            let index = partition.index();
            if let Some(stats) = partition.log_mut().clean(now_ms)? {
                tracing::info!(%topic, partition = index, ?stats, "log cleaner compacted the log");
                cleaned += 1;
            }
        }
        Ok(cleaned)
    }
}

/// The log manager's timers, until `stop`: retention every `log.retention.check.interval.ms`,
/// a flush of every log every `log.flush.interval.ms` if set — Kafka runs the same two jobs on
/// its scheduler (`kafka-log-retention`, `kafka-log-flusher`) — the replica rules' clock
/// every second (Kafka's `isr-expiration`), and the log cleaner every `log.cleaner.backoff.ms`.
pub async fn run_background(shared: Arc<Shared>, stop: CancellationToken) {
    let config = shared.broker().config().clone();
    let mut retention =
        tokio::time::interval(Duration::from_millis(config.retention_check_interval_ms));
    // Without `log.flush.interval.ms` the flush timer never fires: a year is "never" here.
    let flush_every = Duration::from_millis(config.flush_interval_ms.unwrap_or(365 * 86_400_000));
    let mut flush =
        tokio::time::interval_at(tokio::time::Instant::now() + flush_every, flush_every);
    let mut replicas = tokio::time::interval(Duration::from_secs(1));
    // Without `log.cleaner.enable` the cleaner never runs: a year is "never" here.
    let clean_every = Duration::from_millis(match config.cleaner_enable {
        true => config.cleaner_backoff_ms,
        false => 365 * 86_400_000,
    });
    let mut cleaner =
        tokio::time::interval_at(tokio::time::Instant::now() + clean_every, clean_every);
    loop {
        tokio::select! {
            _ = cleaner.tick() => {
                if let Err(e) = shared.broker().clean_logs(now_ms()) {
                    tracing::error!("log cleaner: {e}");
                }
            }
            _ = replicas.tick() => shared.broker().logs_mut().tick_replicas(now_ms()),
            _ = retention.tick() => match shared.broker().logs_mut().apply_retention(now_ms()) {
                Ok(0) => {}
                Ok(n) => tracing::info!("retention deleted {n} segments"),
                Err(e) => tracing::error!("retention: {e}"),
            },
            _ = flush.tick() => {
                if let Err(e) = shared.broker().logs_mut().flush_all() {
                    tracing::error!("flush: {e}");
                }
            }
            _ = stop.cancelled() => return,
        }
    }
}
