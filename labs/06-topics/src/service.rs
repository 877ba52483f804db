//! Lab 06's [`Service`]: CreateTopics, DeleteTopics, DescribeConfigs, and (steps 10–12)
//! CreatePartitions, AlterConfigs, IncrementalAlterConfigs and DeleteRecords on lab 05's router.
//! Each API's file holds its codec and its `handle`; this file registers them and holds the
//! state they share. The topic settings sit behind their own lock, always taken after the
//! broker's, so two requests can never wait for each other in a circle.

use std::sync::{Arc, Mutex, MutexGuard};

use lab05_broker::shared::now_ms;
use lab05_broker::{Router, Service, Shared};

use crate::admin::TopicAdmin;
use crate::alter_configs::{self, AlterConfigsRequest};
use crate::create_partitions::{self, CreatePartitionsRequest};
use crate::create_topics::{self, CreateTopicsRequest};
use crate::delete_records::{self, DeleteRecordsRequest};
use crate::delete_topics::{self, DeleteTopicsRequest};
use crate::describe_configs::{self, DescribeConfigsRequest};
use crate::incremental_alter_configs::{self, IncrementalAlterConfigsRequest};

pub struct TopicsService {
    shared: Arc<Shared>,
    admin: Mutex<TopicAdmin>,
}

impl TopicsService {
    /// Loads each topic's settings from the broker's `log.dirs` (see [`TopicAdmin::open`]).
    pub fn open(shared: Arc<Shared>) -> crate::Result<Arc<TopicsService>> {
        let admin = TopicAdmin::open(&mut shared.broker(), now_ms())?;
        Ok(Arc::new(TopicsService {
            shared,
            admin: Mutex::new(admin),
        }))
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The topic settings; take the broker's lock first.
    pub fn admin(&self) -> MutexGuard<'_, TopicAdmin> {
        self.admin.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Service for TopicsService {
    fn routes(self: Arc<Self>, router: &mut Router) {
        let s = self.clone();
        router.route(move |ctx, r: CreateTopicsRequest| create_topics::handle(s.clone(), ctx, r));
        let s = self.clone();
        router.route(move |ctx, r: DeleteTopicsRequest| delete_topics::handle(s.clone(), ctx, r));
        let s = self.clone();
        router.route(move |ctx, r: DescribeConfigsRequest| {
            describe_configs::handle(s.clone(), ctx, r)
        });
        let s = self.clone();
        router.route(move |ctx, r: CreatePartitionsRequest| {
            create_partitions::handle(s.clone(), ctx, r)
        });
        let s = self.clone();
        router.route(move |ctx, r: AlterConfigsRequest| alter_configs::handle(s.clone(), ctx, r));
        let s = self.clone();
        router.route(move |ctx, r: IncrementalAlterConfigsRequest| {
            incremental_alter_configs::handle(s.clone(), ctx, r)
        });
        let s = self;
        router.route(move |ctx, r: DeleteRecordsRequest| delete_records::handle(s.clone(), ctx, r));
    }
}
