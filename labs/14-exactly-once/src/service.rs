//! Given: lab 14's [`Service`] on lab 05's router — idempotence and transactions in the running
//! broker, a broker alone (`kafka-server-start` without `zookeeper.connect`; a cluster runs
//! `cluster_transactions` instead, which shares `txn_apis` and `txn_offsets` with it).
//!
//! - every partition gets a producer state ([`crate::partition_producers`]): duplicates
//!   answered with their original offset, gaps and zombies refused, snapshots on roll and
//!   shutdown, the last stable offset and the aborted transactions;
//! - InitProducerId (v0–v3, replacing lab 04's v0–v1), AddPartitionsToTxn, AddOffsetsToTxn,
//!   EndTxn go to the transaction coordinator ([`TxnShell`]), whose clock ticks every second
//!   (expired transactions are aborted); TxnOffsetCommit's offsets go to `__consumer_offsets`,
//!   pending until the transaction's marker (`txn_offsets`);
//! - FindCoordinator with key type 1 names this broker (key type 0 is lab 07's);
//! - Fetch with `isolation_level` 1 (`read_committed`) stops at the last stable offset and
//!   lists the aborted transactions it reaches.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use lab04_protocol_codec::{ErrorCode, FetchRequest, FetchResponse};
use lab05_broker::partition::committed_prefix;
use lab05_broker::shared::now_ms;
use lab05_broker::{Broker, RequestContext, Router, ServerProperties, Service, Shared};
use lab07_consumer_groups::messages::find_coordinator::{
    self, FindCoordinatorRequest, FindCoordinatorResponse,
};
use lab07_consumer_groups::GroupService;

use crate::errors::Errors;
use crate::messages::txn_offset_commit::{TxnOffsetCommitRequest, TxnOffsetCommitResponse};
use crate::partition_producers::Idempotence;
use crate::transaction_coordinator::{TxnRequest, TxnResponse};
use crate::transaction_shell::TxnShell;
use crate::transaction_state_manager::TransactionConfig;
use crate::txn_apis::{route_coordinator_apis, Coordinate};
use crate::txn_offsets::{store_txn_offsets, txn_offset_commit_response};

/// The broker's transaction keys, with Kafka 2.6's defaults.
pub fn transaction_config(p: &ServerProperties) -> lab05_broker::Result<TransactionConfig> {
    let mut config = TransactionConfig::default();
    if let Some(ms) = p.number("transaction.max.timeout.ms", "a number of ms")? {
        config.transaction_max_timeout_ms = i32::try_from(ms)
            .ok()
            .filter(|ms| *ms > 0)
            .ok_or_else(|| p.invalid("transaction.max.timeout.ms", "must be 1 to 2147483647"))?;
    }
    if let Some(n) = p.number("transaction.state.log.num.partitions", "a partition count")? {
        config.transaction_log_num_partitions =
            i32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                p.invalid("transaction.state.log.num.partitions", "must be at least 1")
            })?;
    }
    let key = "transaction.abort.timed.out.transaction.cleanup.interval.ms";
    if let Some(ms) = p.number(key, "a number of ms")? {
        if ms <= 0 {
            return Err(p.invalid(key, "must be a positive number of ms"));
        }
        config.abort_timed_out_transactions_interval_ms = ms;
    }
    if let Some(n) = p.number("offsets.topic.num.partitions", "a partition count")? {
        config.offsets_topic_num_partitions = n.clamp(1, i64::from(i32::MAX)) as i32;
    }
    Ok(config)
}

pub struct ExactlyOnceService {
    shared: Arc<Shared>,
    groups: Arc<GroupService>,
    /// Taken before the broker's lock (and lab 07's state lock after both).
    txn: Mutex<TxnShell>,
}

impl ExactlyOnceService {
    /// Loads every partition's producer state and `__transaction_state`, and starts the
    /// coordinator's clock. Call inside a tokio runtime.
    pub fn open(
        shared: Arc<Shared>,
        groups: Arc<GroupService>,
        config: TransactionConfig,
    ) -> Arc<ExactlyOnceService> {
        let txn = {
            let mut broker = shared.broker();
            broker.set_producer_states(Idempotence::new());
            TxnShell::open(&mut broker, config, now_ms())
        };
        let service = Arc::new(ExactlyOnceService {
            shared,
            groups,
            txn: Mutex::new(txn),
        });
        // The clock holds a weak reference: it stops when the service is gone.
        let weak: Weak<ExactlyOnceService> = Arc::downgrade(&service);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            loop {
                interval.tick().await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                let mut txn = service.txn();
                txn.tick(&mut service.shared.broker(), &service.groups, now_ms());
            }
        });
        service
    }

    fn txn(&self) -> MutexGuard<'_, TxnShell> {
        self.txn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One request to the coordinator, answered once it is done.
    fn coordinate_now(&self, request: TxnRequest) -> Option<TxnResponse> {
        let mut txn = self.txn();
        let answer = txn.request(&mut self.shared.broker(), &self.groups, request, now_ms());
        // Markers appended: wake fetches waiting for the last stable offset to move.
        self.shared.appended.notify_waiters();
        answer
    }

    /// TxnOffsetCommit: the producer must be the transactional id's current one (a zombie is
    /// fenced here too); then the offsets go to `__consumer_offsets`, pending.
    pub fn txn_offset_commit(&self, r: TxnOffsetCommitRequest) -> TxnOffsetCommitResponse {
        let txn = self.txn();
        let mut error =
            txn.check_offsets_producer(&r.transactional_id, r.producer_id, r.producer_epoch);
        if error == Errors::None {
            let mut broker = self.shared.broker();
            if let Err(e) = store_txn_offsets(&mut broker, &self.groups, &r, now_ms()) {
                error = e;
            }
        }
        drop(txn);
        txn_offset_commit_response(r, error)
    }

    /// FindCoordinator: key type 1 (a transactional id) names this broker, which leads every
    /// `__transaction_state` partition; key type 0 is lab 07's.
    fn transaction_coordinator(&self) -> FindCoordinatorResponse {
        let broker = self.shared.broker();
        let config = broker.config();
        let (host, port) = config.advertised_here();
        FindCoordinatorResponse {
            error_code: ErrorCode::None,
            error_message: None,
            node_id: config.broker_id,
            host,
            port: i32::from(port),
        }
    }
}

/// A `read_committed` fetch: each partition's records cut at its last stable offset, and the
/// aborted transactions among them (Kafka: `Log.read` with `FetchTxnCommitted`).
pub fn read_committed(broker: &Broker, request: &FetchRequest, response: &mut FetchResponse) {
    for t in &mut response.responses {
        for p in &mut t.partitions {
            let Some(partition) = broker.partition(&t.topic, p.partition) else {
                continue;
            };
            let lso = partition.last_stable_offset();
            p.last_stable_offset = lso;
            if request.isolation_level != 1 || p.error_code != ErrorCode::None {
                continue;
            }
            p.records.truncate(committed_prefix(&p.records, lso));
            let from = request
                .topics
                .iter()
                .filter(|f| f.name == t.topic)
                .flat_map(|f| f.partitions.iter())
                .find(|f| f.partition == p.partition)
                .map_or(0, |f| f.fetch_offset);
            p.aborted_transactions = Some(partition.aborted_transactions(from, lso));
        }
    }
}

impl Coordinate for ExactlyOnceService {
    /// A broker alone answers at once: its appends count when they are in its log.
    async fn coordinate(self: Arc<Self>, request: TxnRequest) -> Option<TxnResponse> {
        self.coordinate_now(request)
    }
}

impl Service for ExactlyOnceService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        route_coordinator_apis(router, &self);
        let s = self.clone();
        router.route(move |_: RequestContext, r: TxnOffsetCommitRequest| {
            let answer = s.txn_offset_commit(r);
            async move { Ok(Some(answer)) }
        });
        let s = self.clone();
        router.route(move |ctx: RequestContext, r: FindCoordinatorRequest| {
            let s = s.clone();
            async move {
                if r.key_type == 1 {
                    return Ok(Some(s.transaction_coordinator()));
                }
                find_coordinator::handle(s.groups.clone(), ctx, r).await
            }
        });
        let s = self;
        router.route(move |ctx: RequestContext, r: FetchRequest| {
            let s = s.clone();
            async move {
                let request = r.clone();
                let mut answer =
                    lab05_broker::apis::fetch::handle(s.shared.clone(), ctx, r).await?;
                if let Some(response) = answer.as_mut() {
                    read_committed(&s.shared.broker(), &request, response);
                }
                Ok(answer)
            }
        });
    }
}
