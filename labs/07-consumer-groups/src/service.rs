//! Lab 07's [`Service`]: the ten group APIs on lab 05's router, and the tokio shell around the
//! coordinator's state machine. It holds each JoinGroup and SyncGroup that must wait (a
//! oneshot channel per ticket) and runs the coordinator's clock (`tick` every 100 ms). Each
//! API's file (`messages/<api>.rs`) holds its codec and its `handle`; committed offsets are
//! the [`GroupMetadataManager`]'s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use lab05_broker::shared::now_ms;
use lab05_broker::{Router, Service, Shared};
use tokio::sync::oneshot;

use crate::coordinator::{CoordinatorConfig, GroupCoordinator, Reply};
use crate::group::Ticket;
use crate::group_metadata_manager::GroupMetadataManager;
use crate::messages::*;

/// The coordinator and the committed offsets, behind one lock (taken after the broker's).
pub struct State {
    pub coordinator: GroupCoordinator,
    pub groups: GroupMetadataManager,
}

pub struct GroupService {
    shared: Arc<Shared>,
    state: Mutex<State>,
    waiting: Mutex<HashMap<Ticket, oneshot::Sender<Reply>>>,
    next_ticket: AtomicU64,
}

impl GroupService {
    /// The coordinator with the committed offsets replayed from `__consumer_offsets`, and its
    /// clock. Call inside a tokio runtime.
    pub fn open(
        shared: Arc<Shared>,
        config: CoordinatorConfig,
    ) -> crate::Result<Arc<GroupService>> {
        let groups = GroupMetadataManager::load(&shared.broker())?;
        crate::group_metadata_manager::compact_offsets_topic(&mut shared.broker());
        let mut coordinator = GroupCoordinator::new(config);
        // Groups known only by their offsets are listed, Empty, as Kafka lists them.
        for group in groups.offsets().groups() {
            coordinator.ensure_group(&group);
        }
        let service = Arc::new(GroupService {
            shared,
            state: Mutex::new(State {
                coordinator,
                groups,
            }),
            waiting: Mutex::new(HashMap::new()),
            next_ticket: AtomicU64::new(1),
        });
        // The clock holds a weak reference: it stops when the service is gone.
        let weak: Weak<GroupService> = Arc::downgrade(&service);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(100));
            loop {
                interval.tick().await;
                let Some(service) = weak.upgrade() else {
                    return;
                };
                let replies = service.state().coordinator.tick(now_ms());
                service.deliver(replies);
            }
        });
        Ok(service)
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The coordinator and the offsets; take the broker's lock first if you need both.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands each reply to the request waiting for it.
    pub fn deliver(&self, replies: Vec<Reply>) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        for reply in replies {
            let ticket = match &reply {
                Reply::Join(t, _) | Reply::Sync(t, ..) => *t,
            };
            if let Some(tx) = waiting.remove(&ticket) {
                let _ = tx.send(reply);
            }
        }
    }

    /// A ticket and the channel its reply will come on.
    pub fn ticket(&self) -> (Ticket, oneshot::Receiver<Reply>) {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ticket, tx);
        (ticket, rx)
    }

    /// Waits for the reply to `ticket`, or gives up after `limit` (the broker answers
    /// REBALANCE_IN_PROGRESS and the client rejoins).
    pub async fn wait(
        &self,
        ticket: Ticket,
        rx: oneshot::Receiver<Reply>,
        limit: Duration,
    ) -> Option<Reply> {
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(reply)) => Some(reply),
            _ => {
                self.waiting
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&ticket);
                None
            }
        }
    }
}

/// Adds a route for `$api`'s request type to `$api::handle`, with the service.
macro_rules! route {
    ($router:expr, $service:expr, $api:ident :: $request:ident) => {{
        let s = $service.clone();
        $router.route(move |ctx, r: $api::$request| $api::handle(s.clone(), ctx, r));
    }};
}

impl Service for GroupService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        // The order is the order ApiVersions lists them in.
        route!(router, self, find_coordinator::FindCoordinatorRequest);
        route!(router, self, join_group::JoinGroupRequest);
        route!(router, self, sync_group::SyncGroupRequest);
        route!(router, self, heartbeat::HeartbeatRequest);
        route!(router, self, leave_group::LeaveGroupRequest);
        route!(router, self, offset_commit::OffsetCommitRequest);
        route!(router, self, offset_fetch::OffsetFetchRequest);
        route!(router, self, describe_groups::DescribeGroupsRequest);
        route!(router, self, list_groups::ListGroupsRequest);
        route!(router, self, delete_groups::DeleteGroupsRequest);
    }
}
